from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.config import load_settings
from rigtui.ui.app import RigtuiApp


@pytest.fixture
def make_app(demo_project: Path):
    def factory(**kwargs: object) -> RigtuiApp:
        return RigtuiApp(demo_project, load_settings(demo_project), **kwargs)  # type: ignore[arg-type]

    return factory

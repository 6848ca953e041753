from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.config import load_settings
from rigtui.ui.app import RigtuiApp


@pytest.fixture
def make_app(demo_project: Path):
    def factory(**kwargs: object) -> RigtuiApp:
        settings = load_settings(demo_project)
        settings.sandbox.kind = "local"  # UI tests run checks as local processes
        return RigtuiApp(demo_project, settings, **kwargs)  # type: ignore[arg-type]

    return factory

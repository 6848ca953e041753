from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.config import Settings, load_settings
from rigtui.ui.app import RigtuiApp


@pytest.fixture
def make_app(demo_project: Path):
    def settings() -> Settings:  # also what the app reads again once the project is trusted
        settings = load_settings(demo_project)
        settings.sandbox.kind = "local"  # UI tests run checks as local processes
        return settings

    def factory(**kwargs: object) -> RigtuiApp:
        return RigtuiApp(demo_project, settings(), reload=settings, **kwargs)  # type: ignore[arg-type]

    return factory

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.config import Settings, load_settings
from rigtui.ui.app import RigtuiApp
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def make_app(demo_project: Path):
    def settings() -> Settings:  # also what the app reads again once the project is trusted
        settings = load_settings(demo_project)
        settings.sandbox.kind = "local"  # UI tests run checks as local processes
        return settings

    def factory(**kwargs: object) -> RigtuiApp:
        return RigtuiApp(demo_project, settings(), reload=settings, **kwargs)  # type: ignore[arg-type]

    return factory


@pytest.fixture
def model_app(make_app):  # type: ignore[no-untyped-def]
    """A factory: the workbench talking to a scripted model server (no index)."""

    def factory(server: FakeOpenAI) -> RigtuiApp:
        app = make_app()
        profile = app.settings.model.profiles["default"]
        profile.base_url, profile.model, profile.timeout = server.base_url, "fake", 10.0
        app.settings.index.enabled = False
        return app

    return factory

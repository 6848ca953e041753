"""Shared fixtures. Every test gets its own RIGTUI_HOME so no test touches a real user's data."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def rigtui_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("rigtui-home")
    monkeypatch.setenv("RIGTUI_HOME", str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    """A copy of the demo fixture project at a stable name (`demo`), with the files git would
    not keep (an ignored log) added back."""
    import shutil

    root = tmp_path / "demo"
    shutil.copytree(FIXTURES / "demo_project", root)
    (root / "debug.log").write_text("noise\n")
    return root

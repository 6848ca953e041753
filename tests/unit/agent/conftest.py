"""A small project folder for the model-loop tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "notes.txt").write_text("first line\nsecond line\nthird line\n")
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    return root

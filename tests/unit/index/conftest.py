"""Helpers for the index tests: small real projects on disk and an index over them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rigtui.index import CodeIndex

FIXTURES = Path(__file__).with_name("fixtures")

ProjectMaker = Callable[[dict[str, str | bytes]], Path]


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectMaker:
    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        write_files(root, files)
        return root

    return make


@pytest.fixture
def open_index() -> Iterator[Callable[[Path], CodeIndex]]:
    opened: list[CodeIndex] = []

    def open_(root: Path) -> CodeIndex:
        index = CodeIndex.open(root)
        opened.append(index)
        return index

    yield open_
    for index in opened:
        index.close()

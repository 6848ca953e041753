"""The live index follows a real watcher: a saved file becomes searchable, a deleted one
disappears, and listeners hear about it."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from rigtui.index import CodeIndex
from rigtui.index.live import LiveIndex
from rigtui.protocol import Error, Event, IndexUpdated
from rigtui.watch import ProjectWatcher

from .conftest import ProjectMaker


@contextlib.asynccontextmanager
async def following(root: Path) -> AsyncIterator[tuple[CodeIndex, LiveIndex, list[Event]]]:
    """A fresh index of `root`, a live index following a real watcher, and what it told."""
    index = CodeIndex.open(root)
    await index.aupdate()
    watcher = ProjectWatcher(root, debounce_ms=20, step_ms=10)
    live = LiveIndex(index, watcher)
    heard: list[Event] = []
    live.add_listener(heard.append)
    await watcher.start()
    await live.start()
    try:
        yield index, live, heard
    finally:
        await live.stop()
        await watcher.stop()
        index.close()


async def test_saved_file_becomes_searchable(make_project: ProjectMaker) -> None:
    root = make_project({"a.py": "def alpha(): pass\n", ".gitignore": "ignored/\n"})
    async with following(root) as (index, live, heard):
        (root / "b.py").write_text("def freshly_saved_function():\n    return 1\n")
        assert await live.wait_for(lambda: bool(index.find_symbol("freshly_saved_function")))
        assert index.search("freshly saved")[0].path == "b.py"
        assert any(isinstance(e, IndexUpdated) and "b.py" in e.paths for e in heard)

        (root / "a.py").write_text("def alpha_changed(): pass\n")
        assert await live.wait_for(lambda: not index.find_symbol("alpha"))
        assert index.find_symbol("alpha_changed")[0].path == "a.py"

        (root / "b.py").unlink()
        assert await live.wait_for(lambda: not index.search("freshly_saved_function"))

        (root / "ignored").mkdir()
        (root / "ignored" / "x.py").write_text("def never_indexed(): pass\n")
        (root / "c.py").write_text("def after_ignored(): pass\n")
        assert await live.wait_for(lambda: bool(index.find_symbol("after_ignored")))
        assert index.find_symbol("never_indexed") == []


async def test_wait_for_times_out(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    index = CodeIndex.open(tmp_path)
    live = LiveIndex(index, ProjectWatcher(tmp_path))
    try:
        assert await live.wait_for(lambda: False, timeout=0.05) is False
    finally:
        index.close()


def indexed_paths(index: CodeIndex) -> set[str]:
    return {r[0] for r in index.store.rows("SELECT path FROM files")}


async def test_links_made_while_running_are_confined_like_a_full_run(
    tmp_path: Path, make_project: ProjectMaker
) -> None:
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "early").mkdir()
    (outside / "folder" / "leak.py").write_text("def outside_folder_canary(): pass\n")
    (outside / "secret.txt").write_text("outsidesecretcanary\n")
    root = make_project(
        {
            ".gitignore": "gen/\n",
            "src/x.py": "def inside_function(): pass\n",
            "gen/deep/g.py": "def generated_function(): pass\n",
        }
    )
    (root / "early").symlink_to(outside / "early")  # there before the watcher: it follows it
    async with following(root) as (index, live, _):
        (root / "link").symlink_to(outside / "folder")
        (root / "s.txt").symlink_to(outside / "secret.txt")
        (outside / "early" / "e.py").write_text("def outside_early_canary(): pass\n")
        (root / "alias").symlink_to(root / "src")  # indexed under its own name already
        (root / "gen_link").symlink_to(root / "gen" / "deep")  # an ignored folder: followed
        (root / "x_link.py").symlink_to(root / "src" / "x.py")
        (root / "last.py").write_text("def last_marker(): pass\n")
        assert await live.wait_for(lambda: bool(index.find_symbol("last_marker")))
        assert await live.wait_for(lambda: bool(index.find_symbol("generated_function")))

        for canary in ("outside_folder_canary", "outsidesecretcanary", "outside_early_canary"):
            assert index.search(canary) == []
        assert index.find_symbol("outside_folder_canary") == []
        cold = CodeIndex.open(root, db_path=tmp_path / "cold.db")
        try:
            cold.update()
            assert indexed_paths(index) == indexed_paths(cold)
        finally:
            cold.close()
        assert {"gen_link/g.py", "x_link.py", "src/x.py"} <= indexed_paths(index)


async def test_a_failing_index_database_stops_the_live_index_with_an_error(
    make_project: ProjectMaker,
) -> None:
    root = make_project({"a.py": "def alpha(): pass\n"})
    async with following(root) as (index, live, heard):
        damage = sqlite3.connect(index.db_path)
        damage.execute("DROP TABLE defs")
        damage.commit()
        damage.close()
        (root / "b.py").write_text("def beta(): pass\n")
        assert await live.wait_for(lambda: any(isinstance(e, Error) for e in heard))
        (error,) = [e for e in heard if isinstance(e, Error)]
        assert error.message == (
            f"the live index stopped: {index.db_path}: the database is corrupt (no such table:"
            " defs); it was left untouched"
        )
        assert error.fix.startswith(f"move it aside (e.g. `mv {index.db_path}")

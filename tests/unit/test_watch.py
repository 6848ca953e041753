"""The shared watcher: real inotify, ignore rules applied, several subscribers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rigtui.watch import ChangeKind, ProjectWatcher


async def test_changes_reach_every_subscriber_and_ignored_paths_do_not(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\n")
    watcher = ProjectWatcher(tmp_path)
    first, second = watcher.subscribe(), watcher.subscribe()
    await watcher.start()
    try:
        (tmp_path / "noise.log").write_text("x")
        (tmp_path / "node_modules").mkdir()
        (tmp_path / "node_modules" / "dep.js").write_text("x")
        (tmp_path / "code.py").write_text("x = 1\n")
        batches = [await asyncio.wait_for(anext(sub), 10) for sub in (first, second)]
    finally:
        await watcher.stop()
    for batch in batches:
        paths = {change.path for change in batch}
        assert "code.py" in paths
        assert not any(p.endswith(".log") or p.startswith("node_modules") for p in paths)
        assert all(c.kind in (ChangeKind.ADDED, ChangeKind.MODIFIED) for c in batch)

"""One watcher per project, several consumers (the index, the checks, the file tree).

`ProjectWatcher` runs a single `watchfiles.awatch` on the project root, filtered by the shared
ignore rules, and fans each debounced batch of changes out to every subscriber. Idle costs
nothing: watchfiles blocks on inotify, there is no polling loop here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import watchfiles

from rigtui.fanout import Fanout
from rigtui.ignore import IgnoreRules


class ChangeKind(Enum):
    ADDED = "added"
    MODIFIED = "modified"
    DELETED = "deleted"


_KINDS = {
    watchfiles.Change.added: ChangeKind.ADDED,
    watchfiles.Change.modified: ChangeKind.MODIFIED,
    watchfiles.Change.deleted: ChangeKind.DELETED,
}


@dataclass(frozen=True)
class FileChange:
    kind: ChangeKind
    path: str  # relative to the project root, POSIX separators


class ProjectWatcher:
    """Start with `start()`, stop with `stop()`; `subscribe()` gives an async iterator of
    batches (lists of FileChange). Subscribers that lag get batches merged, never dropped."""

    # A batch comes `step_ms` after the last change of a burst (watchfiles waits that long for
    # more): 30 ms puts a save in front of its checks in ~60 ms, for 0.2% of a core when idle
    # (100 ms: ~200 ms, ~0%).
    def __init__(self, root: Path, *, debounce_ms: int = 50, step_ms: int = 30) -> None:
        self.root = Path(root).resolve()
        self.rules = IgnoreRules(self.root)
        self.debounce_ms = debounce_ms
        self.step_ms = step_ms
        self._batches: Fanout[list[FileChange]] = Fanout()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()

    def _accept(self, change: watchfiles.Change, path: str) -> bool:
        rel = self.rules.relative(path)
        if not rel:
            return False
        is_dir = change != watchfiles.Change.deleted and Path(path).is_dir()
        return not self.rules.is_ignored(rel, is_dir=is_dir)

    def subscribe(self) -> AsyncIterator[list[FileChange]]:
        return self._batches.subscribe()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="rigtui-watch")
            await self._ready.wait()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._batches.close()

    async def _run(self) -> None:
        watch = watchfiles.awatch(
            self.root,
            watch_filter=self._accept,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=self._stop,
            recursive=True,
            yield_on_timeout=False,
            ignore_permission_denied=True,  # a folder we cannot read is not watched, not fatal
        )
        # awatch registers inotify synchronously when its generator first runs, before its
        # first await; one pass of the loop (sleep(0)) runs it that far, so once `start()`
        # returns every later change is seen.
        iterator = watch.__aiter__()
        first = asyncio.ensure_future(iterator.__anext__())
        await asyncio.sleep(0)
        self._ready.set()
        try:
            changes = await first
            while True:
                self._publish(changes)
                changes = await iterator.__anext__()
        except StopAsyncIteration:
            return

    def _publish(self, changes: set[tuple[watchfiles.Change, str]]) -> None:
        batch = sorted(
            {FileChange(_KINDS[c], rel) for c, p in changes if (rel := self.rules.relative(p))},
            key=lambda fc: fc.path,
        )
        if batch:
            self._batches.publish(batch)

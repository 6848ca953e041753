"""Keep the index following the files while the app runs.

`LiveIndex` consumes batches from a `ProjectWatcher` subscription and re-indexes just the
paths in each batch, in a worker thread so the event loop never waits on SQLite or parsing.
Listeners get an `IndexUpdated` event per batch that changed the index, a `Notice` when a
folder cannot be read (its files leave the index), and an `Error` when the index database
fails (then the live index stops; the rest of the workbench goes on)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from rigtui.errors import RigtuiError
from rigtui.index.api import CodeIndex
from rigtui.index.notes import unreadable_note
from rigtui.protocol import Error, Event, IndexUpdated, Notice
from rigtui.watch import ProjectWatcher

Listener = Callable[[Event], None]


class LiveIndex:
    """`await live.start()` after the watcher started; `await live.stop()` before closing the
    index. `updates` counts processed batches (tests and the status bar may read it)."""

    def __init__(self, index: CodeIndex, watcher: ProjectWatcher) -> None:
        self.index = index
        self.watcher = watcher
        self.listeners: list[Listener] = []
        self.updates = 0
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    async def start(self) -> None:
        if self._task is None:
            batches = self.watcher.subscribe()
            self._task = asyncio.create_task(self._run(batches), name="rigtui-live-index")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, batches) -> None:  # type: ignore[no-untyped-def]
        try:
            async for batch in batches:
                if not await self._take(batch):
                    return
        finally:
            await batches.aclose()  # a live index that stopped takes no more batches

    async def _take(self, batch) -> bool:  # type: ignore[no-untyped-def]
        """Index one batch; False when the index database failed (then the live index stops)."""
        started = time.perf_counter()
        paths = sorted({change.path for change in batch})
        unreadable: dict[str, str] = {}
        ok = True
        try:
            touched = await self.index.aupdate_paths(paths, unreadable)
        except RigtuiError as exc:
            self._tell(Error(message=f"the live index stopped: {exc.message}", fix=exc.fix or ""))
            ok = False
        else:
            if unreadable:
                self._tell(Notice(text=unreadable_note(unreadable)))
            if touched:
                seconds = round(time.perf_counter() - started, 4)
                self._tell(IndexUpdated(paths=touched, seconds=seconds))
        self.updates += 1
        async with self._changed:
            self._changed.notify_all()
        return ok

    def _tell(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener(event)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait until `predicate()` holds, re-checking after each processed batch."""

        async def check() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        try:
            await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            return False
        return True

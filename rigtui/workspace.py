"""The live parts of an open project that every front end shares: the code index kept up to
date by one file watcher, and the checks that re-run as files change. Plain asyncio; the TUI
subscribes to the events and renders them (DESIGN.md rule 2)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.config import Settings
from rigtui.errors import RigtuiError
from rigtui.events import Error, Event, Notice
from rigtui.watch import ProjectWatcher

if TYPE_CHECKING:
    from rigtui.checks.runner import CheckRunner
    from rigtui.checks.spec import Check
    from rigtui.index import CodeIndex
    from rigtui.index.live import LiveIndex

log = logging.getLogger(__name__)
Listener = Callable[[Event], None]


class Workspace:
    """`await ws.start()` once the UI is up (indexing runs in threads and a process pool, so
    the event loop never waits); `await ws.close()` on exit. Events go to `listeners`."""

    def __init__(self, root: Path, settings: Settings, *, watch: bool = True) -> None:
        self.root = Path(root).resolve()
        self.settings = settings
        self.watch = watch
        self.listeners: list[Listener] = []
        self.index: CodeIndex | None = None
        self.live: LiveIndex | None = None
        self.checks: CheckRunner | None = None
        self.suggested_checks: list[Check] = []
        self.watcher: ProjectWatcher | None = None
        self.index_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def emit(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener(event)

    async def start(self) -> None:
        if self.watch:
            self.watcher = ProjectWatcher(self.root)
            await self.watcher.start()
        await self._setup_checks()
        if self.settings.index.enabled:
            self._tasks.append(asyncio.create_task(self._start_index(), name="rigtui-index"))
        else:
            self.index_ready.set()

    async def _start_index(self) -> None:
        from rigtui.index import CodeIndex
        from rigtui.index.live import LiveIndex

        loop = asyncio.get_running_loop()
        try:
            self.index = await asyncio.to_thread(
                CodeIndex.open, self.root, max_file_size=self.settings.index.max_file_size
            )
            ready = await self.index.aupdate(
                progress=lambda e: loop.call_soon_threadsafe(self.emit, e)
            )
            self.emit(ready)
        except RigtuiError as exc:
            self.index = None
            self.emit(
                Error(message=f"the code index is unavailable: {exc.message}", fix=exc.fix or "")
            )
            return
        finally:
            self.index_ready.set()
        if self.watcher is not None and self.settings.index.watch:
            self.live = LiveIndex(self.index, self.watcher)
            self.live.add_listener(self.emit)
            await self.live.start()

    async def _setup_checks(self) -> None:
        from rigtui.checks.runner import CheckRunner
        from rigtui.checks.spec import configured_checks, detect_checks

        configured = configured_checks(self.settings)
        self.suggested_checks = [] if configured else detect_checks(self.root)
        try:
            # In a thread: importing the docker SDK and asking an engine (maybe a remote
            # ssh:// one) must never hold up the event loop.
            sandbox = await asyncio.to_thread(self._make_sandbox)
        except RigtuiError as exc:
            self.emit(Error(message=exc.message, fix=exc.fix or ""))
            return
        if note := getattr(sandbox, "note", ""):
            self.emit(Notice(text=note))
        conf = self.settings.checks
        self.checks = CheckRunner(
            self.root,
            configured or self.suggested_checks,
            sandbox,
            debounce_ms=conf.debounce_ms,
            timeout=self.settings.sandbox.timeout,
            output_limit=self.settings.sandbox.output_limit,
        )
        self.checks.add_listener(self.emit)
        # Suggestions run only when asked; confirmed checks follow every change.
        if configured and conf.watch and self.watcher is not None:
            self.checks.attach(self.watcher)

    def _make_sandbox(self):  # type: ignore[no-untyped-def]
        from rigtui.sandbox import get_sandbox

        return get_sandbox(self.settings, self.root)

    @property
    def sandbox_name(self) -> str:
        return self.checks.sandbox.name if self.checks is not None else "none"

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.live is not None:
            await self.live.stop()
        if self.checks is not None:
            await self.checks.close()
            with contextlib.suppress(Exception):
                await self.checks.sandbox.close()
        if self.watcher is not None:
            await self.watcher.stop()
        if self.index is not None:
            self.index.close()

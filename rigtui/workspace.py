"""The live parts of an open project that every front end shares: the code index kept up to
date by one file watcher, and the checks that re-run as files change. Plain asyncio; the TUI
subscribes to the events and renders them (DESIGN.md rule 2)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rigtui.config import Settings
from rigtui.errors import RigtuiError
from rigtui.events import Error, Event, Notice
from rigtui.watch import ProjectWatcher

if TYPE_CHECKING:
    from rigtui.checks.runner import CheckRunner
    from rigtui.checks.spec import Check
    from rigtui.index import CodeIndex
    from rigtui.index.live import LiveIndex
    from rigtui.session import Session

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
        self.session: Session | None = None
        self._watching = False  # the runner follows changes (its trusted checks do)
        self._tasks: set[asyncio.Task[None]] = set()

    def emit(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener(event)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def confirm_suggested_checks(self) -> tuple[Path, bool]:
        """Save the detected checks to `.rigtui.toml`. They follow changes from now on when the
        file is trusted after that (it was trusted, asked for nothing that needs trust, or did
        not exist); else they run only when asked. Returns the file and whether it is trusted."""
        from rigtui.checks.spec import confirm_checks

        if not self.suggested_checks:
            raise RigtuiError("there are no suggested checks to confirm")
        names = [c.name for c in self.suggested_checks]
        path, trusted = await asyncio.to_thread(confirm_checks, self.root, self.suggested_checks)
        self.suggested_checks = []
        if trusted and self.checks is not None:
            self.checks.trust_checks(names)
        return path, trusted

    # --- the session's threads ----------------------------------------------------------------

    def attach_session(self, session: Session) -> None:
        """Link checks to the threads whose change sets caused them: an applied change set
        re-runs the checks its files trigger, the result is stored in that thread, and with
        `[checks] auto_fix_rounds = N` a failure goes back to the model up to N times."""
        from rigtui.checks.feedback import AutoFixRounds

        self.session = session
        self._rounds: dict[str, AutoFixRounds] = {}
        self.listeners.append(self._to_thread)
        self._spawn(self._follow(session))

    async def _follow(self, session: Session) -> None:
        async for event in session.subscribe():
            if event.type == "PatchApplied" and self.checks is not None and self._watching:
                data = event.to_dict()
                self.checks.changes_applied(
                    data["change_set_id"], data["paths"], thread_id=event.thread_id
                )

    def _to_thread(self, event: Event) -> None:
        if event.type != "CheckFinished" or not event.thread_id or self.session is None:
            return
        self._spawn(self._record_check(event))

    async def _record_check(self, event: Event) -> None:
        from rigtui.checks.feedback import AutoFixRounds, failure_message
        from rigtui.ops import SendMessage

        assert self.session is not None
        await self.session.emit(event)
        limit = self.settings.checks.auto_fix_rounds
        rounds = self._rounds.setdefault(event.thread_id, AutoFixRounds(limit))
        rounds.record(event)  # type: ignore[arg-type]
        if getattr(event, "state", "") == "failed" and rounds.try_start_round():
            text = failure_message(event)  # type: ignore[arg-type]
            note = f"\n\n(auto-fix round {rounds.used} of {rounds.limit})"
            await self.session.send(SendMessage(event.thread_id, text + note))

    async def start(self) -> None:
        await self._recover_interrupted_apply()
        if self.watch:
            self.watcher = ProjectWatcher(self.root)
            await self.watcher.start()
        await self._setup_checks()
        if self.settings.index.enabled:
            self._spawn(self._start_index())
        else:
            self.index_ready.set()

    async def _recover_interrupted_apply(self) -> None:
        """A change set caught mid-apply by a crash is put back before anything reads files."""
        from rigtui.edits.engine import recover

        try:
            recovered = await asyncio.to_thread(recover, self.root)
        except RigtuiError as exc:
            self.emit(Error(message=exc.message, fix=exc.fix or ""))
            return
        for change_set_id in recovered:
            self.emit(
                Notice(
                    text=f"change set {change_set_id} was interrupted by a crash and rolled back"
                )
            )

    async def _start_index(self) -> None:
        from rigtui.index import CodeIndex
        from rigtui.index.live import LiveIndex

        loop = asyncio.get_running_loop()
        try:
            self.index = await asyncio.to_thread(
                CodeIndex.open, self.root, max_file_size=self.settings.index.max_file_size
            )
            update = asyncio.ensure_future(
                self.index.aupdate(progress=lambda e: loop.call_soon_threadsafe(self.emit, e))
            )
            if self.session is not None:  # the model's tools use this index, not a second one
                self.session.services.provide_index(self.index, update)
            ready = await update
            self.emit(ready)
            from rigtui.index.events import partial_note, unreadable_note

            if ready.unreadable:  # skipped folders are said once, as the CLI says them
                self.emit(Notice(text=unreadable_note(ready.unreadable)))
            if note := partial_note(ready):
                self.emit(Notice(text=note))
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
        # Trusted checks follow every change (and every applied change set); suggestions and
        # checks from an untrusted project file run only when asked (CheckRunner.on_changes).
        if conf.watch and self.watcher is not None:
            self.checks.attach(self.watcher)
            self._watching = True

    def _make_sandbox(self):  # type: ignore[no-untyped-def]
        from rigtui.sandbox import get_sandbox

        return get_sandbox(self.settings, self.root)

    @property
    def sandbox_name(self) -> str:
        return self.checks.sandbox.name if self.checks is not None else "none"

    async def close(self) -> None:
        for task in list(self._tasks):
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

"""The live parts of an open project, one of each, owned by the session and shared by every
front end and every thread: the file watcher, the code index kept up to date by it, the one
check runner (and the sandbox it runs in), one sandbox per thread for the model's commands,
and any other service the session owns and must close (`own`).

`start()` brings them up (the workbench after its first paint, `rigtui exec` before its task);
a session that never starts them still gets each on first use (the index, the check runner,
a sandbox), as a one-shot command needs. Events go to `publish`, the session's stream.

The heavy modules (tree-sitter, watchfiles, the docker SDK) are imported when a part starts,
not when the session is imported: the workbench paints first (bench/startup.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rigtui.config import Settings
from rigtui.errors import RigtuiError
from rigtui.protocol import Error, Event, IndexProgress, Notice
from rigtui.session.background import Background

if TYPE_CHECKING:
    from rigtui.checks.runner import CheckRunner
    from rigtui.checks.spec import Check
    from rigtui.index.api import CodeIndex
    from rigtui.index.live import LiveIndex
    from rigtui.sandbox.base import Sandbox
    from rigtui.watch import ProjectWatcher

log = logging.getLogger(__name__)
REPO_MAP_TOKENS = 1024
REPO_MAP_TIMEOUT = 5.0
INDEX_CLOSE_WAIT = 10.0  # an index update runs in a thread that cannot be interrupted


class Service(Protocol):
    """Something the session owns for as long as it is open (a tool server, say)."""

    async def close(self) -> None: ...


class ProjectRuntime:
    def __init__(self, root: Path, settings: Settings, publish: Callable[[Event], None]) -> None:
        self.root = root
        self.settings = settings
        self.publish = publish
        self.watcher: ProjectWatcher | None = None
        self.index: CodeIndex | None = None
        self.live: LiveIndex | None = None
        self.checks: CheckRunner | None = None
        self.suggested_checks: list[Check] = []
        self.following = False  # the check runner follows file changes and change sets
        self.index_ready = asyncio.Event()  # the first index run ended (or there is none)
        self.started = asyncio.Event()
        # told once per thread when its sandbox is not the one asked for (auto fell back)
        self.on_sandbox_note: Callable[[str, str], Awaitable[None]] | None = None
        self._index_run: asyncio.Task[None] | None = None
        self._thread_sandboxes: dict[str, Sandbox] = {}
        self._services: list[Service] = []
        self._background = Background()
        self._lock = asyncio.Lock()

    # --- starting -------------------------------------------------------------------------

    async def start(self, *, watch: bool = True) -> None:
        """The watcher (when `watch`), the checks, and the index in the background."""
        if self.started.is_set():
            return
        if watch:
            from rigtui.watch import ProjectWatcher  # watchfiles: after the first paint

            self.watcher = ProjectWatcher(self.root)
            await self.watcher.start()
        try:
            await self.check_runner()
        except RigtuiError as exc:
            self.publish(Error(message=exc.message, fix=exc.fix or ""))
        self._start_index()
        self.started.set()

    def own(self, service: Service) -> None:
        """Close `service` with the session (after the runtime's own parts, newest first)."""
        self._services.append(service)

    # --- the code index -------------------------------------------------------------------

    def _start_index(self) -> None:
        if self._index_run is None:
            if self.settings.index.enabled:
                self._index_run = self._background.spawn(self._run_index())
            else:
                self.index_ready.set()

    async def _run_index(self) -> None:
        from rigtui.index.api import CodeIndex  # tree-sitter: after the first paint
        from rigtui.index.notes import partial_note, unreadable_note

        loop = asyncio.get_running_loop()

        def progress(event: IndexProgress) -> None:  # from the indexing thread
            loop.call_soon_threadsafe(self.publish, event)

        try:
            self.index = await asyncio.to_thread(
                CodeIndex.open, self.root, max_file_size=self.settings.index.max_file_size
            )
            ready = await self.index.aupdate(progress=progress)
            self.publish(ready)
            if ready.unreadable:  # skipped folders are said once, as the CLI says them
                self.publish(Notice(text=unreadable_note(ready.unreadable)))
            if note := partial_note(ready):
                self.publish(Notice(text=note))
        except (RigtuiError, OSError) as exc:
            if isinstance(exc, OSError):
                exc = RigtuiError(str(exc))
            if self.index is not None:
                self.index.close()
            self.index = None
            self.publish(
                Error(message=f"the code index is unavailable: {exc.message}", fix=exc.fix or "")
            )
            return
        finally:
            self.index_ready.set()
        if self.watcher is not None and self.settings.index.watch:
            from rigtui.index.live import LiveIndex

            self.live = LiveIndex(self.index, self.watcher)
            self.live.add_listener(self.publish)
            await self.live.start()

    async def code_index(self) -> CodeIndex | None:
        """The code index once its first run ended; None when it is off or unavailable."""
        self._start_index()
        await self.index_ready.wait()
        return self.index

    async def repo_map(self) -> str:
        """A ranked map for the system prompt, when an index is ready in time; else ''."""
        try:
            index = await asyncio.wait_for(self.code_index(), REPO_MAP_TIMEOUT)
            if index is None:
                return ""
            return await asyncio.wait_for(index.arepo_map(REPO_MAP_TOKENS), REPO_MAP_TIMEOUT)
        except Exception as exc:  # the prompt is still useful without a map
            log.info("no repo map: %s", exc)
            return ""

    # --- checks ---------------------------------------------------------------------------

    async def check_runner(self) -> CheckRunner:
        """The one check runner: the configured checks, else the detected ones (suggested, run
        only when asked). Trusted checks follow changes once the watcher runs."""
        async with self._lock:
            if self.checks is None:
                self.checks = await self._new_runner()
            if not self.following and self.watcher is not None and self.settings.checks.watch:
                # Trusted checks follow every change (and every applied change set); detected
                # ones and those of an untrusted project file run only when asked.
                self.checks.attach(self.watcher)
                self.following = True
            return self.checks

    async def _new_runner(self) -> CheckRunner:
        from rigtui.checks.runner import CheckRunner
        from rigtui.checks.spec import configured_checks, detect_checks

        configured = configured_checks(self.settings)
        self.suggested_checks = [] if configured else detect_checks(self.root)
        # The checks are the user's commands, not the model's: "capture" leaves them writing
        # the project directly (their caches, their build output); "ro" holds for them too.
        mount = "ro" if self.settings.sandbox.mount == "ro" else "rw"
        sandbox = await self._new_sandbox("", mount=mount)
        if note := getattr(sandbox, "note", ""):
            self.publish(Notice(text=note))
        runner = CheckRunner(
            self.root,
            configured or self.suggested_checks,
            sandbox,
            debounce_ms=self.settings.checks.debounce_ms,
            timeout=self.settings.sandbox.timeout,
            output_limit=self.settings.sandbox.output_limit,
        )
        runner.add_listener(self.publish)
        return runner

    async def run_checks(self, names: list[str] | None = None) -> list[str]:
        """Run the checks now (all by default); their run ids. Results are published."""
        runner = await self.check_runner()
        return runner.run_now(names)

    async def confirm_suggested_checks(self) -> tuple[Path, bool]:
        """Save the detected checks to `.rigtui.toml`. They follow changes from now on when the
        file is trusted after that (it was trusted, asked for nothing that needs trust, or did
        not exist); else they run only when asked. Returns the file and whether it is trusted."""
        from rigtui.checks.spec import confirm_checks

        await self.check_runner()
        if not self.suggested_checks:
            raise RigtuiError("there are no suggested checks to confirm")
        names = [c.name for c in self.suggested_checks]
        path, trusted = await asyncio.to_thread(confirm_checks, self.root, self.suggested_checks)
        self.suggested_checks = []
        if trusted and self.checks is not None:
            self.checks.trust_checks(names)
        return path, trusted

    def files_changed(
        self, change_set_id: str, paths: list[str], thread_id: str, *, checks: bool = True
    ) -> None:
        """rigtui wrote these files for a change set: the index takes them in (the live index
        does through the watcher), and with `checks` the checks they trigger run, linked to
        the change set and its thread (an undo or redo leaves them to the watcher: a run in
        the thread would send its failure back to the model, re-doing what was undone)."""
        if self.index is not None and self.live is None:
            task = asyncio.create_task(self.index.aupdate_paths(paths))
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        if checks and self.checks is not None and self.following:
            self.checks.changes_applied(change_set_id, paths, thread_id=thread_id)

    async def wait_checks(self, thread_id: str | None = None) -> None:
        """Until no check is queued or running (with `thread_id`: none of that thread's)."""
        if self.checks is not None:
            await self.checks.wait_idle(thread_id)

    @property
    def sandbox_name(self) -> str:
        return self.checks.sandbox.name if self.checks is not None else "none"

    # --- sandboxes ------------------------------------------------------------------------

    async def _new_sandbox(self, thread_id: str, mount: str | None = None) -> Sandbox:
        from rigtui.sandbox import get_sandbox

        # In a thread: importing the docker SDK and asking an engine (maybe a remote ssh://
        # one) must never hold up the event loop.
        return await asyncio.to_thread(
            get_sandbox, self.settings, self.root, thread_id=thread_id, mount=mount
        )

    async def sandbox(self, thread_id: str) -> Sandbox:
        """The thread's sandbox: with Docker and `reuse_container`, one long-lived container
        per thread keeps state between its commands; it goes when the thread closes. A Docker
        error (asked for, missing) propagates: run_command reports it."""
        async with self._lock:
            sandbox = self._thread_sandboxes.get(thread_id)
            if sandbox is None:
                sandbox = await self._new_sandbox(thread_id)
                self._thread_sandboxes[thread_id] = sandbox
                note = getattr(sandbox, "note", "")
                if note and self.on_sandbox_note is not None:
                    await self.on_sandbox_note(thread_id, note)  # e.g. why Docker was not used
            return sandbox

    async def close_thread(self, thread_id: str) -> None:
        """The thread is gone: remove its sandbox (and its container)."""
        sandbox = self._thread_sandboxes.pop(thread_id, None)
        if sandbox is not None:
            with contextlib.suppress(Exception):
                await sandbox.close()

    # --- closing --------------------------------------------------------------------------

    async def close(self) -> None:
        run = self._index_run
        if run is not None and not run.done() and self.index is not None:
            # the update runs in a worker thread that cannot be interrupted: let it finish
            # (bounded) before the index's database is closed under it
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(run), INDEX_CLOSE_WAIT)
        await self._background.finish(cancel=True)
        if self.live is not None:
            await self.live.stop()
        if self.checks is not None:
            with contextlib.suppress(Exception):
                await self.checks.close()
            with contextlib.suppress(Exception):
                await self.checks.sandbox.close()
        for thread_id in list(self._thread_sandboxes):
            await self.close_thread(thread_id)
        if self.watcher is not None:
            await self.watcher.stop()
        if self.index is not None and (run is None or run.done()):
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.index.close)
        for service in reversed(self._services):
            with contextlib.suppress(Exception):
                await service.close()
        self._services.clear()

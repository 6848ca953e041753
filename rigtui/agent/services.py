"""Helpers a session shares between its threads' tools, each created on first use: the
sandbox, the code index, the check runner. Any of them may be missing (a package not built,
a setting off); callers get None or a clear error, never a crash."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rigtui.config import Settings
from rigtui.errors import RigtuiError

log = logging.getLogger(__name__)
REPO_MAP_TOKENS = 1024
REPO_MAP_TIMEOUT = 5.0


class Services:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self._sandbox: Any = None  # the checks' sandbox
        self._thread_sandboxes: dict[str, Any] = {}  # run_command's, one per thread
        self._index: Any = None
        self._index_owned = True
        self._index_tried = False
        self._index_refresh: asyncio.Task[Any] | None = None
        self._runner: Any = None
        self._lock = asyncio.Lock()
        # Told once per thread when its sandbox is not the one asked for (auto fell back).
        self.on_note: Callable[[str, str], Awaitable[None]] | None = None

    async def sandbox(self, thread_id: str = "") -> Any:
        """The thread's sandbox: with Docker and `reuse_container`, one long-lived container
        per thread keeps state between its commands; it goes when the thread closes. A Docker
        error (asked for, missing) propagates: run_command reports it."""
        async with self._lock:
            sandbox = self._thread_sandboxes.get(thread_id)
            if sandbox is None:
                from rigtui.sandbox import get_sandbox

                sandbox = await asyncio.to_thread(
                    get_sandbox, self.settings, self.root, thread_id=thread_id
                )
                self._thread_sandboxes[thread_id] = sandbox
                if getattr(sandbox, "note", "") and self.on_note is not None:
                    await self.on_note(thread_id, sandbox.note)  # e.g. why Docker was not used
            return sandbox

    async def close_thread(self, thread_id: str) -> None:
        """The thread is gone: remove its sandbox (and its container)."""
        sandbox = self._thread_sandboxes.pop(thread_id, None)
        if sandbox is not None:
            with contextlib.suppress(Exception):
                await sandbox.close()

    def provide_index(self, index: Any, refresh: asyncio.Task[Any] | None) -> None:
        """Use an index someone else opened and keeps up to date (the workbench's), instead of
        indexing the project a second time; it is theirs to close."""
        self._index, self._index_tried, self._index_refresh = index, True, refresh
        self._index_owned = False

    async def index(self) -> Any:
        """The code index, brought up to date once per session; None when unavailable."""
        async with self._lock:
            if not self._index_tried:
                self._index_tried = True
                self._index = await self._open_index()
            index = self._index
        if index is not None and self._index_refresh is not None:
            with contextlib.suppress(Exception):
                await self._index_refresh
        return index

    async def _open_index(self) -> Any:
        if not self.settings.index.enabled:
            return None
        try:
            from rigtui.index.api import CodeIndex

            index = await asyncio.to_thread(CodeIndex.open, self.root)
        except (ImportError, RigtuiError, OSError) as exc:
            log.info("code index unavailable: %s", exc)
            return None
        self._index_refresh = asyncio.create_task(index.aupdate())
        return index

    async def repo_map(self) -> str:
        """A ranked map for the system prompt, when an index is ready in time; else ''."""
        try:
            index = await asyncio.wait_for(self.index(), REPO_MAP_TIMEOUT)
            if index is None:
                return ""
            return await asyncio.wait_for(index.arepo_map(REPO_MAP_TOKENS), REPO_MAP_TIMEOUT)
        except (TimeoutError, Exception) as exc:  # the prompt is still useful without a map
            log.info("no repo map: %s", exc)
            return ""

    async def check_runner(self) -> Any:
        async with self._lock:
            if self._runner is None:
                from rigtui.checks.runner import CheckRunner
                from rigtui.checks.spec import checks_for

                checks = await asyncio.to_thread(checks_for, self.root, self.settings)
                sandbox = self._sandbox
                if sandbox is None:
                    from rigtui.sandbox import get_sandbox

                    sandbox = self._sandbox = await asyncio.to_thread(
                        get_sandbox, self.settings, self.root
                    )
                self._runner = CheckRunner(
                    self.root,
                    checks,
                    sandbox,
                    debounce_ms=0,
                    timeout=self.settings.sandbox.timeout,
                )
            return self._runner

    def files_changed(self, change_set_id: str, paths: list[str]) -> None:
        """rigtui wrote these files: refresh the index for them."""
        if self._index is not None:
            task = asyncio.create_task(self._index.aupdate_paths(paths))
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def close(self) -> None:
        refresh = self._index_refresh
        if refresh is not None and not refresh.done():
            # the update runs in a worker thread that cannot be interrupted: let it finish
            # (bounded) before the index's database is closed under it
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(refresh), 10.0)
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.close()
        if self._sandbox is not None:
            with contextlib.suppress(Exception):
                await self._sandbox.close()
        for thread_id in list(self._thread_sandboxes):
            await self.close_thread(thread_id)
        busy = refresh is not None and not refresh.done()
        if (
            self._index is not None and self._index_owned and not busy
        ):  # never close it under a running update
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._index.close)

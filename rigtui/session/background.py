"""The asyncio tasks a part of the session starts on its own (a review no task waits for, an
index run, a check result stored in its thread): kept so they are never lost, waited for when
the session must be idle, and ended when it closes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def __bool__(self) -> bool:
        return bool(self._tasks)

    async def wait(self) -> None:
        """Until every task (and every task those started) has ended."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    async def finish(self, *, cancel: bool) -> None:
        """End them: cancelled, or let run to their end; their failures are not raised here."""
        for task in list(self._tasks):
            if cancel:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

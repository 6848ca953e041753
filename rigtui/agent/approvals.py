"""The approval seam: the core registers a future under an id, emits a request event, and
awaits; a front end resolves it with an op (`DecideCommand`, `DecidePatch`)."""

from __future__ import annotations

import asyncio
from typing import Any


class Approvals:
    def __init__(self) -> None:
        self._waiting: dict[str, tuple[str, asyncio.Future[Any]]] = {}

    def register(self, key: str, thread_id: str) -> asyncio.Future[Any]:
        """Register before emitting the request, so a quick answer is never missed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[key] = (thread_id, future)
        return future

    async def wait(self, key: str, future: asyncio.Future[Any]) -> Any:
        try:
            return await future
        finally:
            self._waiting.pop(key, None)

    def resolve(self, key: str, value: Any) -> bool:
        """False when nothing waits under `key` (already decided, or its task ended)."""
        entry = self._waiting.get(key)
        if entry is None or entry[1].done():
            return False
        entry[1].set_result(value)
        return True

    def pending(self, thread_id: str | None = None) -> list[str]:
        return [k for k, (t, _) in self._waiting.items() if thread_id in (None, t)]

    def thread_of(self, key: str) -> str | None:
        """The thread whose task waits under `key`, if one does."""
        entry = self._waiting.get(key)
        return entry[0] if entry else None

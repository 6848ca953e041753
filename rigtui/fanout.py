"""One producer, many consumers: each subscriber gets every item published after it
subscribed, in order, through its own unbounded queue (a slow consumer never loses items or
blocks the producer). Used for session events, check events and file-change batches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Fanout(Generic[T]):
    def __init__(self) -> None:
        self._queues: list[asyncio.Queue[T | None]] = []

    def subscribe(self) -> AsyncIterator[T]:
        """Items from now on, until `close()`. Subscribing is immediate (not on first read)."""
        queue: asyncio.Queue[T | None] = asyncio.Queue()
        self._queues.append(queue)

        async def items() -> AsyncIterator[T]:
            try:
                while (item := await queue.get()) is not None:
                    yield item
            finally:
                with contextlib.suppress(ValueError):
                    self._queues.remove(queue)

        return items()

    def publish(self, item: T) -> None:
        for queue in self._queues:
            queue.put_nowait(item)

    def close(self) -> None:
        """End every subscription (after the items already published)."""
        for queue in list(self._queues):
            queue.put_nowait(None)

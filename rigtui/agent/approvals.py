"""The approval seam: a request carries what is to be decided and the future its decision
resolves. The core opens a request, emits the event that shows it, and awaits the future; a
front end answers with an op (`DecideCommand`, `DecidePatch`) that the session resolves here."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from rigtui.protocol import Decision


@dataclass(frozen=True)
class CommandDecision:
    """A person's (or the headless policy's) answer to a command's approval request."""

    approved: bool
    comment: str = ""
    by: str = "user"


if TYPE_CHECKING:
    from rigtui.edits.prepare import Proposal

T = TypeVar("T")


def _future() -> asyncio.Future[T]:  # type: ignore[type-var]
    return asyncio.get_running_loop().create_future()


@dataclass(eq=False)
class Request(Generic[T]):
    key: str  # the request id, or the change set id
    thread_id: str
    future: asyncio.Future[T] = field(default_factory=_future)


@dataclass(eq=False)
class CommandRequest(Request[CommandDecision]):
    pass


@dataclass(eq=False)
class ReviewRequest(Request[Decision]):
    """A change set waiting for its review: the proposal a front end renders, its origin
    (model, file, pending) and, after a conflict that a re-base would solve, that offer."""

    proposal: Proposal | None = None
    origin: str = "model"
    rebase_offered: bool = False


class Approvals:
    """The open requests, by key. Open one before emitting its event, so a quick answer is
    never missed."""

    def __init__(self) -> None:
        self._open: dict[str, Request[CommandDecision] | Request[Decision]] = {}

    def open(self, request: CommandRequest | ReviewRequest) -> None:
        self._open[request.key] = request

    async def wait(self, request: Request[T]) -> T:
        try:
            return await request.future
        finally:
            if self._open.get(request.key) is request:
                del self._open[request.key]

    def close(self, request: Request[T]) -> None:
        if self._open.get(request.key) is request:
            del self._open[request.key]

    def resolve(self, key: str, value: CommandDecision | Decision) -> bool:
        """False when nothing waits under `key` (already decided, or its task ended)."""
        request = self._open.get(key)
        if request is None or request.future.done():
            return False
        request.future.set_result(value)  # type: ignore[arg-type]
        return True

    def review(self, key: str) -> ReviewRequest | None:
        request = self._open.get(key)
        return request if isinstance(request, ReviewRequest) else None

    def reviews(self, thread_id: str | None = None) -> list[ReviewRequest]:
        """Change sets waiting for a review, oldest first."""
        return [
            r
            for r in self._open.values()
            if isinstance(r, ReviewRequest) and thread_id in (None, r.thread_id)
        ]

    def pending(self, thread_id: str | None = None) -> list[str]:
        return [k for k, r in self._open.items() if thread_id in (None, r.thread_id)]

    def thread_of(self, key: str) -> str | None:
        """The thread whose task waits under `key`, if one does."""
        request = self._open.get(key)
        return request.thread_id if request else None

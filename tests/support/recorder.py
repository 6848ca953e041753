"""Record the session events the workbench has rendered, the way harlequin's tests record the
messages an app posts: every `SessionEvent` the app has handled (its widgets updated) is kept
in order, and a test can await the next one of a kind instead of guessing how long rendering
takes. Nothing in the app exists for this: it listens to Textual's `message_signal`, published
after each message the app has processed.

    recorder = EventRecorder(app)               # inside `async with app.run_test()`
    applied = recorder.next(PatchApplied)       # before the keys that cause it
    await pilot.press("y", "enter")
    event = await applied
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from textual.app import App
from textual.message import Message

from rigtui import protocol as ev
from rigtui.ui.router import SessionEvent

E = TypeVar("E", bound=ev.Event)


class EventRecorder:
    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.events: list[ev.Event] = []
        self._waiting: list[tuple[Callable[[ev.Event], bool], asyncio.Future[ev.Event]]] = []
        app.message_signal.subscribe(app, self._handled, immediate=True)

    def _handled(self, message: Message) -> None:
        if not isinstance(message, SessionEvent):
            return
        event = message.event
        self.events.append(event)
        for waiter in list(self._waiting):
            matches, future = waiter
            if matches(event):
                self._waiting.remove(waiter)
                if not future.done():
                    future.set_result(event)

    def next(self, kind: type[E], where: Callable[[E], bool] = lambda _: True) -> asyncio.Future[E]:
        """A future resolved once the next event of `kind` (matching `where`) is rendered."""
        future: asyncio.Future[E] = asyncio.get_running_loop().create_future()

        def matches(event: ev.Event) -> bool:
            return isinstance(event, kind) and where(event)

        self._waiting.append((matches, future))  # type: ignore[arg-type]
        return future

    def of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]


_RECORDERS: dict[int, EventRecorder] = {}


def recorder(app: App[object]) -> EventRecorder:
    """The app's recorder (made on first use, while the app runs)."""
    found = _RECORDERS.get(id(app))
    if found is None or found.app is not app:
        found = _RECORDERS[id(app)] = EventRecorder(app)
    return found

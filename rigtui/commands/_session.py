"""A session for one CLI command: opened on the project, its project-wide notes (another
rigtui holding the writer lock, a crash's leftovers put back) said on stderr as they come,
the events it brought kept for the command to print, closed at the end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from rigtui.commands._common import note
from rigtui.config import load_settings
from rigtui.protocol import Event, Notice, PatchRecovered
from rigtui.session import Session


class OneShot:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.events: list[Event] = []
        self._arrived = asyncio.Condition()

    async def _consume(self, events: AsyncIterator[Event]) -> None:
        async for event in events:
            match event:
                case Notice(text=text):
                    note(text)
                case PatchRecovered(change_set_ids=ids):
                    for change_set_id in ids:
                        note(f"recovered change set {change_set_id} interrupted by a crash")
            async with self._arrived:
                self.events.append(event)
                self._arrived.notify_all()

    async def wait_for(self, *kinds: type[Event]) -> Event:
        """The first event of one of `kinds` (seen already, or the next)."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: any(isinstance(e, kinds) for e in self.events))
        return next(e for e in self.events if isinstance(e, kinds))


@contextlib.asynccontextmanager
async def one_shot(root: Path) -> AsyncIterator[OneShot]:
    session = await Session.open(root, settings=load_settings(root))
    shot = OneShot(session)
    consumer = asyncio.create_task(shot._consume(session.subscribe()))
    try:
        yield shot
    finally:
        await session.close()  # ends the subscription
        with contextlib.suppress(Exception):
            await consumer

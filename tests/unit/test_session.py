"""The session: thread ops in, events out, persisted."""

from __future__ import annotations

from pathlib import Path

from rigtui import protocol as ev
from rigtui.protocol import DeleteThread, RenameThread, SendMessage
from rigtui.session import Session


async def test_thread_lifecycle_emits_and_persists(tmp_path: Path) -> None:
    session = await Session.open(tmp_path)
    seen = session.subscribe()
    thread = await session.new_thread("first")
    await session.send(RenameThread(thread.id, "renamed"))
    await session.send(SendMessage(thread.id, "hello"))
    got = [await anext(seen) for _ in range(4)]
    assert [type(e) for e in got] == [ev.ThreadCreated, ev.ThreadRenamed, ev.UserMessage, ev.Error]
    assert "OPENAI_API_KEY" in got[3].fix  # type: ignore[attr-defined]
    await session.close()

    reopened = await Session.open(tmp_path)
    (saved,) = await reopened.threads()
    assert saved.title == "renamed"
    history = await reopened.history(saved.id)
    assert [e.type for e in history] == ["ThreadCreated", "ThreadRenamed", "UserMessage", "Error"]
    await reopened.send(DeleteThread(saved.id))
    assert await reopened.threads() == []
    await reopened.close()

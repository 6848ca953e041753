"""Which events a fork copies. Forking at a message keeps that message and, for a reply,
its tool calls and their results: everything up to the next message."""

from __future__ import annotations

from rigtui import protocol as ev
from rigtui.errors import BadInput
from rigtui.protocol import ThreadForked

# The parent's own bookkeeping is not copied; the fork gets its own.
NOT_COPIED = (ev.ThreadCreated, ev.ThreadRenamed, ev.ThreadDeleted, ThreadForked)
MESSAGES = (ev.UserMessage, ev.AssistantMessage)


def fork_events(
    rows: list[tuple[int, ev.Event]], *, message_id: str = "", seq: int = 0
) -> tuple[int, list[ev.Event]]:
    """(the last seq copied, the events to copy)."""
    if not rows:
        return 0, []
    if message_id:
        upto = _message_end(rows, message_id)
    elif seq:
        if not any(s == seq for s, _ in rows):
            raise BadInput(f"no event {seq} in this thread", fix="pick a seq from its history")
        upto = seq
    else:
        upto = rows[-1][0]
    return upto, [e for s, e in rows if s <= upto and not isinstance(e, NOT_COPIED)]


def _message_end(rows: list[tuple[int, ev.Event]], message_id: str) -> int:
    at = next(
        (i for i, (_, e) in enumerate(rows) if getattr(e, "message_id", None) == message_id
         and isinstance(e, MESSAGES)),
        None,
    )  # fmt: skip
    if at is None:
        raise BadInput(f"no message {message_id!r} in this thread", fix="pick one it shows")
    if isinstance(rows[at][1], ev.UserMessage):
        return rows[at][0]
    end = at
    for i in range(at + 1, len(rows)):
        if isinstance(rows[i][1], (*MESSAGES, ev.TaskStarted)):
            break
        end = i
    return rows[end][0]

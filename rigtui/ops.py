"""Ops: plain requests that flow down from a front end into the session (DESIGN.md rule 2)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Op:
    thread_id: str


@dataclass(frozen=True)
class SendMessage(Op):
    """Start a task in the thread (queued behind one already running there)."""

    text: str


@dataclass(frozen=True)
class Cancel(Op):
    """Stop the thread's running task at once; the thread stays consistent."""


@dataclass(frozen=True)
class RenameThread(Op):
    title: str


@dataclass(frozen=True)
class DeleteThread(Op):
    pass


@dataclass(frozen=True)
class ForkThread(Op):
    """A new thread copying this one's events up to `message_id` (or `seq`; the whole thread
    when both are empty)."""

    message_id: str = ""
    seq: int = 0
    title: str = ""


@dataclass(frozen=True)
class SetThreadModel(Op):
    """Talk to another model profile in this thread from now on."""

    profile: str


@dataclass(frozen=True)
class DecideCommand(Op):
    """Answer a `CommandApprovalRequested`."""

    request_id: str
    approved: bool
    comment: str = ""
    by: str = "user"  # user | policy (headless --approve)


@dataclass(frozen=True)
class DecidePatch(Op):
    """Answer a patch review: `accepted` hunk ids (None: all), or leave it pending."""

    change_set_id: str
    accepted: list[str] | None = None
    rejected: list[str] = field(default_factory=list)
    comment: str = ""
    comments: dict[str, str] = field(default_factory=dict)  # hunk id -> why
    edited: dict[str, str] = field(default_factory=dict)  # hunk id -> the user's version
    pending: bool = False  # leave the change set unapplied, for later review

"""Events of threads, messages, tasks and the model's usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from rigtui.protocol.base import Event, event_type


@event_type
@dataclass(frozen=True, kw_only=True)
class ThreadCreated(Event):
    title: str


@event_type
@dataclass(frozen=True, kw_only=True)
class ThreadRenamed(Event):
    title: str


@event_type
@dataclass(frozen=True, kw_only=True)
class ThreadDeleted(Event):
    pass


@event_type
@dataclass(frozen=True, kw_only=True)
class ThreadForked(Event):
    """First event of a forked thread: where it came from."""

    parent_id: str
    forked_at: int  # the parent's event seq the copy goes up to


@event_type
@dataclass(frozen=True, kw_only=True)
class ModelChanged(Event):
    """The thread now talks to another model profile."""

    profile: str
    model: str


class Attachment(TypedDict):
    """A file (or a symbol's definition) an `@mention` attached to a user message: what the
    model was sent (`text`, capped) and what a chip in the thread says of it."""

    kind: str  # file | symbol
    path: str  # relative to the project root
    name: str  # the symbol's qualified name; the path for a file
    start_line: int  # 1-based, inclusive; 0 for a whole file
    end_line: int
    size: int  # bytes of the file (or of the definition)
    sent: int  # bytes of it sent to the model (less than size when capped)
    ignored: bool  # the project's ignore rules leave it out (attached because it was named)
    text: str


@event_type
@dataclass(frozen=True, kw_only=True)
class UserMessage(Event):
    text: str
    message_id: str = ""
    attachments: list[Attachment] = field(default_factory=list)


@event_type
@dataclass(frozen=True, kw_only=True)
class ThreadCompacted(Event):
    """Older turns summarised by the model: from now on requests send `summary` in place of
    every message before the user message `keep_from` (the originals stay in the log, shown
    and searchable, but are no longer sent)."""

    summary: str
    keep_from: str  # message_id of the first user message still sent as it was
    replaced_messages: int  # chat messages the summary stands for
    tokens_before: int  # the estimated prompt before and after
    tokens_after: int
    reason: str = "auto"  # auto (the window was filling) | asked (/compact)


@event_type
@dataclass(frozen=True, kw_only=True)
class MessageStarted(Event):
    message_id: str


@event_type
@dataclass(frozen=True, kw_only=True)
class MessageDelta(Event):
    message_id: str
    text: str


@event_type
@dataclass(frozen=True, kw_only=True)
class AssistantMessage(Event):
    """A finished assistant reply (what is stored; deltas are for live rendering)."""

    message_id: str
    text: str


@event_type
@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """Something the user should read that is neither the model's nor an error."""

    text: str


@event_type
@dataclass(frozen=True, kw_only=True)
class MessageNotSent(Event):
    """A message the user queued behind a running task that was never sent (cancelled, or the
    session closed first). Kept, so a front end can offer the words again."""

    text: str


@event_type
@dataclass(frozen=True, kw_only=True)
class Error(Event):
    """One clear message naming the problem, and the fix."""

    message: str
    fix: str = ""


class PlanStep(TypedDict):
    step: str
    status: str  # pending | in_progress | completed


class CheckSummary(TypedDict):
    check: str
    state: str
    run_id: str


@event_type
@dataclass(frozen=True, kw_only=True)
class TaskStarted(Event):
    task_id: str
    goal: str


@event_type
@dataclass(frozen=True, kw_only=True)
class PlanUpdated(Event):
    task_id: str
    steps: list[PlanStep]
    explanation: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class TaskEnded(Event):
    task_id: str
    outcome: str  # done | failed | cancelled
    summary: str = ""
    changed_files: list[str] = field(default_factory=list)
    change_sets: list[str] = field(default_factory=list)
    checks: list[CheckSummary] = field(default_factory=list)


@event_type
@dataclass(frozen=True, kw_only=True)
class UsageUpdated(Event):
    """Tokens and time of one model call, with the thread's running totals."""

    task_id: str
    model: str
    input_tokens: int
    output_tokens: int
    thread_input_tokens: int
    thread_output_tokens: int
    time_to_first_token: float | None = None  # seconds
    duration: float = 0.0
    cost: float | None = None  # in the price unit of the profile, when prices are set
    thread_cost: float | None = None
    estimated: bool = False  # the server reported no usage (llama.cpp streams): chars / 4

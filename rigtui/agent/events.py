"""Events of the model loop: tool calls, usage, command approvals and forks.

Deltas (`MessageDelta`, `ToolCallDelta`) are for live rendering and are not stored; the finished
forms (`AssistantMessage`, `ToolCallStarted`, `ToolCallFinished`) are, and the model's message
list is rebuilt from them when a thread resumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.events import Event, event_type


@event_type
@dataclass(frozen=True, kw_only=True)
class ToolCallDelta(Event):
    """A piece of a tool call's arguments as the model streams them (not stored)."""

    message_id: str
    index: int
    call_id: str = ""
    name: str = ""
    arguments: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class ToolCallStarted(Event):
    """A complete tool call the model made, part of assistant message `message_id`."""

    message_id: str
    call_id: str
    name: str
    arguments: str  # the raw JSON text the model sent (it may be malformed)


@event_type
@dataclass(frozen=True, kw_only=True)
class ToolCallFinished(Event):
    """The result handed back to the model for `call_id`."""

    call_id: str
    name: str
    ok: bool
    output: str
    summary: str = ""  # one line for humans ("read 40 lines of src/app.py")


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


@event_type
@dataclass(frozen=True, kw_only=True)
class CommandApprovalRequested(Event):
    """The model wants to run a command; resolve with the `DecideCommand` op."""

    request_id: str
    command: str
    cwd: str
    reason: str = ""
    sandbox: str = ""  # where it will run ("docker:IMAGE", "local+bwrap", ...)
    outside_paths: list[str] = field(default_factory=list)  # always need a person's yes
    # no policy may approve it (rigtui.sandbox.policy); False in logs written before it existed
    needs_person: bool = False


@event_type
@dataclass(frozen=True, kw_only=True)
class CommandDecided(Event):
    request_id: str
    approved: bool
    by: str = "user"  # user | policy
    comment: str = ""


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

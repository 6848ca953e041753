"""Events of the model's tool calls: the calls and their results, the commands it asks to run
and the decisions on them, and what those commands left in the project.

Deltas (`ToolCallDelta`) are for live rendering and are not stored; the finished forms are,
and the model's message list is rebuilt from them when a thread resumes."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.protocol.base import Event, event_type


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
class SandboxSelected(Event):
    """Commands in this thread (or project-wide, thread_id '') run in `sandbox`
    ("docker:IMAGE", "local+bwrap", "local"); `note` says why, e.g. why not Docker."""

    sandbox: str
    note: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class ArtifactsDetected(Event):
    """Project files a command created, changed or deleted (paths relative to the root), or
    files a tool saved outside the project (an MCP tool's images: absolute paths)."""

    command: str
    sandbox: str
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    task_id: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class CommandChanged(Event):
    """A command wrote project files over its copy-on-write view (`[sandbox] mount =
    "capture"` or "ro"): they come back as change set `change_set_id`, proposed right after
    (reviewed, or applied at once under `patches = "auto-apply"`) and undone like any other."""

    command: str
    change_set_id: str
    paths: list[str]  # each file once, a rename by its new path
    added: int = 0  # text lines
    removed: int = 0
    binary: int = 0  # how many of the files are binary
    ignored: int = 0  # writes under ignored paths, dropped
    task_id: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class LeftoversRemoved(Event):
    """Containers a killed rigtui left behind, removed at start."""

    containers: list[str]

"""Events: plain, JSON-serialisable dataclasses that flow up from the core.

The same events are what a thread stores, what the TUI renders and what `rigtui exec --json`
prints (DESIGN.md rule 2). Fields hold JSON types only (str, int, float, bool, None, list, dict).
Areas define their own events in their own modules with `@event_type`; `from_dict` imports
those modules on demand so a stored log can always be read back.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

_REGISTRY: dict[str, type[Event]] = {}

# Modules that define events; imported lazily so reading a log never needs the UI.
EVENT_MODULES = (
    "rigtui.edits.events",
    "rigtui.checks.events",
    "rigtui.sandbox.events",
    "rigtui.agent.events",
    "rigtui.index.events",
    "rigtui.mcp.events",
)

E = TypeVar("E", bound="type[Event]")


def event_type(cls: E) -> E:
    """Register an event class by name so it can be read back from JSON."""
    _REGISTRY[cls.__name__] = cls
    return cls


def now() -> float:
    return time.time()


@dataclass(frozen=True, kw_only=True)
class Event:
    """Every event carries the thread it belongs to ('' for project-wide) and when it happened."""

    thread_id: str = ""
    at: float = field(default_factory=now)

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


def _load_event_modules() -> None:
    for name in EVENT_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from `to_dict` output. Unknown types come back as `UnknownEvent`."""
    data = dict(data)
    name = data.pop("type", "")
    if name not in _REGISTRY:
        _load_event_modules()
    cls = _REGISTRY.get(name)
    if cls is None:
        return UnknownEvent(
            thread_id=data.get("thread_id", ""), at=data.get("at", 0.0), name=name, data=data
        )
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@event_type
@dataclass(frozen=True, kw_only=True)
class UnknownEvent(Event):
    """An event written by a newer rigtui, kept as it was so nothing is lost."""

    name: str
    data: dict[str, Any]


# --- Threads and messages -------------------------------------------------------------------


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
class UserMessage(Event):
    text: str
    message_id: str = ""


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


# --- Tasks and plans ------------------------------------------------------------------------


@event_type
@dataclass(frozen=True, kw_only=True)
class TaskStarted(Event):
    task_id: str
    goal: str


@event_type
@dataclass(frozen=True, kw_only=True)
class PlanUpdated(Event):
    task_id: str
    steps: list[dict[str, str]]  # [{"step": "...", "status": "pending|in_progress|completed"}]
    explanation: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class TaskEnded(Event):
    task_id: str
    outcome: str  # done | failed | cancelled
    summary: str = ""
    changed_files: list[str] = field(default_factory=list)
    change_sets: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

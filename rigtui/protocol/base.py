"""The root of every event: where it belongs, when it happened, and how it is read back.

Events are plain, JSON-serialisable frozen dataclasses (fields hold str, int, float, bool,
None, lists and dicts of those). Each is registered by its class name with `@event_type`, the
name a stored log keeps; `from_dict` turns a stored or printed event back into its class (it
has the package `rigtui.protocol` import every event module first, so the registry is
complete; the package loads them lazily otherwise)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

_REGISTRY: dict[str, type[Event]] = {}

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
        """The name a stored log and `rigtui exec --json` use (dispatch on the class instead)."""
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


def from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from `to_dict` output. Unknown types come back as `UnknownEvent`."""
    data = dict(data)
    name = data.pop("type", "")
    if name not in _REGISTRY:
        from rigtui.protocol import load_all

        load_all()
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

"""Events of change sets: proposed, decided (which hunks, with comments), applied, refused,
undone, redone. Stored in the thread, rendered by the TUI, and sent back to the model later."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rigtui.events import Event, event_type


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchProposed(Event):
    change_set_id: str
    files: list[dict[str, Any]]  # [{"path", "kind", "move_to", "added", "removed", "hunks": [ids]}]
    patch: str = ""  # the patch text as the model wrote it


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchDecided(Event):
    change_set_id: str
    accepted: list[str]  # hunk ids ("1.2": file 1, hunk 2)
    rejected: list[str]
    comments: dict[str, str] = field(default_factory=dict)  # hunk id -> why it was rejected
    edited: dict[str, str] = field(default_factory=dict)  # hunk id -> the user's version
    policy: str = "review"  # review | auto-apply


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchApplied(Event):
    change_set_id: str
    paths: list[str]
    accepted: list[str]
    rejected: list[str] = field(default_factory=list)
    rebased: bool = False


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchRefused(Event):
    """Nothing was changed: context not found, unsafe path, or a conflict."""

    change_set_id: str
    message: str
    fix: str = ""
    conflict_paths: list[str] = field(default_factory=list)
    can_rebase: bool = False


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchUndone(Event):
    change_set_id: str
    paths: list[str]
    forced: bool = False


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchRedone(Event):
    change_set_id: str
    paths: list[str]


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchRecovered(Event):
    """A change set a crash interrupted was put back at start-up."""

    change_set_ids: list[str]

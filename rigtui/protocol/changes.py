"""Change sets: the one decision type, and the events of a change set's life (proposed,
decided, applied or refused, undone, redone, recovered after a crash). Stored in the thread the
change set belongs to, rendered by the front ends, and told to the model on its next turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from rigtui.protocol.base import Event, event_type

REVIEW, AUTO_APPLY = "review", "auto-apply"  # approval.patches: how a change set is decided


@dataclass(frozen=True)
class Decision:
    """What a person (or the `auto-apply` policy) decided about a proposed change set: the
    same value a front end sends in `DecidePatch`, the core acts on, and `PatchDecided` keeps."""

    accepted: list[str] | None = None  # hunk ids ("1.2": file 1, hunk 2); None: every hunk
    rejected: list[str] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)  # hunk id -> why
    edited: dict[str, str] = field(default_factory=dict)  # hunk id -> the person's version
    comment: str = ""  # about the change set as a whole
    pending: bool = False  # leave it unapplied, for a later review
    rebase: bool = False  # files changed since the review but its hunks still match: go ahead
    policy: str = REVIEW  # review (a person) | auto-apply (the policy)


class ProposedFile(TypedDict):
    path: str
    kind: str  # add | update | delete
    move_to: str | None
    added: int
    removed: int
    mode: str  # "" unless the file's mode is set or changed
    hunks: list[str]


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchProposed(Event):
    change_set_id: str
    files: list[ProposedFile]
    patch: str = ""  # the patch text as written (by the model, or the file's)
    origin: str = "model"  # model | file (a patch file reviewed by a person) | pending


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchDecided(Event):
    change_set_id: str
    accepted: list[str]
    rejected: list[str]
    comments: dict[str, str] = field(default_factory=dict)  # hunk id -> why it was rejected
    edited: dict[str, str] = field(default_factory=dict)  # hunk id -> the user's version
    policy: str = REVIEW  # review | auto-apply

    @property
    def decision(self) -> Decision:
        return Decision(
            list(self.accepted), list(self.rejected), dict(self.comments), dict(self.edited),
            policy=self.policy,
        )  # fmt: skip


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchApplied(Event):
    change_set_id: str
    paths: list[str]
    accepted: list[str]
    rejected: list[str] = field(default_factory=list)
    rebased: bool = False
    origin: str = "model"  # as in PatchProposed


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
    kept_id: str = ""  # the newer content a forced undo overwrote, kept as this change set


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchRedone(Event):
    change_set_id: str
    paths: list[str]
    forced: bool = False
    kept_id: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class PatchRecovered(Event):
    """A change set a crash interrupted was put back at start-up."""

    change_set_ids: list[str]

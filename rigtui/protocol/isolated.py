"""Isolated tasks: a task that runs in a workspace of its own and comes back as one change
set for review. The ops start, review (and apply) or discard one; `IsolatedTaskChanged` says
each step of its life, in its thread (a front end shows it on the task board, and tells the
user when one needs review or failed)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.protocol.base import Event, event_type
from rigtui.protocol.ops import Op

# An isolated task's states, in the order a task usually goes through them.
QUEUED, RUNNING, NEEDS_REVIEW = "queued", "running", "needs review"
APPLIED, DISCARDED, FAILED, INTERRUPTED = "applied", "discarded", "failed", "interrupted"
TASK_STATES = (QUEUED, RUNNING, NEEDS_REVIEW, APPLIED, DISCARDED, FAILED, INTERRUPTED)
REVIEWABLE = (NEEDS_REVIEW, FAILED, INTERRUPTED)  # with a change set left to apply or drop
FINISHED = (APPLIED, DISCARDED)  # nothing is left of its workspace
TELL_USER = (NEEDS_REVIEW, FAILED, INTERRUPTED)  # worth a notice (and a bell)


@event_type
@dataclass(frozen=True, kw_only=True)
class IsolatedTaskChanged(Event):
    task_id: str
    state: str  # one of TASK_STATES
    goal: str = ""
    summary: str = ""
    files: list[str] = field(default_factory=list)  # what its change set touches


@dataclass(frozen=True)
class StartIsolated(Op):
    """Run a task in a workspace of its own, in the thread (queued past `[tasks]
    max_parallel`); its result waits for review."""

    text: str


@dataclass(frozen=True)
class ReviewIsolated(Op):
    """Propose the task's change set (rebased on the project as it is now) for review in the
    task's thread; what the review accepts is applied, and the workspace goes."""

    task_id: str


@dataclass(frozen=True)
class DiscardIsolated(Op):
    """Drop the task's change set and its workspace (a running task is stopped first)."""

    task_id: str

"""Check events: one run of one check goes Queued -> Started -> Output* -> Finished.

`run_id` ties a run's events together; `change_set_id` links a run caused by an applied change
set to it (and `thread_id` to that change set's thread). Locations are plain dicts (see
`rigtui.checks.parsers.Location.to_dict`) so the events stay JSON-serialisable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict

from rigtui.protocol.base import Event, event_type

CheckState = Literal["queued", "running", "passed", "failed", "cancelled"]
FINAL_STATES = ("passed", "failed", "cancelled")


class CheckLocation(TypedDict):
    path: str
    line: int
    col: NotRequired[int | None]
    message: NotRequired[str]
    severity: NotRequired[str]
    tool: NotRequired[str]


@event_type
@dataclass(frozen=True, kw_only=True)
class CheckQueued(Event):
    """A change (or a request) means this check will run once the debounce settles."""

    run_id: str
    check: str
    command: str
    reason: str = "change"  # change | change_set | manual
    paths: list[str] = field(default_factory=list)  # the changed paths that triggered it
    change_set_id: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class CheckStarted(Event):
    run_id: str
    check: str
    command: str
    sandbox: str = ""
    change_set_id: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class CheckOutput(Event):
    """A chunk of the running check's output, as it streams."""

    run_id: str
    check: str
    stream: str  # stdout | stderr
    text: str


@event_type
@dataclass(frozen=True, kw_only=True)
class CheckFinished(Event):
    run_id: str
    check: str
    command: str
    state: str  # passed | failed | cancelled
    duration: float
    exit_code: int | None = None
    output: str = ""  # stdout then stderr, bounded (the tail is kept)
    locations: list[CheckLocation] = field(default_factory=list)
    change_set_id: str = ""
    timed_out: bool = False
    truncated: bool = False

    @property
    def failed(self) -> bool:
        return self.state == "failed"

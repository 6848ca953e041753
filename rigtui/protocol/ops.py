"""Ops: plain requests that flow down from a front end into the session (DESIGN.md rule 2).
Every change to disk is one of these, carried out by the session and recorded as an event in
the thread it belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.protocol.changes import Decision


@dataclass(frozen=True)
class Op:
    thread_id: str


# --- threads and tasks ----------------------------------------------------------------------


@dataclass(frozen=True)
class SendMessage(Op):
    """Start a task in the thread (queued behind one already running there)."""

    text: str


@dataclass(frozen=True)
class CompactThread(Op):
    """Summarise the thread's older turns now (queued behind a running task): `/compact`."""


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
class Note(Op):
    """Keep a line for the user in the thread (a `Notice`): what a front end was told."""

    text: str


@dataclass(frozen=True)
class SetThreadModel(Op):
    """Talk to another model profile in this thread from now on."""

    profile: str


# --- approvals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecideCommand(Op):
    """Answer a `CommandApprovalRequested`."""

    request_id: str
    approved: bool
    comment: str = ""
    by: str = "user"  # user | policy (headless --approve)


@dataclass(frozen=True)
class DecidePatch(Op):
    """Answer a change set's review (a `PatchProposed` whose request is open)."""

    change_set_id: str
    decision: Decision = field(default_factory=Decision)


# --- changes to disk ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposePatch(Op):
    """Review a patch (an apply_patch envelope or a unified diff, e.g. from a file) in the
    thread ('' for none): it is proposed like the model's, and applied by `DecidePatch`."""

    patch: str
    strip: int | None = None  # as `patch -pN`; None: git's a/ b/, else guessed
    origin: str = "file"


@dataclass(frozen=True)
class ReviewLeftover(Op):
    """Open the thread's last change set that an earlier run left pending for review again."""


@dataclass(frozen=True)
class Undo(Op):
    """Undo the last applied change set (or the one named) from the project's journal; the
    event goes to the thread the change set belongs to. `thread_id` is who asked ('' if none)."""

    change_set_id: str | None = None
    force: bool = False


@dataclass(frozen=True)
class Redo(Op):
    """Re-apply the change set undone last (or the one named)."""

    change_set_id: str | None = None
    force: bool = False


@dataclass(frozen=True)
class Recover(Op):
    """Put back the change sets a crash interrupted (each thread whose it was learns it)."""


@dataclass(frozen=True)
class RunChecks(Op):
    """Run the project's checks now (the named ones; all when None); results in the thread."""

    names: list[str] | None = None


@dataclass(frozen=True)
class ConfirmChecks(Op):
    """Save the detected checks to the project's `.rigtui.toml`."""

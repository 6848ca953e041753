# ruff: noqa: F401
# (the imports under TYPE_CHECKING are for type checkers: at run time names load lazily)
"""The protocol between the core and every front end, in one place: events flow up (what a
thread stores, what the TUI renders, what `rigtui exec --json` prints), ops flow down (what a
front end asks the session to do). Both are plain typed dataclasses; front ends dispatch on
their types (`match event: case PatchApplied(...)`), never on names.

    from rigtui.protocol import PatchApplied, Undo

Importing this package loads no event module: each name loads the module that defines it on
first use (PEP 562), so a front end that imports the protocol pays for its ~100 dataclasses
only when it first touches one, not before its first frame (bench/startup.py). `from_dict`
loads them all (every event type must be known to read a stored log back).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors; the same names as _MODULES (a test checks)
    from rigtui.protocol.base import Event, UnknownEvent, event_type, from_dict, now
    from rigtui.protocol.changes import (
        AUTO_APPLY,
        REVIEW,
        Decision,
        PatchApplied,
        PatchDecided,
        PatchProposed,
        PatchRecovered,
        PatchRedone,
        PatchRefused,
        PatchUndone,
        ProposedFile,
    )
    from rigtui.protocol.checks import (
        FINAL_STATES,
        CheckFinished,
        CheckLocation,
        CheckOutput,
        CheckQueued,
        CheckStarted,
        CheckState,
    )
    from rigtui.protocol.isolated import (
        TASK_STATES,
        DiscardIsolated,
        IsolatedTaskChanged,
        ReviewIsolated,
        StartIsolated,
    )
    from rigtui.protocol.ops import (
        Cancel,
        CompactThread,
        ConfirmChecks,
        DecideCommand,
        DecidePatch,
        DeleteThread,
        ForkThread,
        Note,
        Op,
        ProposePatch,
        Recover,
        Redo,
        RenameThread,
        ReviewLeftover,
        RunChecks,
        SendMessage,
        SetThreadModel,
        Undo,
    )
    from rigtui.protocol.project import IndexProgress, IndexReady, IndexUpdated, McpServerChanged
    from rigtui.protocol.threads import (
        AssistantMessage,
        Attachment,
        CheckSummary,
        Error,
        MessageDelta,
        MessageNotSent,
        MessageStarted,
        ModelChanged,
        Notice,
        PlanStep,
        PlanUpdated,
        TaskEnded,
        TaskStarted,
        ThreadCompacted,
        ThreadCreated,
        ThreadDeleted,
        ThreadForked,
        ThreadRenamed,
        UsageUpdated,
        UserMessage,
    )
    from rigtui.protocol.tools import (
        ArtifactsDetected,
        CommandApprovalRequested,
        CommandChanged,
        CommandDecided,
        LeftoversRemoved,
        SandboxSelected,
        ToolCallDelta,
        ToolCallFinished,
        ToolCallStarted,
    )

# The module that defines each public name.
_MODULES: dict[str, tuple[str, ...]] = {
    "base": ("Event", "UnknownEvent", "event_type", "from_dict", "now"),
    "changes": (
        "AUTO_APPLY",
        "REVIEW",
        "Decision",
        "PatchApplied",
        "PatchDecided",
        "PatchProposed",
        "PatchRecovered",
        "PatchRedone",
        "PatchRefused",
        "PatchUndone",
        "ProposedFile",
    ),
    "checks": (
        "FINAL_STATES",
        "CheckFinished",
        "CheckLocation",
        "CheckOutput",
        "CheckQueued",
        "CheckStarted",
        "CheckState",
    ),
    "isolated": (
        "TASK_STATES",
        "DiscardIsolated",
        "IsolatedTaskChanged",
        "ReviewIsolated",
        "StartIsolated",
    ),
    "ops": (
        "Cancel",
        "CompactThread",
        "ConfirmChecks",
        "DecideCommand",
        "DecidePatch",
        "DeleteThread",
        "ForkThread",
        "Note",
        "Op",
        "ProposePatch",
        "Recover",
        "Redo",
        "RenameThread",
        "ReviewLeftover",
        "RunChecks",
        "SendMessage",
        "SetThreadModel",
        "Undo",
    ),
    "project": ("IndexProgress", "IndexReady", "IndexUpdated", "McpServerChanged"),
    "threads": (
        "AssistantMessage",
        "Attachment",
        "CheckSummary",
        "Error",
        "MessageDelta",
        "MessageNotSent",
        "MessageStarted",
        "ModelChanged",
        "Notice",
        "PlanStep",
        "PlanUpdated",
        "TaskEnded",
        "TaskStarted",
        "ThreadCompacted",
        "ThreadCreated",
        "ThreadDeleted",
        "ThreadForked",
        "ThreadRenamed",
        "UsageUpdated",
        "UserMessage",
    ),
    "tools": (
        "ArtifactsDetected",
        "CommandApprovalRequested",
        "CommandChanged",
        "CommandDecided",
        "LeftoversRemoved",
        "SandboxSelected",
        "ToolCallDelta",
        "ToolCallFinished",
        "ToolCallStarted",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})


def load_all() -> None:
    """Import every event module (so that every event type is registered)."""
    for module in _MODULES:
        import_module(f"{__name__}.{module}")

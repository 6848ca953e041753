"""What every tool handler gets and returns. A handler is `async def run(ctx, args) -> str`
(or a `ToolOutput`); it raises `ToolError` for anything the model should be told and retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rigtui.agent.approvals import CommandDecision
from rigtui.config import Settings
from rigtui.protocol import CheckSummary, Decision, Event

if TYPE_CHECKING:  # types only: the tools load what they use when they run
    from rigtui.checks.runner import CheckRunner
    from rigtui.edits.engine import ApplyResult
    from rigtui.edits.prepare import Proposal
    from rigtui.index.api import CodeIndex
    from rigtui.sandbox.base import Sandbox


class ToolError(Exception):
    """A tool failed in a way the model can act on; its message goes back as the result."""


@dataclass
class TaskRecord:
    """What a task changed, for `TaskEnded`."""

    changed_files: list[str] = field(default_factory=list)
    change_sets: list[str] = field(default_factory=list)
    checks: list[CheckSummary] = field(default_factory=list)

    def add_files(self, paths: list[str]) -> None:
        self.changed_files += [p for p in paths if p not in self.changed_files]


class AskCommand(Protocol):
    """Ask whoever decides (a person, or the headless policy) whether a command may run."""

    async def __call__(
        self,
        command: str,
        cwd: str,
        reason: str,
        *,
        sandbox: str = "",
        outside_paths: list[str] | None = None,
        needs_person: bool = False,
    ) -> CommandDecision: ...


class ProjectServices(Protocol):
    """What the session's runtime lends the tools: one sandbox per thread, the live code
    index, the one check runner. Each may be unavailable (None, or a clear RigtuiError)."""

    async def sandbox(self, thread_id: str) -> Sandbox: ...

    async def code_index(self) -> CodeIndex | None: ...

    async def check_runner(self) -> CheckRunner: ...


class ChangeWriter(Protocol):
    """The session's change sets: the only writer of the project's files. `review` proposes
    a change set in the thread and waits for its decision (the person's edits applied to the
    proposal it returns; with `person`, never decided by the auto-apply policy); `apply` writes
    the accepted hunks, journals them and records the outcome in the thread (`PatchRefused`
    raised when nothing could be written)."""

    async def review(
        self, proposal: Proposal, *, thread_id: str, person: bool = False
    ) -> tuple[Proposal, Decision]: ...

    async def apply(
        self, proposal: Proposal, decision: Decision, *, thread_id: str
    ) -> ApplyResult: ...


@dataclass
class ToolContext:
    root: Path
    settings: Settings
    thread_id: str
    task_id: str
    record: TaskRecord
    emit: Callable[[Event], Awaitable[None]]
    ask_command: AskCommand
    services: ProjectServices | None = None  # the session's runtime, when there is one
    changes: ChangeWriter | None = None  # how a change set reaches the disk, when it may
    more_tools: ToolSource | None = None  # tools beside rigtui's own (MCP servers' tools)


@dataclass(frozen=True)
class ToolOutput:
    text: str
    summary: str = ""


Handler = Callable[[ToolContext, dict[str, Any]], Awaitable[str | ToolOutput]]


class ToolSource(Protocol):
    """Tools that come and go while a session runs (an MCP server's, while it is up)."""

    def tools(self) -> Mapping[str, Tool]:
        """The tools offered to the model now, by name."""
        ...

    def get(self, name: str) -> Tool | None:
        """A tool offered now or before (its server may be down: calling it starts it)."""
        ...


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Handler

    def schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def confine(root: Path, path: str) -> Path:
    """`path` (relative to the root, or absolute inside it) resolved; never outside the root."""
    if not isinstance(path, str) or not path.strip():
        raise ToolError("path must be a non-empty string")
    base = root.resolve()
    target = (base / path).resolve()
    if target != base and not target.is_relative_to(base):
        raise ToolError(f"{path}: outside the project root; use a path inside it")
    return target


def relative(root: Path, path: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix() or "."


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A JSON schema object."""
    return {"type": "object", "properties": properties, "required": required or []}

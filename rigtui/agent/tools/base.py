"""What every tool handler gets and returns. A handler is `async def run(ctx, args) -> str`
(or a `ToolOutput`); it raises `ToolError` for anything the model should be told and retry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rigtui.config import Settings
from rigtui.events import Event


class ToolError(Exception):
    """A tool failed in a way the model can act on; its message goes back as the result."""


@dataclass
class TaskRecord:
    """What a task changed, for `TaskEnded`."""

    changed_files: list[str] = field(default_factory=list)
    change_sets: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    def add_files(self, paths: list[str]) -> None:
        self.changed_files += [p for p in paths if p not in self.changed_files]


@dataclass(frozen=True)
class PatchDecision:
    accepted: list[str] | None  # None: every hunk
    rejected: list[str]
    comment: str = ""
    comments: dict[str, str] = field(default_factory=dict)
    edited: dict[str, str] = field(default_factory=dict)
    pending: bool = False
    policy: str = "review"


@dataclass(frozen=True)
class CommandDecision:
    approved: bool
    comment: str = ""
    by: str = "user"


@dataclass
class ToolContext:
    root: Path
    settings: Settings
    thread_id: str
    task_id: str
    record: TaskRecord
    emit: Callable[[Event], Awaitable[None]]
    # (command, cwd, reason, *, sandbox=name, outside_paths=[...], needs_person=False)
    # -> the person's decision
    ask_command: Callable[..., Awaitable[CommandDecision]]
    ask_patch: Callable[[Any], Awaitable[PatchDecision]]  # a rigtui.edits Proposal
    services: Any = None  # the session's shared helpers (sandbox, index), when present
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

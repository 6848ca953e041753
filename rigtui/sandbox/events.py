"""Sandbox events: which sandbox is in use (the UI always says), and the files a command
created or changed (the task's artifacts, openable in the code view)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.events import Event, event_type


@event_type
@dataclass(frozen=True, kw_only=True)
class SandboxSelected(Event):
    """Commands in this thread (or project-wide, thread_id '') run in `sandbox`
    ("docker:IMAGE", "local+bwrap", "local"); `note` says why, e.g. why not Docker."""

    sandbox: str
    note: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class ArtifactsDetected(Event):
    """Project files a command created, changed or deleted (paths relative to the root), or
    files a tool saved outside the project (an MCP tool's images: absolute paths)."""

    command: str
    sandbox: str
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    task_id: str = ""


@event_type
@dataclass(frozen=True, kw_only=True)
class LeftoversRemoved(Event):
    """Containers a killed rigtui left behind, removed at start."""

    containers: list[str]

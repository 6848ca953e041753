"""MCP events: a server's state changed (project-wide, thread_id ''; not stored)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.events import Event, event_type


@event_type
@dataclass(frozen=True, kw_only=True)
class McpServerChanged(Event):
    """Server `server` is now `state` (stopped, starting, up, failed) with `tools` offered.
    `notice`, when set, is the one line to tell the user (a failure not told before)."""

    server: str
    state: str
    tools: list[str] = field(default_factory=list)
    error: str = ""
    notice: str = ""
    up: int = 0  # servers up, of
    total: int = 0  # the servers enabled

"""Project-wide events of the session's runtime: the code index (progress, ready, updated),
the MCP servers it owns."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.protocol.base import Event, event_type


@event_type
@dataclass(frozen=True, kw_only=True)
class IndexProgress(Event):
    """`done` of `total` files read and parsed in the current run."""

    done: int
    total: int


@event_type
@dataclass(frozen=True, kw_only=True)
class IndexReady(Event):
    """A run finished: the index is up to date with the files on disk."""

    files: int
    symbols: int
    changed: int
    removed: int
    seconds: float
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> files
    warnings: dict[str, int] = field(default_factory=dict)  # non_utf8, syntax_error -> files
    unreadable: dict[str, str] = field(default_factory=dict)  # folder -> why it was skipped
    partial: list[str] = field(default_factory=list)  # files indexed in part (the first 20)


@event_type
@dataclass(frozen=True, kw_only=True)
class IndexUpdated(Event):
    """The live index took in saved, added or deleted files."""

    paths: list[str]
    seconds: float


@event_type
@dataclass(frozen=True, kw_only=True)
class McpServerChanged(Event):
    """MCP server `server` is now `state` (stopped, starting, up, failed) with `tools` offered
    (project-wide, thread_id ''; not stored). `notice`, when set, is the one line to tell the
    user (a failure not told before)."""

    server: str
    state: str
    tools: list[str] = field(default_factory=list)
    error: str = ""
    notice: str = ""
    up: int = 0  # servers up, of
    total: int = 0  # the servers enabled

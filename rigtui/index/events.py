"""Index events for the status bar and anyone else listening: progress, ready, updated."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigtui.events import Event, event_type


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


def partial_note(ready: IndexReady) -> str:
    """One line about the files indexed only in part (past the per-file caps), or ""."""
    from rigtui.display import safe_name
    from rigtui.index.extract import MAX_DEFS, MAX_REFS

    count = ready.warnings.get("partial", 0)
    if not count:
        return ""
    shown = ", ".join(safe_name(p) for p in ready.partial[:3])
    more = f" and {count - 3} more" if count > 3 else ""
    return (
        f"{shown}{more}: indexed in part (one file adds at most {MAX_DEFS:,} definitions and"
        f" {MAX_REFS:,} references; the first are kept)"
    )


def unreadable_note(unreadable: dict[str, str]) -> str:
    """One line about the folders the index skipped because they cannot be read, and the fix."""
    from rigtui.display import safe_name

    reasons = set(unreadable.values())
    same = len(reasons) == 1
    names = [
        safe_name(rel) if same else f"{safe_name(rel)} ({why})"
        for rel, why in sorted(unreadable.items())
    ]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    why = f" ({reasons.pop()})" if same else ""
    if len(names) == 1:
        return (
            f"{shown}: the folder cannot be read{why}, so its files are not indexed"
            " (check its permissions, or add it to .rigtuiignore)"
        )
    return (
        f"{len(names)} folders cannot be read{why}, so their files are not indexed: {shown}"
        " (check their permissions, or add them to .rigtuiignore)"
    )

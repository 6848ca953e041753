"""The per-file caps of the index, and one line each about what an index run left out: folders it could not read, files indexed
only in part. Said the same way by the CLI, the session and the workbench."""

from __future__ import annotations

from rigtui.display import safe_name
from rigtui.index.limits import MAX_DEFS, MAX_REFS
from rigtui.protocol import IndexReady


def partial_note(ready: IndexReady) -> str:
    """One line about the files indexed only in part (past the per-file caps), or ""."""
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

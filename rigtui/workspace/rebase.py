"""A task's changes as one change set against the project as it is now.

Where the project's file is still what the task started from, the task's version is taken as
it is. Where the project moved on, the two are merged three-way from the task's base
(rigtui.edits.merge): what only one side changed is kept, and a region both changed
differently becomes a conflict, written into the proposed file between git-style markers so
the review shows it as one (it is never applied without a person seeing it). A whole-file
conflict with nothing to mark (a file the task deleted that the project changed, a binary
file changed on both sides) is left out of the change set and reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rigtui.edits.diff import unified_diff
from rigtui.edits.fsops import ProjectFS
from rigtui.edits.merge import Merged, merge3
from rigtui.errors import RigtuiError
from rigtui.workspace.snapshot import FileChange

OURS_MARK = b"<<<<<<< project (now)\n"
SPLIT_MARK = b"=======\n"
THEIRS_MARK = b">>>>>>> task\n"


@dataclass(frozen=True)
class Conflict:
    path: str
    reason: str  # "2 regions changed on both sides", or the whole-file reason
    in_patch: bool  # shown in the change set between markers (else left out)


@dataclass
class Rebased:
    patch: str  # one unified diff, "" when nothing is left to apply
    paths: list[str] = field(default_factory=list)  # the files the patch touches
    merged: list[str] = field(default_factory=list)  # merged cleanly over the project's changes
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def rebase(project: Path, changes: list[FileChange]) -> Rebased:
    out = Rebased("")
    parts: list[str] = []
    with ProjectFS(project) as fs:
        for change in changes:
            try:
                now = fs.read(change.path)
            except RigtuiError as exc:  # a folder or an unreadable file stands there now
                out.conflicts.append(Conflict(change.path, exc.message, False))
                continue
            text = _one(change, now.data, now.mode, out)
            if text:
                parts.append(text)
                out.paths.append(change.path)
    out.patch = "".join(parts)
    return out


def _one(change: FileChange, current: bytes | None, mode: int | None, out: Rebased) -> str:
    if current == change.before and _x(mode) == _x(change.before_mode):
        after, after_mode = change.after, change.after_mode
    else:
        merged = merge3(change.before, current, change.after)
        after_mode = change.after_mode if _x(mode) == _x(change.before_mode) else mode
        if merged.clean:
            after = merged.data
            if after != current:
                out.merged.append(change.path)
        elif merged.conflicts:
            after = _with_markers(merged)
            regions = len(merged.conflicts)
            reason = f"{regions} region{'s' if regions > 1 else ''} changed on both sides"
            out.conflicts.append(_conflict(change.path, reason, True))
        else:
            out.conflicts.append(_conflict(change.path, merged.whole_file, False))
            return ""
    if after == current and _x(after_mode) == _x(mode):
        return ""
    return unified_diff(
        change.path, current, after, before_mode=mode if current is not None else None,
        after_mode=after_mode if after is not None else None,
    )  # fmt: skip


def _conflict(path: str, reason: str, in_patch: bool) -> Conflict:
    return Conflict(path, reason, in_patch)


def _with_markers(merged: Merged) -> bytes:
    """The merged file (the project's lines where they conflict) with each conflict written
    out: the project's lines, then the task's, between markers."""
    lines = (merged.data or b"").splitlines(keepends=True)
    for c in sorted(merged.conflicts, key=lambda c: c.start, reverse=True):
        block = [OURS_MARK, *_ended(c.ours), SPLIT_MARK, *_ended(c.theirs), THEIRS_MARK]
        lines[c.start : c.end] = block
    return b"".join(lines)


def _ended(lines: tuple[bytes, ...]) -> list[bytes]:
    """A last line without its newline gets one, so the marker after it stays a line."""
    out = list(lines)
    if out and not out[-1].endswith(b"\n"):
        out[-1] += b"\n"
    return out


def _x(mode: int | None) -> bool:
    return bool(mode and mode & 0o100)

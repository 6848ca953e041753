"""The change-set model: what a patch proposes, whatever format it came in.

A change set holds files; an update holds hunks; a hunk holds lines tagged ' ' (context),
'-' (removed) or '+' (added). Hunk ids ("1.2": file 1, hunk 2) are the unit the user accepts or
rejects, and what decision events name.

A git mode change of an updated file (`old mode 100644` / `new mode 100755`) is a hunk of its
own, with no lines and always the file's first, so it is accepted or rejected like any other.
A new or deleted file's mode (`new file mode 100755`) belongs to the file, not to a hunk.
Modes are git's: 0o100644 or 0o100755; only the executable bit is ever applied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Literal, NamedTuple

if TYPE_CHECKING:
    from rigtui.edits.binary import BinaryPatch

FileKind = Literal["add", "delete", "update"]
REGULAR, EXECUTABLE = 0o100644, 0o100755


def format_mode(mode: int) -> str:
    return f"{mode:06o}"


def git_mode(permissions: int) -> int:
    """What git records for a regular file with these permission bits (the owner's x bit)."""
    return EXECUTABLE if permissions & 0o100 else REGULAR


def with_git_mode(permissions: int, mode: int) -> int:
    """`permissions` made executable or not as `mode` says, keeping every other choice: x is
    added where r is (0o644 -> 0o755, 0o600 -> 0o700), like git's 0o777 under a 0o022 umask."""
    if mode == EXECUTABLE:
        return permissions | 0o100 | (permissions & 0o444) >> 2
    return permissions & ~0o111


class HunkLine(NamedTuple):
    """One line of a hunk. A named tuple, not a dataclass: a release diff has tens of
    thousands of them, and a tuple is made several times faster."""

    op: Literal[" ", "-", "+"]
    text: str


@dataclass(frozen=True)
class Hunk:
    """One contiguous change. `old_start`/`new_start` are 1-based line numbers from a unified
    header (None for apply_patch hunks, which are located by context only)."""

    id: str
    lines: tuple[HunkLine, ...]
    anchor: str = ""  # apply_patch `@@ some line`: the hunk comes after this line
    old_start: int | None = None
    new_start: int | None = None
    end_of_file: bool = False  # apply_patch `*** End of File`: the hunk ends the file
    old_no_newline: bool = False  # unified `\ No newline at end of file` on the old side
    new_no_newline: bool = False
    section: str = ""  # text after the second `@@` of a unified header (a function name)
    mode_change: tuple[int, int] | None = None  # (old, new) git modes: a hunk with no lines
    # a whole binary file's change, no lines: (old size, new size), None for an absent side
    binary: tuple[int | None, int | None] | None = None

    @property
    def binary_text(self) -> str:
        """`binary, 1,024 → 2,048 bytes` for a binary hunk, "" for a hunk of lines."""
        if self.binary is None:
            return ""
        old, new = (f"{n:,} bytes" if n is not None else "absent" for n in self.binary)
        return f"binary, {old} → {new}"

    @property
    def mode_text(self) -> str:
        """`100644 → 100755` for a mode-change hunk, "" for a hunk of lines."""
        if self.mode_change is None:
            return ""
        old, new = self.mode_change
        return f"{format_mode(old)} → {format_mode(new)}"

    def with_id(self, hunk_id: str) -> Hunk:
        """This hunk under another id: `dataclasses.replace` without its per-field work (a
        release diff numbers thousands of hunks); the lines computed once come along."""
        if hunk_id == self.id:
            return self
        copy = object.__new__(Hunk)
        copy.__dict__.update(self.__dict__)
        copy.__dict__["id"] = hunk_id
        return copy

    # Computed once per hunk (locating and applying ask several times); a frozen dataclass
    # keeps them in its __dict__, outside its fields, equality and hash. Callers never
    # mutate the lists they get.
    @cached_property
    def old_lines(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.op != "+"]

    @cached_property
    def new_lines(self) -> list[str]:
        return [ln.text for ln in self.lines if ln.op != "-"]

    @property
    def added(self) -> int:
        return len(self.lines) - len(self.old_lines)  # every line not on the old side

    @property
    def removed(self) -> int:
        return len(self.lines) - len(self.new_lines)

    def header(self, old_index: int | None = None, new_index: int | None = None) -> str:
        """A unified `@@ -a,b +c,d @@` header; indexes are 0-based positions when known."""
        old_len, new_len = len(self.old_lines), len(self.new_lines)
        a = (old_index if old_index is not None else (self.old_start or 1) - 1) + 1
        c = (new_index if new_index is not None else (self.new_start or a) - 1) + 1
        if old_len == 0:
            a -= 1
        if new_len == 0:
            c -= 1
        tail = f" {self.section or self.anchor}".rstrip()
        return f"@@ -{a},{old_len} +{c},{new_len} @@{tail}"

    def to_text(self, old_index: int | None = None, new_index: int | None = None) -> str:
        """The hunk as unified diff text (what `$EDITOR` shows and what events carry)."""
        if self.mode_change is not None:
            old, new = self.mode_change
            return f"old mode {format_mode(old)}\nnew mode {format_mode(new)}\n"
        out = [self.header(old_index, new_index)]
        for line in self.lines:
            out.append(f"{line.op}{line.text}")
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class FileChange:
    kind: FileKind
    path: str
    hunks: tuple[Hunk, ...] = ()
    move_to: str | None = None
    mode: int | None = None  # `new file mode` of an add, `deleted file mode` of a delete
    binary: BinaryPatch | None = None  # `GIT binary patch`: the whole file's new bytes

    @property
    def target(self) -> str:
        return self.move_to or self.path

    @property
    def mode_hunk(self) -> Hunk | None:
        """An update's mode-change hunk, if it changes the file's mode."""
        return next((h for h in self.hunks if h.mode_change is not None), None)

    @cached_property
    def content_hunks(self) -> tuple[Hunk, ...]:
        return tuple(h for h in self.hunks if h.mode_change is None)

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)

    @property
    def label(self) -> str:
        if self.move_to:
            return f"{self.path} → {self.move_to}"
        return self.path


def new_change_set_id() -> str:
    return os.urandom(6).hex()  # 12 hex digits (uuid would import `platform`)


@dataclass(frozen=True)
class ChangeSet:
    files: tuple[FileChange, ...]
    id: str = field(default_factory=new_change_set_id)
    source: str = ""  # the patch text it was parsed from (kept for the journal and events)

    def hunk_ids(self) -> list[str]:
        return [h.id for f in self.files for h in f.hunks]

    def hunk(self, hunk_id: str) -> tuple[FileChange, Hunk]:
        for f in self.files:
            for h in f.hunks:
                if h.id == hunk_id:
                    return f, h
        raise KeyError(hunk_id)

    def with_hunk(self, hunk_id: str, new: Hunk) -> ChangeSet:
        """A copy with one hunk replaced (after an edit); the id stays the same."""
        files = tuple(
            replace(
                f, hunks=tuple(replace(new, id=h.id) if h.id == hunk_id else h for h in f.hunks)
            )
            for f in self.files
        )
        return replace(self, files=files)

    @property
    def paths(self) -> list[str]:
        out: list[str] = []
        for f in self.files:
            out.append(f.path)
            if f.move_to:
                out.append(f.move_to)
        return out


def number_hunks(files: list[FileChange]) -> tuple[FileChange, ...]:
    """Give every hunk its stable id `file.hunk` (both 1-based)."""
    out = []
    for fi, f in enumerate(files, start=1):
        hunks = tuple(h.with_id(f"{fi}.{hi}") for hi, h in enumerate(f.hunks, start=1))
        out.append(replace(f, hunks=hunks))
    return tuple(out)

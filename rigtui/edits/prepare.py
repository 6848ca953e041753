"""Turn a parsed change set into a `Proposal`: every path confined to the project, every file
read once (that snapshot is what gets hashed, shown and later checked), every hunk located.

A proposal computes the bytes to write for any subset of accepted hunks; nothing here writes.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

from rigtui.display import safe_name
from rigtui.edits.binary import blob_id
from rigtui.edits.binary import result as binary_result
from rigtui.edits.errors import PatchRefused
from rigtui.edits.fsops import LINK, ProjectFS
from rigtui.edits.locate import Lines, Match, locate
from rigtui.edits.model import (
    EXECUTABLE,
    ChangeSet,
    FileChange,
    Hunk,
    HunkLine,
    format_mode,
    git_mode,
    with_git_mode,
)
from rigtui.edits.parse import parse_hunk
from rigtui.edits.safety import Confiner
from rigtui.edits.textfile import BOM, SURROGATES, TextFile, sha256


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


NEW_FILE_MODE = _default_mode()


@dataclass(frozen=True)
class Snapshot:
    """A file as it was when the change set was proposed (None: absent)."""

    data: bytes | None
    mode: int | None
    # what lstat said when it was read: unchanged since, the file need not be read again
    signature: tuple[int, ...] | None = None


@dataclass(frozen=True)
class FileWrite:
    """One path's change: `before` and `after` bytes (None: the file is absent)."""

    path: str
    before: bytes | None
    after: bytes | None
    before_mode: int | None = None
    after_mode: int | None = None


@dataclass(frozen=True)
class LocatedHunk:
    hunk: Hunk
    match: Match | None  # None for whole-file hunks (add, delete, pure rename) and mode changes


@dataclass
class PreparedFile:
    change: FileChange
    source: str  # normalised path relative to the root
    target: str  # where the result goes (differs from source for a move)
    text: TextFile | None  # the source's content (None when it does not exist yet)
    located: list[LocatedHunk]
    overwrites: bool = False  # an `Add File` whose path already holds a file (it is replaced)
    binary_after: bytes | None = None  # a git binary patch's result (None: not binary)

    @property
    def hunk_ids(self) -> list[str]:
        return [lh.hunk.id for lh in self.located]

    def after_bytes(self, accepted: set[str], before: bytes | None) -> bytes:
        """The new content; a rename or a mode change alone keeps the bytes exactly (binary
        files included: they are never decoded)."""
        if self.binary_after is not None:
            chosen = any(
                lh.hunk.binary is not None and lh.hunk.id in accepted for lh in self.located
            )
            return self.binary_after if chosen or before is None else before
        if self.change.kind == "update" and not any(
            lh.match is not None and lh.hunk.id in accepted for lh in self.located
        ):
            assert before is not None
            return before
        if self.text is not None and self.text.plain:
            return self._after_plain(accepted)
        return self.after(accepted).encode()

    def _accepted(self, accepted: set[str]) -> list[LocatedHunk]:
        """The accepted hunks that were found, in file order."""
        return [lh for lh in self.located if lh.hunk.id in accepted and lh.match is not None]

    def _after_plain(self, accepted: set[str]) -> bytes:
        """`after(accepted).encode()` for a file whose every line ends in LF (but maybe the
        last): the endings say nothing, so only the lines are spliced, and joined once."""
        old = self.text
        assert old is not None
        lines: list[str] = []
        final = old.final_newline
        pos = 0
        for lh in self._accepted(accepted):
            start = lh.match.index  # type: ignore[union-attr]
            lines += old.lines[pos:start]
            i = start
            if lh.match.level == 0:  # type: ignore[union-attr]
                # An exact match: the file's lines are the hunk's, its new side is the result.
                lines += lh.hunk.new_lines
                i += len(lh.hunk.old_lines)
            else:
                for line in lh.hunk.lines:
                    if line.op == "+":
                        lines.append(line.text)
                        continue
                    if line.op == " ":
                        lines.append(old.lines[i])  # the file's own line (a fuzzy match differs)
                    i += 1
            pos = i
            final = _final_newline(lh, i == len(old.lines), final)
        lines += old.lines[pos:]
        text = "\n".join(lines) + ("\n" if final and lines else "")
        return (BOM if old.bom else b"") + text.encode("utf-8", SURROGATES)

    def after_mode(self, accepted: set[str], before: int | None) -> int:
        """The permissions to write: the file's own (a new file's default), made executable or
        not when the patch says so (a new file's mode, or an accepted mode-change hunk)."""
        mode = before if before is not None and before != LINK else NEW_FILE_MODE
        stated = self.change.mode if self.change.kind == "add" else None
        for lh in self.located:
            if lh.hunk.mode_change is not None and lh.hunk.id in accepted:
                stated = lh.hunk.mode_change[1]
        return mode if stated is None else with_git_mode(mode, stated)

    def after(self, accepted: set[str]) -> TextFile:
        """The file with only the accepted hunks applied, in order (later hunks' positions are
        from the original file, so they need no shifting here)."""
        if self.change.kind == "add":
            hunk = self.located[0].hunk
            text = TextFile.from_text("")
            return text.rebuilt(
                list(hunk.new_lines), [""] * len(hunk.new_lines), not hunk.new_no_newline
            )
        assert self.text is not None
        old = self.text
        lines: list[str] = []
        endings: list[str] = []
        final = old.final_newline
        pos = 0
        for lh in self._accepted(accepted):
            start = lh.match.index  # type: ignore[union-attr]
            lines += old.lines[pos:start]
            endings += old.endings[pos:start]
            i = start
            removed_endings: list[str] = []  # a replacing line keeps the ending it replaces
            for line in lh.hunk.lines:
                if line.op == "+":
                    lines.append(line.text)
                    endings.append(removed_endings.pop(0) if removed_endings else "")
                    continue
                if line.op == " ":
                    removed_endings.clear()
                    lines.append(old.lines[i])
                    endings.append(old.endings[i])
                else:
                    removed_endings.append(old.endings[i])
                i += 1
            pos = i
            final = _final_newline(lh, i == len(old.lines), final)
        lines += old.lines[pos:]
        endings += old.endings[pos:]
        return old.rebuilt(lines, endings, final)


def _final_newline(lh: LocatedHunk, at_end: bool, final: bool) -> bool:
    """Whether the result ends in a newline, once a hunk reaching the file's end is applied."""
    if at_end and lh.hunk.new_no_newline:
        return False
    if at_end and lh.hunk.old_no_newline:
        return True
    return final


@dataclass
class Proposal:
    root: Path
    change_set: ChangeSet
    files: list[PreparedFile]
    snapshot: dict[str, Snapshot] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.change_set.id

    def hunk_ids(self) -> list[str]:
        return [i for f in self.files for i in f.hunk_ids]

    def base_hashes(self) -> dict[str, str | None]:
        return {path: sha256(snap.data) for path, snap in self.snapshot.items()}

    def writes(self, accepted: set[str] | None = None) -> list[FileWrite]:
        """What applying the accepted hunks (all when None) would write, path by path."""
        chosen = set(self.hunk_ids()) if accepted is None else set(accepted)
        out: list[FileWrite] = []
        for pf in self.files:
            if not chosen.intersection(pf.hunk_ids):
                continue
            src = self.snapshot[pf.source]
            if pf.change.kind == "delete":
                out.append(FileWrite(pf.source, src.data, None, src.mode, None))
                continue
            after = pf.after_bytes(chosen, src.data)
            mode = pf.after_mode(chosen, src.mode)
            if pf.target != pf.source:
                dst = self.snapshot[pf.target]
                out.append(FileWrite(pf.source, src.data, None, src.mode, None))
                out.append(FileWrite(pf.target, dst.data, after, dst.mode, mode))
            else:
                out.append(FileWrite(pf.source, src.data, after, src.mode, mode))
        return out

    def with_edited_hunk(self, hunk_id: str, text: str) -> Proposal:
        """Replace one hunk by the user's edited version and re-validate it against the same
        snapshot; raises `PatchSyntaxError` or `PatchRefused` when it no longer fits."""
        change, hunk = self.change_set.hunk(hunk_id)
        if hunk.mode_change is not None:
            raise PatchRefused(
                f"hunk {hunk_id} changes the mode of {change.path} ({hunk.mode_text})",
                fix="a mode change cannot be edited; accept or reject it instead",
            )
        if change.kind != "update" or hunk.binary is not None:
            raise PatchRefused(
                f"hunk {hunk_id} ({change.kind} {change.path}) is a whole-file change",
                fix="only hunks of updated files can be edited; accept or reject it instead",
            )
        edited = parse_hunk(text)
        return prepare(self.root, self.change_set.with_hunk(hunk_id, edited), self.snapshot)


def prepare(
    root: Path, change_set: ChangeSet, snapshot: dict[str, Snapshot] | None = None
) -> Proposal:
    """Read, confine and locate. `snapshot` re-uses earlier reads (after an edit) instead of
    the disk. Raises `PatchRefused` naming the file and the problem; reads only."""
    root = Path(root).resolve()
    snap: dict[str, Snapshot] = {}
    files: list[PreparedFile] = []
    changes: list[FileChange] = []

    confine = Confiner(root)

    def take(fs: ProjectFS, rel_given: str, follow_last: bool) -> tuple[str, Snapshot]:
        _, rel = confine(rel_given, follow_last=follow_last)
        if rel in snap:
            raise PatchRefused(
                f"{safe_name(rel)}: the patch names this file twice", fix="merge its sections"
            )
        if snapshot and rel in snapshot:
            snap[rel] = snapshot[rel]
        else:
            entry = fs.read(rel)
            snap[rel] = Snapshot(entry.data, entry.mode, entry.signature)
        return rel, snap[rel]

    with ProjectFS(root) as fs:
        for fi, change in enumerate(change_set.files, start=1):
            # An update edits a symlink's target; adding or deleting acts on the link itself.
            source, src = take(fs, change.path, follow_last=change.kind == "update")
            target = take(fs, change.move_to, False)[0] if change.move_to else source
            pf = _prepare_file(change, fi, source, target, src)
            files.append(pf)
            changes.append(pf.change)
    return Proposal(root, replace(change_set, files=tuple(changes)), files, snap)


def _whole(fi: int, lines: list[HunkLine]) -> Hunk:
    return Hunk(f"{fi}.1", tuple(lines))


def _prepare_file(
    change: FileChange, fi: int, source: str, target: str, src: Snapshot
) -> PreparedFile:
    if change.binary is not None:
        return _prepare_binary(change, fi, source, target, src)
    if change.kind == "add":
        hunk = change.hunks[0] if change.hunks else _whole(fi, [])
        hunk = replace(hunk, id=f"{fi}.1")
        change = replace(change, hunks=(hunk,))
        located = [LocatedHunk(hunk, None)]
        return PreparedFile(change, source, target, None, located, overwrites=src.data is not None)
    if src.data is None:
        verb = "delete" if change.kind == "delete" else "update"
        raise PatchRefused(
            f"{safe_name(source)}: cannot {verb} it: no such file",
            fix="check the path; the model may have a stale view of the project",
        )
    if change.kind == "delete":
        try:
            if src.mode == LINK:  # the link itself goes; its target is not its content
                raise PatchRefused(f"{source}: a symbolic link")
            text = TextFile.decode(src.data, source)
            lines = [HunkLine("-", s) for s in text.lines]
        except PatchRefused:  # deleting a binary or non-UTF-8 file is fine; showing it is not
            text, lines = None, []
        hunk = _whole(fi, lines)
        return PreparedFile(replace(change, hunks=(hunk,)), source, target, text, [LocatedHunk(hunk, None)])  # fmt: skip
    located = [LocatedHunk(h, None) for h in change.hunks if h.mode_change is not None]
    for lh in located:
        _check_old_mode(source, src, lh.hunk)
    if not change.content_hunks:  # a pure rename or mode change: the bytes are not read
        if not located:
            hunk = _whole(fi, [])
            change, located = replace(change, hunks=(hunk,)), [LocatedHunk(hunk, None)]
        return PreparedFile(change, source, target, None, located)
    text = TextFile.decode(src.data, source)
    located += _locate_all(change, source, text)
    return PreparedFile(change, source, target, text, located)


def _prepare_binary(
    change: FileChange, fi: int, source: str, target: str, src: Snapshot
) -> PreparedFile:
    """A `GIT binary patch`: the whole file's new bytes, checked against the ids git wrote."""
    patch = change.binary
    assert patch is not None
    shown = safe_name(source)
    if change.kind != "add" and src.data is None:
        raise PatchRefused(f"{shown}: cannot change it: no such file", fix="check the path")
    if change.kind != "add" and not _same_blob(patch.old_id, src.data):
        raise PatchRefused(
            f"{shown}: the binary file changed since the patch was made (git id"
            f" {blob_id(src.data or b'')[:10]}, the patch expects {patch.old_id})",
            fix="ask for a patch made against the current file",
        )
    after = None if change.kind == "delete" else binary_result(patch.forward, src.data, source)
    if after is not None and not _same_blob(patch.new_id, after):
        raise PatchRefused(f"{shown}: the binary patch does not make the file it names")
    located = [LocatedHunk(h, None) for h in change.hunks if h.mode_change is not None]
    for lh in located:
        _check_old_mode(source, src, lh.hunk)
    old_size = None if src.data is None or change.kind == "add" else len(src.data)
    hunk = Hunk(
        f"{fi}.{len(located) + 1}", (), binary=(old_size, None if after is None else len(after))
    )
    located.append(LocatedHunk(hunk, None))
    overwrites = change.kind == "add" and src.data is not None
    return PreparedFile(replace(change, hunks=tuple(lh.hunk for lh in located)), source, target,
                        None, located, overwrites=overwrites, binary_after=after)  # fmt: skip


def _same_blob(expected: str, data: bytes | None) -> bool:
    """Whether `data` is the blob git named (an abbreviated id; none or zeros: anything)."""
    if not expected or set(expected) == {"0"}:
        return True
    return data is not None and blob_id(data).startswith(expected)


def _check_old_mode(path: str, src: Snapshot, hunk: Hunk) -> None:
    """A mode change is refused, like a content conflict, unless the file has its old mode."""
    assert hunk.mode_change is not None and src.mode is not None
    old, new = hunk.mode_change
    actual = git_mode(src.mode)
    if actual == old:
        return
    already = "; it already has the new mode" if actual == new else ""
    flag = "+x" if old == EXECUTABLE else "-x"
    raise PatchRefused(
        f"{path}: its mode is {format_mode(actual)}, but the patch expects old mode"
        f" {format_mode(old)} (and changes it to {format_mode(new)}){already}",
        fix=f"`chmod {flag} {shlex.quote(path)}` to match the patch, or ask for a patch made"
        " against the file's current mode",
    )


def _locate_all(change: FileChange, path: str, text: TextFile) -> list[LocatedHunk]:
    lines = Lines(text.lines)
    cursor = offset = 0
    located = []
    for hunk in change.content_hunks:
        hint = None
        expected = 0
        if hunk.old_start is not None:
            expected = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
            hint = expected + offset
        match = locate(lines, hunk, cursor, path, hint)
        if hint is not None:
            offset = match.index - expected
        cursor = match.index + len(hunk.old_lines)
        located.append(LocatedHunk(hunk, match))
    return located


def file_mode_text(pf: PreparedFile) -> str:
    """`mode 100644 → 100755` for a mode change, `mode 100755` for a new executable, else ""."""
    change = pf.change
    if change.mode_hunk is not None:
        return f"mode {change.mode_hunk.mode_text}"
    if change.kind == "add" and change.mode == EXECUTABLE:
        return f"mode {format_mode(EXECUTABLE)}"
    return ""

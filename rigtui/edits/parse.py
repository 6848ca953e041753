"""Parse patch text into one `ChangeSet`: the apply_patch envelope models write
(`*** Begin Patch` ... `*** End Patch`) and unified diffs (`git diff`, `diff -u`).

Parsing only reads text; it never touches the disk. Locating hunks is `locate.py`'s job.
"""

from __future__ import annotations

import re

from rigtui.edits.errors import PatchSyntaxError
from rigtui.edits.model import (
    EXECUTABLE,
    REGULAR,
    ChangeSet,
    FileChange,
    Hunk,
    HunkLine,
    number_hunks,
)

BEGIN, END = "*** Begin Patch", "*** End Patch"
ADD, DELETE, UPDATE, MOVE = (
    "*** Add File: ",
    "*** Delete File: ",
    "*** Update File: ",
    "*** Move to: ",
)
END_OF_FILE = "*** End of File"
FILE_HEADERS = (ADD, DELETE, UPDATE)


def parse_patch(text: str) -> ChangeSet:
    """Parse either format; raises `PatchSyntaxError` naming the line that is wrong."""
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()  # the text's final newline ends the last line; it is not an empty line
    if any(ln.strip() == BEGIN for ln in lines):
        files = _parse_envelope(lines)
    elif any(ln.startswith(("--- ", "diff --git ", "@@ ")) for ln in lines):
        files = _parse_unified(lines)
    else:
        raise PatchSyntaxError(
            "not a patch: expected `*** Begin Patch` (apply_patch) or `---`/`+++` headers"
            " (unified diff)",
            fix="pass the patch text the model wrote, or `git diff` output",
        )
    if not files:
        raise PatchSyntaxError("the patch changes no files", fix="add at least one file operation")
    return ChangeSet(files=number_hunks(files), source=text)


# --- apply_patch envelope ------------------------------------------------------------------


def _is_marker(line: str) -> bool:
    s = line.strip()
    return s == END or s.startswith(FILE_HEADERS) or s.startswith("*** ") and s != END_OF_FILE


def _parse_envelope(lines: list[str]) -> list[FileChange]:
    start = next(i for i, ln in enumerate(lines) if ln.strip() == BEGIN)
    end = next((i for i in range(len(lines) - 1, start, -1) if lines[i].strip() == END), None)
    if end is None:
        raise PatchSyntaxError(
            "the patch has `*** Begin Patch` but no `*** End Patch`",
            fix="end the patch with a line `*** End Patch`",
        )
    files: list[FileChange] = []
    i = start + 1
    while i < end:
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        lineno = i + 1
        if line.startswith(ADD):
            i, change = _parse_add(lines, i + 1, end, _path(line, ADD, lineno))
        elif line.startswith(DELETE):
            change, i = FileChange("delete", _path(line, DELETE, lineno)), i + 1
        elif line.startswith(UPDATE):
            i, change = _parse_update(lines, i + 1, end, _path(line, UPDATE, lineno))
        else:
            raise PatchSyntaxError(
                f"line {lineno}: {line!r} is not a file operation",
                fix="use `*** Add File:`, `*** Delete File:` or `*** Update File:`",
            )
        files.append(change)
    return files


def _path(line: str, prefix: str, lineno: int) -> str:
    path = line[len(prefix) :].strip()
    if not path:
        raise PatchSyntaxError(f"line {lineno}: {prefix.strip()} has no path")
    return path


def _parse_add(lines: list[str], i: int, end: int, path: str) -> tuple[int, FileChange]:
    body: list[HunkLine] = []
    while i < end and not _is_marker(lines[i]):
        line = lines[i]
        if line.startswith("+"):
            body.append(HunkLine("+", line[1:]))
        elif line.strip():
            raise PatchSyntaxError(
                f"line {i + 1}: in `*** Add File: {path}` every line must start with `+`,"
                f" got {line!r}"
            )
        i += 1
    return i, FileChange("add", path, (Hunk("", tuple(body)),))


def _parse_update(lines: list[str], i: int, end: int, path: str) -> tuple[int, FileChange]:
    move_to = None
    if i < end and lines[i].strip().startswith(MOVE):
        move_to = _path(lines[i].strip(), MOVE, i + 1)
        i += 1
    hunks: list[Hunk] = []
    current: list[HunkLine] | None = None
    anchor, eof = "", False

    def close() -> None:
        if current is not None:
            if not current:
                raise PatchSyntaxError(f"{path}: a hunk has no lines", fix="remove the empty `@@`")
            hunks.append(Hunk("", tuple(current), anchor=anchor, end_of_file=eof))

    while i < end and not _is_marker(lines[i]):
        line = lines[i]
        if line.strip() == END_OF_FILE:
            eof = True
        elif line.startswith("@@"):
            close()
            current, anchor, eof = [], line[2:].strip(), False
        elif line[:1] in (" ", "-", "+") or line == "":
            if current is None:  # the first hunk may omit its `@@`
                current, anchor, eof = [], "", False
            op = line[:1] or " "
            current.append(HunkLine(op, line[1:]))  # type: ignore[arg-type]
        else:
            raise PatchSyntaxError(
                f"line {i + 1}: {line!r} in `*** Update File: {path}` is not a hunk line",
                fix="start each line with ' ' (context), '-' (remove) or '+' (add)",
            )
        i += 1
    close()
    hunks = [_trim_trailing_blank(h) for h in hunks]
    if not hunks and not move_to:
        raise PatchSyntaxError(
            f"`*** Update File: {path}` has no hunks", fix="add `@@` hunks or drop the section"
        )
    return i, FileChange("update", path, tuple(hunks), move_to)


def _trim_trailing_blank(hunk: Hunk) -> Hunk:
    """Models often leave a blank line before the next header; it is not real context."""
    lines = list(hunk.lines)
    while len(lines) > 1 and lines[-1] == HunkLine(" ", "") and lines[-2].op != " ":
        lines.pop()
    return (
        Hunk(hunk.id, tuple(lines), anchor=hunk.anchor, end_of_file=hunk.end_of_file)
        if len(lines) != len(hunk.lines)
        else hunk
    )


# --- unified diff --------------------------------------------------------------------------

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
DEV_NULL = "/dev/null"


def _diff_path(raw: str) -> str:
    path = raw.split("\t", 1)[0].strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        path = path.encode("latin-1").decode("utf-8", "replace")
    return path


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) and path != DEV_NULL else path


MODE_LINES = ("old mode ", "new mode ", "new file mode ", "deleted file mode ")
UNSUPPORTED_MODES = {
    0o120000: ("a symbolic link", "create or change the link with `ln -s`, or apply it with git"),
    0o160000: ("a submodule (gitlink)", "update the submodule with git"),
    0o040000: ("a folder", "patches change files only"),
}


def _git_mode(line: str, lineno: int) -> int:
    """The mode a `old mode`/`new mode`/`new file mode`/`deleted file mode` line states: a
    regular file's, 100644 or 100755 (older gits wrote 100664: it is 100644)."""
    word = line.rsplit(" ", 1)[-1]
    try:
        mode = int(word, 8)
    except ValueError:
        raise PatchSyntaxError(
            f"line {lineno}: {line!r} has no octal file mode", fix="expected e.g. `100755`"
        ) from None
    kind = mode & 0o170000
    if kind in UNSUPPORTED_MODES:
        what, fix = UNSUPPORTED_MODES[kind]
        raise PatchSyntaxError(
            f"line {lineno}: `{line}`: mode {word} is {what}; rigtui patches regular files only",
            fix=fix,
        )
    if kind != 0o100000 or len(word) != 6:
        raise PatchSyntaxError(
            f"line {lineno}: `{line}` is not a regular file's mode",
            fix="regular files are 100644 or 100755",
        )
    return EXECUTABLE if mode & 0o100 else REGULAR


def _git_header_names(rest: str) -> tuple[str | None, str | None]:
    """The names in `diff --git a/P b/Q`. Unless renamed, P == Q, which finds the middle even
    when the path itself holds " b/"."""
    half = (len(rest) - 1) // 2
    if (
        rest.startswith("a/")
        and rest[half : half + 3] == " b/"
        and rest[half + 3 :] == rest[2:half]
    ):
        return rest[:half], rest[half + 1 :]
    parts = rest.split(" b/", 1)
    return (parts[0], "b/" + parts[1]) if len(parts) == 2 else (None, None)


class _FileBuilder:
    def __init__(self) -> None:
        self.old: str | None = None
        self.new: str | None = None
        self.rename_from: str | None = None
        self.rename_to: str | None = None
        self.new_file = False
        self.deleted = False
        self.git = False
        self.hunks: list[Hunk] = []
        self.modes: dict[str, tuple[int, int]] = {}  # mode line's start -> (mode, line number)
        self.named = False  # its `---`/`+++` lines were read

    def takes_names(self, old: str) -> bool:
        """Whether a `---` line is this git section's own (else it starts the next file: a
        section with only mode lines must not lend them to a plain diff after it)."""
        if not self.git or self.named or self.hunks:
            return False
        return self.old is None or old in (self.old, DEV_NULL)

    def set_mode(self, line: str, lineno: int) -> None:
        start = next(m for m in MODE_LINES if line.startswith(m))
        self.modes[start] = (_git_mode(line, lineno), lineno)
        if start == "new file mode ":
            self.new_file = True
        elif start == "deleted file mode ":
            self.deleted = True

    @property
    def has_change(self) -> bool:
        whole_file = self.rename_to or self.new_file or self.deleted
        return bool(self.hunks or whole_file or self.mode_hunk())

    def mode_hunk(self) -> list[Hunk]:
        """The `old mode`/`new mode` pair as a hunk (none when they agree)."""
        old, new = self.modes.get("old mode "), self.modes.get("new mode ")
        if old is not None and new is not None:
            return [Hunk("", (), mode_change=(old[0], new[0]))] if old[0] != new[0] else []
        if old is None and new is None:
            return []
        given, missing = ("old", "new") if new is None else ("new", "old")
        raise PatchSyntaxError(
            f"line {self.modes[given + ' mode '][1]}: `{given} mode` without `{missing} mode`",
            fix="a mode change needs both lines, as git writes them",
        )

    def build(self, lineno: int) -> FileChange:
        old, new = self.rename_from or self.old, self.rename_to or self.new
        if self.git or (old or "").startswith("a/") and (new or "").startswith("b/"):
            old = _strip_prefix(old or "", "a/") if old and not self.rename_from else old
            new = _strip_prefix(new or "", "b/") if new and not self.rename_to else new
        if old is None and new is None:
            raise PatchSyntaxError(f"line {lineno}: a diff section has no file names")
        if self.new_file or old == DEV_NULL:
            mode = self.modes.get("new file mode ", (None,))[0]
            return FileChange("add", new or "", tuple(self.hunks), mode=mode)
        if self.deleted or new == DEV_NULL:
            mode = self.modes.get("deleted file mode ", (None,))[0]
            return FileChange("delete", old or "", tuple(self.hunks), mode=mode)
        old = old or new or ""
        new = new or old
        hunks = tuple(self.mode_hunk() + self.hunks)
        return FileChange("update", old, hunks, new if new != old else None)


def _parse_unified(lines: list[str]) -> list[FileChange]:
    files: list[FileChange] = []
    current: _FileBuilder | None = None
    i = 0

    def flush(lineno: int) -> None:
        if current is not None and current.has_change:
            files.append(current.build(lineno))

    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            flush(i + 1)
            current = _FileBuilder()
            current.git = True
            current.old, current.new = _git_header_names(line[len("diff --git ") :])
        elif line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old = _diff_path(line[4:])
            if current is None or not current.takes_names(old):
                flush(i + 1)
                current = _FileBuilder()
            current.old, current.new = old, _diff_path(lines[i + 1][4:])
            current.named = True
            i += 1
        elif current is not None and line.startswith("rename from "):
            current.rename_from = line[len("rename from ") :]
        elif current is not None and line.startswith("rename to "):
            current.rename_to = line[len("rename to ") :]
        elif current is not None and line.startswith(MODE_LINES):
            current.set_mode(line, i + 1)
        elif line.startswith(("Binary files ", "GIT binary patch")):
            raise PatchSyntaxError(
                f"line {i + 1}: binary patches are not supported", fix="apply them with git"
            )
        elif line.startswith("@@"):
            if current is None:
                raise PatchSyntaxError(f"line {i + 1}: a hunk before any `---`/`+++` file header")
            hunk, i = _parse_unified_hunk(lines, i)
            current.hunks.append(hunk)
            continue
        i += 1
    flush(len(lines))
    return files


def _parse_unified_hunk(lines: list[str], i: int) -> tuple[Hunk, int]:
    match = HUNK_HEADER.match(lines[i])
    if not match:
        raise PatchSyntaxError(
            f"line {i + 1}: bad hunk header {lines[i]!r}", fix="expected `@@ -a,b +c,d @@`"
        )
    old_start, old_len = int(match[1]), int(match[2] if match[2] is not None else 1)
    new_start, new_len = int(match[3]), int(match[4] if match[4] is not None else 1)
    body: list[HunkLine] = []
    old_no_nl = new_no_nl = False
    old_seen = new_seen = 0
    i += 1
    while i < len(lines) and (old_seen < old_len or new_seen < new_len or lines[i][:1] == "\\"):
        line = lines[i]
        op = line[:1]
        if op == "\\":
            last = body[-1].op if body else " "
            old_no_nl = old_no_nl or last in (" ", "-")
            new_no_nl = new_no_nl or last in (" ", "+")
        elif op in (" ", "-", "+") or line == "":
            op = op or " "
            body.append(HunkLine(op, line[1:]))  # type: ignore[arg-type]
            old_seen += op != "+"
            new_seen += op != "-"
        else:
            break
        i += 1
    if old_seen != old_len or new_seen != new_len:
        raise PatchSyntaxError(
            f"line {i + 1}: hunk `{lines[i - len(body) - 1]}` promises {old_len} old and"
            f" {new_len} new lines but has {old_seen} and {new_seen}",
            fix="regenerate the diff; hand-edited hunks must keep their header counts right",
        )
    hunk = Hunk(
        "",
        tuple(body),
        old_start=old_start,
        new_start=new_start,
        old_no_newline=old_no_nl,
        new_no_newline=new_no_nl,
        section=match[5].strip(),
    )
    return hunk, i


def parse_hunk(text: str) -> Hunk:
    """One hunk as the user edited it: an optional `@@` header line, then hunk lines. Header
    counts are not trusted (editors change them); the lines are what counts."""
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln for ln in lines if not ln.startswith("#")]  # the editor template's comments
    header = HUNK_HEADER.match(lines[0]) if lines else None
    body: list[HunkLine] = []
    for n, line in enumerate(lines[1:] if header else lines, start=2 if header else 1):
        if line[:1] not in (" ", "-", "+") and line != "":
            raise PatchSyntaxError(
                f"edited hunk line {n}: {line!r} does not start with ' ', '-' or '+'"
            )
        body.append(HunkLine((line[:1] or " "), line[1:]))  # type: ignore[arg-type]
    if not any(ln.op != " " for ln in body):
        raise PatchSyntaxError("the edited hunk changes nothing", fix="reject the hunk instead")
    return Hunk(
        "",
        tuple(body),
        old_start=int(header[1]) if header else None,
        new_start=int(header[3]) if header else None,
        section=header[5].strip() if header else "",
    )

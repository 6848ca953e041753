"""Parse patch text into one `ChangeSet`: the apply_patch envelope models write
(`*** Begin Patch` ... `*** End Patch`) and unified diffs (`git diff`, `diff -u`).

Parsing only reads text; it never touches the disk. Locating hunks is `locate.py`'s job.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from rigtui.display import safe_name
from rigtui.edits.binary import BinaryPatch, parse_section
from rigtui.edits.errors import PatchRefused, PatchSyntaxError
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


def parse_patch(text: str, *, strip: int | None = None, root: Path | None = None) -> ChangeSet:
    """Parse either format; raises `PatchSyntaxError` naming the line that is wrong.
    A unified diff's names lose `strip` leading folders (`patch -pN`); when None, git's
    `a/`/`b/` prefixes go, and for a plain diff the files under `root` decide between -p1
    and -p0. Text that was not UTF-8 arrives with surrogate escapes and stays byte-exact."""
    lines = text.split("\n")
    if "\r" in text:  # CRLF patches only: most have none, and this is a pass per line
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if lines and lines[-1] == "":
        lines.pop()  # the text's final newline ends the last line; it is not an empty line
    if BEGIN in text and any(ln.strip() == BEGIN for ln in lines):
        files = _parse_envelope(lines)
    elif any(ln.startswith(("--- ", "diff --git ", "@@ ")) for ln in lines):
        files = _parse_unified(lines, strip, root)
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
# `diff -N` writes an absent side as the epoch (west of UTC: the evening before).
EPOCH = re.compile(
    r"^(?:1970-01-01|1969-12-31)[ T]|\b(?:Jan {1,2}1|Dec 31) \d\d:\d\d:\d\d(?:\.\d+)? 19(?:70|69)\b"
)
C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def unquote(name: str) -> str:
    """A name as git writes it: `"a\303\251 b.txt"` (C-quoted, octal bytes) or plain. Bytes
    that are not UTF-8 come back as surrogate escapes, so the name is the file's exact name."""
    if len(name) < 2 or name[0] != '"' or name[-1] != '"':
        return name
    out = bytearray()
    i, end = 1, len(name) - 1
    while i < end:
        ch = name[i]
        if ch == "\\" and i + 1 < end:
            nxt = name[i + 1]
            if nxt in "01234567":
                digits = re.match(r"[0-7]{1,3}", name[i + 1 : i + 4])
                assert digits is not None
                out.append(int(digits[0], 8) & 0xFF)
                i += 1 + len(digits[0])
                continue
            if nxt in C_ESCAPES:
                out.append(C_ESCAPES[nxt])
                i += 2
                continue
        out += ch.encode("utf-8", "surrogateescape")
        i += 1
    return out.decode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class DiffName:
    """A `---`/`+++` name and whether its timestamp says the side is absent (`diff -N`)."""

    path: str
    epoch: bool = False


def _diff_name(raw: str) -> DiffName:
    path, _, stamp = raw.partition("\t")
    path = path.strip() if not path.startswith('"') else path.rstrip()
    return DiffName(unquote(path), bool(EPOCH.search(stamp.strip())))


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
    """The names in `diff --git a/P b/Q` (either may be C-quoted). Unless renamed, P == Q,
    which finds the middle even when the path itself holds " b/"."""
    if rest.startswith('"'):
        close = re.match(r'"(?:[^"\\]|\\.)*"', rest)
        if close is None:
            return None, None
        first, second = close[0], rest[close.end() :].strip()
        return unquote(first), unquote(second) if second else None
    if rest.endswith('"') and ' "' in rest:
        first, _, second = rest.partition(' "')
        return first, unquote('"' + second)
    half = (len(rest) - 1) // 2
    if (
        rest[half : half + 1] == " "
        and rest[:half].split("/", 1)[-1] == rest[half + 1 :].split("/", 1)[-1]
    ):
        return rest[:half], rest[half + 1 :]
    parts = rest.split(" b/", 1)
    return (parts[0], "b/" + parts[1]) if len(parts) == 2 else (None, None)


def strip_components(path: str, count: int, lineno: int) -> str:
    """`path` without its first `count` folders, as `patch -pN` reads it."""
    if count == 0 or path == DEV_NULL:
        return path
    parts = [p for p in path.split("/") if p]
    if len(parts) <= count:
        raise PatchSyntaxError(
            f"line {lineno}: cannot strip {count} leading folder(s) from {path!r}",
            fix="pass a smaller -p (e.g. -p0 for names relative to the project)",
        )
    return "/".join(parts[count:])


class _FileBuilder:
    def __init__(self, lineno: int) -> None:
        self.lineno = lineno
        self.header: tuple[str | None, str | None] = (None, None)  # `diff --git` names
        self.old: DiffName | None = None  # the `---` and `+++` names
        self.new: DiffName | None = None
        self.rename_from: str | None = None
        self.rename_to: str | None = None
        self.new_file = False
        self.deleted = False
        self.git = False
        self.hunks: list[Hunk] = []
        self.modes: dict[str, tuple[int, int]] = {}  # mode line's start -> (mode, line number)
        self.named = False  # its `---`/`+++` lines were read
        self.binary: BinaryPatch | None = None
        self.binary_without_data = False  # `Binary files A and B differ`
        self.index_ids = ("", "")

    def takes_names(self, old: str) -> bool:
        """Whether a `---` line is this git section's own (else it starts the next file: a
        section with only mode lines must not lend them to a plain diff after it)."""
        if not self.git or self.named or self.hunks:
            return False
        return self.header[0] is None or old in (self.header[0], DEV_NULL)

    def set_mode(self, line: str, lineno: int) -> None:
        start = next(m for m in MODE_LINES if line.startswith(m))
        self.modes[start] = (_git_mode(line, lineno), lineno)
        if start == "new file mode ":
            self.new_file = True
        elif start == "deleted file mode ":
            self.deleted = True

    @property
    def has_change(self) -> bool:
        whole_file = self.rename_to or self.new_file or self.deleted or self.binary
        return bool(self.hunks or whole_file or self.mode_hunk() or self.binary_without_data)

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

    def raw_names(self) -> tuple[str | None, str | None]:
        """The names as written, before stripping (`---`/`+++` first, then `diff --git`)."""
        old = self.old.path if self.old else self.header[0]
        new = self.new.path if self.new else self.header[1]
        return old, new

    def prefixed(self) -> bool:
        """Whether this git section writes names with git's `a/` and `b/` prefixes."""
        old, new = self.raw_names()
        return (old in (None, DEV_NULL) or old.startswith("a/")) and (
            new in (None, DEV_NULL) or new.startswith("b/")
        )

    def names(self, strip: int) -> tuple[str | None, str | None]:
        old, new = self.raw_names()
        old = None if old is None else strip_components(old, strip, self.lineno)
        new = None if new is None else strip_components(new, strip, self.lineno)
        return self.rename_from or old, self.rename_to or new

    def absent_side(self) -> str | None:
        """ "old" or "new" when `diff -N` wrote that side as absent: the epoch as its time and
        nothing on that side in any hunk (as patch and git read it)."""
        if self.old and self.old.epoch and all(not h.old_lines for h in self.hunks):
            return "old"
        if self.new and self.new.epoch and all(not h.new_lines for h in self.hunks):
            return "new"
        return None

    def build(self, strip: int, root: Path | None) -> FileChange:
        old, new = self.names(strip)
        if old is None and new is None:
            raise PatchSyntaxError(f"line {self.lineno}: a diff section has no file names")
        absent = None if self.git else self.absent_side()
        if self.new_file or old == DEV_NULL or absent == "old":
            mode = self.modes.get("new file mode ", (None,))[0]
            return FileChange("add", new or "", tuple(self.hunks), mode=mode, binary=self.binary)
        if self.deleted or new == DEV_NULL or absent == "new":
            mode = self.modes.get("deleted file mode ", (None,))[0]
            return FileChange("delete", old or "", tuple(self.hunks), mode=mode, binary=self.binary)
        hunks = tuple(self.mode_hunk() + self.hunks)
        if self.rename_to:  # only git's own headers make a rename
            source = old or new or ""
            target = new if new != source else None
            return FileChange("update", source, hunks, target, binary=self.binary)
        return FileChange("update", _choose(old, new, root), hunks, binary=self.binary)


def _choose(old: str | None, new: str | None, root: Path | None) -> str:
    """One name for a file whose two sides are named differently without a rename (`diff -u
    x.c.orig x.c`): the existing one, as GNU patch picks it (fewest folders, then the shortest
    base name, then the shortest name); the new name when neither exists."""
    names = [n for n in (old, new) if n and n != DEV_NULL]
    if len(set(names)) == 1:
        return names[0]
    existing = [n for n in names if root is not None and os.path.lexists(root / n)]
    if existing:
        return min(existing, key=lambda n: (n.count("/"), len(n.rsplit("/", 1)[-1]), len(n)))
    return names[-1]


def _strip_for(builders: list[_FileBuilder], root: Path | None) -> int:
    """How many leading folders to strip when `-p` is not given: git's `a/`/`b/` prefixes
    go (git diffs made with `--no-prefix` keep their names); a plain diff strips one folder
    (`diff -ruN old new`) unless its names are relative to the project already, which the
    files on disk tell."""
    if any(b.git for b in builders):
        return 1 if all(b.prefixed() for b in builders if b.git) else 0
    names = [n for b in builders for n in b.raw_names() if n and n != DEV_NULL]
    if any("/" not in n.strip("/") for n in names):
        return 0  # a name with no folder to strip
    if root is None:
        return 1

    def found(count: int) -> int:
        return sum(
            os.path.lexists(root / strip_components(n, count, b.lineno))
            for b in builders
            for n in b.raw_names()
            if n and n != DEV_NULL
        )

    return 0 if found(0) > found(1) else 1


def _parse_unified(lines: list[str], strip: int | None, root: Path | None) -> list[FileChange]:
    builders: list[_FileBuilder] = []
    current: _FileBuilder | None = None
    i = 0

    def start(lineno: int) -> _FileBuilder:
        builder = _FileBuilder(lineno)
        builders.append(builder)
        return builder

    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            current = start(i + 1)
            current.git = True
            current.header = _git_header_names(line[len("diff --git ") :])
        elif line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old = _diff_name(line[4:])
            if current is None or not current.takes_names(old.path):
                current = start(i + 1)
            current.old, current.new = old, _diff_name(lines[i + 1][4:])
            current.named = True
            i += 1
        elif current is not None and line.startswith("rename from "):
            current.rename_from = unquote(line[len("rename from ") :])
        elif current is not None and line.startswith("rename to "):
            current.rename_to = unquote(line[len("rename to ") :])
        elif current is not None and current.git and line.startswith("index "):
            ids = line.split()[1].split("..")
            current.index_ids = (ids[0], ids[-1])
        elif current is not None and line.startswith(MODE_LINES):
            current.set_mode(line, i + 1)
        elif line.startswith("Binary files ") and line.endswith(" differ"):
            if current is None or not current.git:
                current = start(i + 1)
                current.old, current.new = _binary_names(line[len("Binary files ") : -7])
            current.binary_without_data = True
        elif line == "GIT binary patch":
            if current is None:
                raise PatchSyntaxError(f"line {i + 1}: a binary patch before any file header")
            current.binary, i = _parse_binary(lines, i + 1, current.index_ids)
            continue
        elif line.startswith("@@"):
            if current is None:
                raise PatchSyntaxError(f"line {i + 1}: a hunk before any `---`/`+++` file header")
            hunk, i = _parse_unified_hunk(lines, i)
            current.hunks.append(hunk)
            continue
        i += 1
    builders = [b for b in builders if b.has_change]
    count = strip if strip is not None else _strip_for(builders, root)
    _refuse_binaries_without_data(builders, count)
    return [b.build(count, root) for b in builders]


def _refuse_binaries_without_data(builders: list[_FileBuilder], strip: int) -> None:
    """`Binary files A and B differ` carries no bytes: the whole patch is refused, naming
    every such file, and nothing is changed."""
    names = []
    for b in builders:
        if b.binary_without_data:
            old, new = b.names(strip)
            names.append(safe_name((new if new not in (None, DEV_NULL) else old) or "?"))
    if names:
        which = "this binary file differs" if len(names) == 1 else "these binary files differ"
        raise PatchRefused(
            f"{', '.join(names)}: the diff only says {which}; it holds no content to apply"
            " (nothing was changed)",
            fix="make the diff with `git diff --binary`, or copy those files by hand",
        )


def _binary_names(rest: str) -> tuple[DiffName, DiffName]:
    old, sep, new = rest.partition(" and ")
    return DiffName(unquote(old)), DiffName(unquote(new) if sep else unquote(old))


def _parse_binary(lines: list[str], i: int, ids: tuple[str, str]) -> tuple[BinaryPatch, int]:
    forward, i = parse_section(lines, i)
    if forward is None:
        raise PatchSyntaxError(
            f"line {i + 1}: `GIT binary patch` without a `literal` or `delta` section"
        )
    reverse, i = parse_section(lines, i)
    return BinaryPatch(forward, reverse, old_id=ids[0], new_id=ids[1]), i


def _parse_unified_hunk(lines: list[str], i: int) -> tuple[Hunk, int]:
    match = HUNK_HEADER.match(lines[i])
    if not match:
        raise PatchSyntaxError(
            f"line {i + 1}: bad hunk header {lines[i]!r}", fix="expected `@@ -a,b +c,d @@`"
        )
    old_start, old_len = int(match[1]), int(match[2] if match[2] is not None else 1)
    new_start, new_len = int(match[3]), int(match[4] if match[4] is not None else 1)
    body: list[HunkLine] = []
    add = body.append
    make = tuple.__new__  # HunkLine(op, text) without its Python-level __new__: ~2x faster
    old_no_nl = new_no_nl = False
    old_seen = new_seen = 0
    i += 1
    end = len(lines)
    # The hot loop of a release diff (tens of thousands of lines): one test per line.
    while i < end:
        line = lines[i]
        op = line[:1]
        if old_seen >= old_len and new_seen >= new_len and op != "\\":
            break
        if op == " " or op == "":
            add(make(HunkLine, (" ", line[1:])))
            old_seen += 1
            new_seen += 1
        elif op == "-":
            add(make(HunkLine, ("-", line[1:])))
            old_seen += 1
        elif op == "+":
            add(make(HunkLine, ("+", line[1:])))
            new_seen += 1
        elif op == "\\":
            last = body[-1].op if body else " "
            old_no_nl = old_no_nl or last in (" ", "-")
            new_no_nl = new_no_nl or last in (" ", "+")
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

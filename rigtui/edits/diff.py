"""Make unified diffs (what `rigtui apply` accepts) from two versions of a file, and find the
changed spans inside a pair of lines for the review's intra-line marks."""

from __future__ import annotations

from difflib import SequenceMatcher

from rigtui.edits.binary import blob_id, encode_section
from rigtui.edits.model import format_mode, git_mode
from rigtui.edits.textfile import TextFile

NO_NEWLINE = "\\ No newline at end of file"


def unified_diff(
    path: str,
    before: bytes | None,
    after: bytes | None,
    context: int = 3,
    *,
    before_mode: int | None = None,
    after_mode: int | None = None,
) -> str:
    """A git-style diff of one file; `None` is an absent file (so: add or delete). Given the
    permission bits, the diff carries git's mode lines too (`new mode 100755`), and a change of
    mode alone is a diff with no hunks, as git writes it. A binary file (a NUL byte on either
    side) gets a `GIT binary patch`, as `git diff --binary` writes it. Names are C-quoted
    where git quotes them."""
    if b"\0" in (before or b"") or b"\0" in (after or b""):
        return binary_diff(path, before, after, before_mode, after_mode)
    old = TextFile.decode(before, path) if before is not None else TextFile([], [])
    new = TextFile.decode(after, path) if after is not None else TextFile([], [])
    # The final line's missing newline is part of its identity: "x" and "x\n" differ.
    a = [(s, i == len(old.lines) - 1 and not old.final_newline) for i, s in enumerate(old.lines)]
    b = [(s, i == len(new.lines) - 1 and not new.final_newline) for i, s in enumerate(new.lines)]
    header = [f"diff --git {quote_name('a/' + path)} {quote_name('b/' + path)}"]
    modes = _mode_lines(before is None, after is None, before_mode, after_mode)
    header += modes
    header.append("--- /dev/null" if before is None else f"--- {quote_name('a/' + path)}")
    header.append("+++ /dev/null" if after is None else f"+++ {quote_name('b/' + path)}")
    body: list[str] = []
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        body.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                body += _lines(" ", a[a1:a2])
                continue
            body += _lines("-", a[a1:a2])
            body += _lines("+", b[b1:b2])
    if not body:
        return "\n".join(header[: 1 + len(modes)]) + "\n" if modes else ""
    return "\n".join(header + body) + "\n"


def binary_diff(
    path: str,
    before: bytes | None,
    after: bytes | None,
    before_mode: int | None,
    after_mode: int | None,
) -> str:
    old_id = blob_id(before) if before is not None else "0" * 40
    new_id = blob_id(after) if after is not None else "0" * 40
    lines = [f"diff --git {quote_name('a/' + path)} {quote_name('b/' + path)}"]
    lines += _mode_lines(before is None, after is None, before_mode, after_mode)
    if before == after:
        return "\n".join(lines) + "\n" if len(lines) > 1 else ""
    lines.append(f"index {old_id}..{new_id}")
    lines.append("GIT binary patch")
    lines += encode_section(after or b"")
    lines += encode_section(before or b"")
    return "\n".join(lines) + "\n"


_C_QUOTED = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}


def quote_name(name: str) -> str:
    """`name` as git writes it in a diff: as it is, or C-quoted (`"a\\nb.txt"`, octal bytes
    for what is not ASCII) when it holds a control character, a quote, a backslash or a
    byte outside ASCII (git's core.quotePath)."""
    raw = name.encode("utf-8", "surrogateescape")
    if all(32 <= b < 127 and b not in (34, 92) for b in raw):
        return name
    out = []
    for b in raw:
        if b in _C_QUOTED:
            out.append("\\" + _C_QUOTED[b])
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return '"' + "".join(out) + '"'


def _mode_lines(added: bool, deleted: bool, before: int | None, after: int | None) -> list[str]:
    """git's mode lines; a new or deleted file always gets one (git apply needs it to tell a
    creation from a change), 100644 when its permissions are not known."""
    if added:
        return [f"new file mode {format_mode(git_mode(after or 0o644))}"]
    if deleted:
        return [f"deleted file mode {format_mode(git_mode(before or 0o644))}"]
    if before is None or after is None or git_mode(before) == git_mode(after):
        return []
    return [f"old mode {format_mode(git_mode(before))}", f"new mode {format_mode(git_mode(after))}"]


def _range(start: int, end: int) -> str:
    length = end - start
    first = start + 1 if length else start
    return f"{first},{length}"


def _lines(op: str, items: list[tuple[str, bool]]) -> list[str]:
    out = []
    for text, no_newline in items:
        out.append(f"{op}{text}")
        if no_newline:
            out.append(NO_NEWLINE)
    return out


def changed_spans(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character spans that differ between two versions of a line: (old spans, new spans)."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    old_spans: list[tuple[int, int]] = []
    new_spans: list[tuple[int, int]] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if a2 > a1:
            old_spans.append((a1, a2))
        if b2 > b1:
            new_spans.append((b1, b2))
    return old_spans, new_spans

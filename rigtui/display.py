"""Showing names that come from disk (file names are untrusted input, DESIGN.md rule 9).

A file may be called `a\\nb.txt` or `\\x1b[31mred.txt`: printed as it is, the first breaks a
line of output in two (faking a second entry) and the second drives the terminal. Every place
that shows a path to a person goes through `safe_name`, which writes such characters as
escapes a reader can see and keeps ordinary Unicode as it is. A line of a file's text shown
on its own (a search hit, a diff line) goes through `safe_line`: the same, except that tabs
and backslashes stay as they are."""

from __future__ import annotations

import json
import os

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}


def safe_name(path: str | os.PathLike[str]) -> str:
    """`path` with control and other invisible characters (newlines, ESC, bidi overrides,
    bytes that are not UTF-8) written as `\\n`, `\\x1b`, `\\u202e`, `\\xff`; a backslash is
    doubled, so the escaped form of a name is never the plain form of another."""
    text = os.fspath(path)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape(c) for c in text)


def safe_line(text: str) -> str:
    """One line of a file's text for a terminal: control characters escaped as in
    `safe_name`, tabs and backslashes kept."""
    if text.isprintable():
        return text
    return "".join(c if c in "\t\\" else _escape(c) for c in text)


def _escape(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    if c.isprintable():
        return c
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def json_line(value: object) -> str:
    """`value` as one line of JSON with its text readable (not \\u-escaped), except the bytes
    that were not UTF-8 (kept as surrogate escapes): those stay `\\udcXX`, which json.loads
    turns back into the same name, where the raw surrogate could not be written at all."""

    text = json.dumps(value, ensure_ascii=False)
    if text.isascii():
        return text
    return "".join(f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def size_text(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB".replace(".0 KB", " KB")


def chip_text(attachment: dict) -> str:  # type: ignore[type-arg]  # a protocol Attachment
    """One attachment as a chip says it: `src/app.py 2.1 KB`, `Parser.parse src/p.py:10-40`,
    `big.log (first 32 KB of 120 KB)`, `out.txt (ignored)`."""
    if attachment["kind"] == "symbol":
        where = f"{attachment['name']} {attachment['path']}"
        text = f"{where}:{attachment['start_line']}-{attachment['end_line']}"
    else:
        text = attachment["path"]
    text = safe_name(text)
    sent, size = attachment["sent"], attachment["size"]
    text += (
        f" (first {size_text(sent)} of {size_text(size)})" if sent < size else f" {size_text(size)}"
    )
    return text + (" (ignored)" if attachment.get("ignored") else "")

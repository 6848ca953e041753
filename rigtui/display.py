"""Text from a project shown on a terminal: control characters (a newline in a name, an escape
sequence) are made visible instead of acting on the terminal, and bytes that were not UTF-8
(kept as surrogate escapes so files round-trip exactly) are shown as `\\xNN`."""

from __future__ import annotations


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return repr(ch)[1:-1]


def safe_name(name: str) -> str:
    """`name` with control characters and undecodable bytes escaped (`\\n`, `\\x1b`, `\\xe9`),
    other text as it is."""
    if name.isprintable():
        return name
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in name)


def visible(line: str) -> str:
    """A line of a file for display: like `safe_name`, but tabs stay tabs."""
    if line.isprintable():
        return line
    return "".join(ch if ch.isprintable() or ch == "\t" else _escape(ch) for ch in line)

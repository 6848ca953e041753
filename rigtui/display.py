"""Names from a project shown on a terminal: control characters (a newline, an escape
sequence) are made visible instead of acting on the terminal."""

from __future__ import annotations


def safe_name(name: str) -> str:
    """`name` with control characters escaped (`\\n`, `\\x1b`), other text as it is."""
    if name.isprintable():
        return name
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)

"""Find where a hunk's old lines sit in a file, forgiving what models get wrong, in order:
exact; trailing whitespace ignored; surrounding whitespace ignored; Unicode punctuation
normalised (dashes, curly quotes, non-breaking spaces). The first level that matches wins.

Several matches at that level are resolved by the hunk's line number when it has one (unified
diffs), by its `@@ anchor` line (apply_patch), or else refused as ambiguous.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rigtui.edits.errors import PatchRefused
from rigtui.edits.model import Hunk

PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u00a0\u2002\u2003\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "),
        "\u2026": "...",
    }
)


def _punct(line: str) -> str:
    return line.translate(PUNCTUATION).strip()


LEVELS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("exact", lambda s: s),
    ("trailing whitespace ignored", str.rstrip),
    ("surrounding whitespace ignored", str.strip),
    ("Unicode punctuation normalised", _punct),
)
MAX_SHOWN = 12


@dataclass(frozen=True)
class Match:
    index: int  # 0-based line where the hunk's old lines start
    level: int  # index into LEVELS

    @property
    def how(self) -> str:
        return LEVELS[self.level][0]


class Lines:
    """A file's lines with each normalised form computed once (a patch may locate many hunks)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._forms: dict[int, list[str]] = {0: lines}

    def form(self, level: int) -> list[str]:
        if level not in self._forms:
            norm = LEVELS[level][1]
            self._forms[level] = [norm(s) for s in self.lines]
        return self._forms[level]


def _positions(haystack: list[str], needle: list[str], start: int) -> list[int]:
    if not needle:
        return []
    first, n = needle[0], len(needle)
    out = []
    i, stop = start, len(haystack) - n + 1
    while i < stop:
        try:
            i = haystack.index(first, i, stop)  # in C: most lines are not the first one
        except ValueError:
            break
        if haystack[i : i + n] == needle:
            out.append(i)
        i += 1
    return out


def find_anchor(lines: Lines, anchor: str, start: int, path: str, hunk_id: str) -> int:
    """The line index just after the first line matching `anchor` at or after `start`."""
    for level, (_, norm) in enumerate(LEVELS):
        hits = _positions(lines.form(level), [norm(anchor)], start)
        if hits:
            return hits[0] + 1
    raise PatchRefused(
        f"{path}: hunk {hunk_id}: its `@@ {anchor}` line was not found"
        + (f" after line {start}" if start else ""),
        fix="check the file's current content; the model may have a stale view of it",
    )


def locate(lines: Lines, hunk: Hunk, start: int, path: str, hint: int | None = None) -> Match:
    """Where `hunk` applies, searching from line index `start`. `hint` is the expected index
    (from a unified header, shifted by earlier hunks' offsets)."""
    if hunk.anchor:
        start = find_anchor(lines, hunk.anchor, start, path, hunk.id)
    old = hunk.old_lines
    total = len(lines.lines)
    if not old:  # a pure addition: at its line number, after its anchor, or at the end
        if hint is not None:
            return Match(min(max(hint, start), total), 0)
        return Match(start if hunk.anchor else total, 0)
    exact = hint is not None and start <= hint and lines.lines[hint : hint + len(old)] == old
    if exact and not hunk.end_of_file:  # where the header says, as written: as git applies it
        return Match(hint, 0)  # type: ignore[arg-type]
    for level, (_, norm) in enumerate(LEVELS):
        needle = [norm(s) for s in old]
        hits = _positions(lines.form(level), needle, start)
        if not hits:
            continue
        if hunk.end_of_file and total - len(old) in hits:
            return Match(total - len(old), level)
        if hint is not None:
            return Match(min(hits, key=lambda i: (abs(i - hint), i)), level)
        if len(hits) == 1 or hunk.anchor:
            return Match(hits[0], level)
        where = ", ".join(str(h + 1) for h in hits[:8])
        raise PatchRefused(
            f"{path}: hunk {hunk.id} is ambiguous: its context matches {len(hits)} places"
            f" (lines {where}):\n{_show(old)}",
            fix="add more context lines, or an `@@ line` anchor, so it matches one place",
        )
    after = f" after line {start}" if start else ""
    raise PatchRefused(
        f"{path}: hunk {hunk.id} does not match: this context was not found{after}:\n{_show(old)}",
        fix="check the file's current content; the model may have a stale view of it",
    )


def _show(lines: list[str]) -> str:
    shown = [f"    {s}" for s in lines[:MAX_SHOWN]]
    if len(lines) > MAX_SHOWN:
        shown.append(f"    ... ({len(lines) - MAX_SHOWN} more lines)")
    return "\n".join(shown)

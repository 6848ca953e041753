"""Three-way merges of whole files, for bringing work done elsewhere (an isolated task's
workspace) back onto a project that moved on meanwhile.

    merged = merge3(base, ours, theirs)   # bytes or None (absent) on each side

`base` is the file when the work started, `ours` the project's file now, `theirs` the work's
result. Where only one side changed a region, its change is taken; where both changed it the
same way, once; where both changed it differently, the region is a `Conflict` and the merged
bytes keep ours there (a conflict is never resolved silently: the caller shows it). Lines keep
their exact bytes (endings included); a file with a NUL byte is merged only when one side
left it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Conflict:
    """Lines [start, end) of ours where the work's change collides with the project's."""

    start: int
    end: int
    base: tuple[bytes, ...]
    ours: tuple[bytes, ...]
    theirs: tuple[bytes, ...]


@dataclass(frozen=True)
class Merged:
    data: bytes | None  # the result (None: the file is absent); ours where in conflict
    conflicts: list[Conflict] = field(default_factory=list)
    whole_file: str = ""  # why the file as a whole conflicts ("" when it does not)

    @property
    def clean(self) -> bool:
        return not self.conflicts and not self.whole_file


def merge3(base: bytes | None, ours: bytes | None, theirs: bytes | None) -> Merged:
    if theirs == base or ours == theirs:
        return Merged(ours)
    if ours == base:
        return Merged(theirs)
    if base is None:
        return Merged(ours, whole_file="added in both, with different content")
    if theirs is None:
        return Merged(ours, whole_file="deleted by the task, changed in the project")
    if ours is None:
        return Merged(ours, whole_file="changed by the task, deleted in the project")
    if b"\0" in base or b"\0" in ours or b"\0" in theirs:
        return Merged(ours, whole_file="a binary file changed on both sides")
    return _merge_lines(_lines(base), _lines(ours), _lines(theirs))


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


Edit = tuple[int, int, list[bytes]]  # base lines [start, end) become these lines


MAX_EDITS = 2000  # past this many differences, the lines between the common ends are one change


def _edits(base: list[bytes], other: list[bytes]) -> list[Edit]:
    """A shortest edit script from base to other (Myers' diff, as git's default), as base
    ranges and their replacements. A shortest script matters here: a longer one (difflib's
    matcher may take a longer way round repeated lines) can hide one side's change."""
    head = 0
    while head < min(len(base), len(other)) and base[head] == other[head]:
        head += 1
    tail = 0
    while (tail < min(len(base), len(other)) - head
           and base[-1 - tail] == other[-1 - tail]):  # fmt: skip
        tail += 1
    a, b = base[head : len(base) - tail], other[head : len(other) - tail]
    pairs = _matching_lines(a, b)
    if pairs is None:
        return [(head, head + len(a), b)] if a or b else []
    edits: list[Edit] = []
    x = y = 0
    for mx, my in [*pairs, (len(a), len(b))]:
        if mx > x or my > y:
            edits.append((head + x, head + mx, b[y:my]))
        x, y = mx + 1, my + 1
    return _slid_down(base, edits)


def _slid_down(base: list[bytes], edits: list[Edit]) -> list[Edit]:
    """Each pure deletion or insertion moved as far down through equal lines as it goes (as
    git's diff does): in a run of equal lines, "delete one of them" then means the same line
    on both sides, so two sides making that same change merge it once."""
    out: list[Edit] = []
    for index, (start, end, lines) in enumerate(edits):
        limit = edits[index + 1][0] if index + 1 < len(edits) else len(base)
        if not lines:  # a deletion of base [start, end)
            while end < limit and base[start] == base[end]:
                start, end = start + 1, end + 1
        elif start == end:  # an insertion before base line `start`
            while start < limit and lines[0] == base[start]:
                lines = [*lines[1:], base[start]]
                start = end = start + 1
        out.append((start, end, lines))
    return out


def _matching_lines(a: list[bytes], b: list[bytes]) -> list[tuple[int, int]] | None:
    """The (i, j) pairs of a longest common subsequence, in order, by Myers' greedy
    algorithm; None when the edit distance passes MAX_EDITS."""
    n, m = len(a), len(b)
    v = {1: 0}
    trace: list[dict[int, int]] = []
    for d in range(min(n + m, MAX_EDITS) + 1):
        trace.append(v.copy())
        for k in range(-d, d + 1, 2):
            x = v[k + 1] if k == -d or (k != d and v[k - 1] < v[k + 1]) else v[k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x, y = x + 1, y + 1
            v[k] = x
            if x >= n and y >= m:
                return _backtrack(trace, n, m)
    return None


def _backtrack(trace: list[dict[int, int]], x: int, y: int) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    for d in range(len(trace) - 1, -1, -1):
        v = trace[d]
        k = x - y
        down = k == -d or (k != d and v.get(k - 1, -1) < v.get(k + 1, -1))
        prev_k = k + 1 if down else k - 1
        prev_x = v.get(prev_k, 0)
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
            pairs.append((x, y))
        x, y = prev_x, prev_y
    pairs.reverse()
    return pairs


def _merge_lines(base: list[bytes], ours: list[bytes], theirs: list[bytes]) -> Merged:
    """Walk both sides' edits of base in order; edits whose base ranges overlap (or touch at
    an insertion point) form one region, taken from the side that changed it."""
    mine, yours = _edits(base, ours), _edits(base, theirs)
    out: list[bytes] = []
    conflicts: list[Conflict] = []
    pos = 0  # next base line not yet copied
    i = j = 0
    while i < len(mine) or j < len(yours):
        start = min(e[0] for e in (mine[i:i + 1] + yours[j:j + 1]))  # fmt: skip
        end = start
        group_mine: list[Edit] = []
        group_yours: list[Edit] = []
        grew = True
        while grew:  # gather every edit that overlaps the region [start, end]
            grew = False
            while i < len(mine) and _touches(mine[i], start, end):
                end = max(end, mine[i][1])
                group_mine.append(mine[i])
                i, grew = i + 1, True
            while j < len(yours) and _touches(yours[j], start, end):
                end = max(end, yours[j][1])
                group_yours.append(yours[j])
                j, grew = j + 1, True
        out += base[pos:start]
        ours_part = _apply(base, start, end, group_mine)
        theirs_part = _apply(base, start, end, group_yours)
        if not group_yours or ours_part == theirs_part:
            out += ours_part
        elif not group_mine:
            out += theirs_part
        else:
            conflicts.append(Conflict(len(out), len(out) + len(ours_part), tuple(base[start:end]),
                                      tuple(ours_part), tuple(theirs_part)))  # fmt: skip
            out += ours_part
        pos = end
    out += base[pos:]
    return Merged(b"".join(out), conflicts)


def _touches(edit: Edit, start: int, end: int) -> bool:
    """Whether an edit of base [a, b) overlaps the region [start, end]: two insertions at one
    point, or an insertion at a changed range's edge, collide too."""
    a, b, _ = edit
    return a <= end and b >= start


def _apply(base: list[bytes], start: int, end: int, edits: list[Edit]) -> list[bytes]:
    """Base lines [start, end) with one side's edits in that region applied."""
    out: list[bytes] = []
    pos = start
    for a, b, lines in edits:
        out += base[pos:a]
        out += lines
        pos = b
    out += base[pos:end]
    return out

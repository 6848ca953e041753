"""Which stored rows of a file an update has to touch.

Rewriting every row of an edited file dirties a page of each secondary index per row (names
are scattered across the `defs_name` and `refs_name` b-trees), and those pages are what a
commit writes. Most rows of an edited file come back identical or only moved to other lines,
so an update keeps identical rows, rewrites in place the rows whose key (the indexed column)
is unchanged, and deletes or inserts only the rest."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Row = TypeVar("Row", bound=tuple)


@dataclass
class RowDiff(Generic[Row]):
    updates: list[tuple[int, Row]] = field(default_factory=list)  # (rowid, new row), same key
    deletes: list[int] = field(default_factory=list)  # rowids
    inserts: list[Row] = field(default_factory=list)


def diff_rows(
    old: Sequence[tuple[int, Row]], new: Sequence[Row], key: Callable[[Row], Hashable]
) -> RowDiff[Row]:
    """Turn the stored rows `old` ((rowid, row), in stored order) into `new`: rows equal to an
    old one are left alone; the others take over, in order, an old row with the same key (an
    update); what is left is deleted or inserted."""
    same: dict[Row, deque[int]] = defaultdict(deque)
    for rowid, row in old:
        same[row].append(rowid)
    changed: list[Row] = []
    for row in new:
        ids = same.get(row)
        if ids:
            ids.popleft()
        else:
            changed.append(row)
    diff: RowDiff[Row] = RowDiff()
    if not changed:
        diff.deletes = [rowid for ids in same.values() for rowid in ids]
        return diff
    by_key: dict[Hashable, deque[int]] = defaultdict(deque)
    for rowid, row in old:
        ids = same[row]
        if ids and ids[0] == rowid:
            ids.popleft()
            by_key[key(row)].append(rowid)
    for row in changed:
        ids = by_key.get(key(row))
        if ids:
            diff.updates.append((ids.popleft(), row))
        else:
            diff.inserts.append(row)
    diff.deletes = [rowid for ids in by_key.values() for rowid in ids]
    return diff

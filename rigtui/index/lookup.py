"""Answers from the index: symbols by name, references, a file's outline, full-text search.
Each result carries a `Location` (path relative to the root, 1-based line) to jump to."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from rigtui.index.store import IndexStore
from rigtui.index.text import best_line, fts_query, query_terms

# Definitions people usually mean come first when a name has several.
_KIND_ORDER = {"class": 0, "struct": 0, "interface": 0, "function": 1, "method": 1, "type": 2}
_SEPARATORS = re.compile(r"::|#|->|\.")


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    qualname: str
    kind: str
    path: str
    line: int
    end_line: int
    parent: str | None
    signature: str

    @property
    def location(self) -> Location:
        return Location(self.path, self.line)

    @property
    def depth(self) -> int:
        return self.qualname.count(".")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    kind: str  # call (bare name) | member (x.name) | type | import | class | implementation
    path: str
    line: int

    @property
    def location(self) -> Location:
        return Location(self.path, self.line)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SearchHit:
    path: str
    line: int
    snippet: str
    score: float
    start_line: int
    end_line: int

    @property
    def location(self) -> Location:
        return Location(self.path, self.line)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SYMBOL_COLUMNS = "d.name, d.qualname, d.kind, f.path, d.line, d.end_line, d.parent, d.signature"


def split_qualified(name: str) -> tuple[str, str]:
    """`Class.method`, `Class::method`, `Class#method` -> (`method`, `Class.method`)."""
    qual = _SEPARATORS.sub(".", name.strip()).strip(".")
    return qual.rsplit(".", 1)[-1], qual


_KIND_SQL = (
    "CASE d.kind "
    + " ".join(f"WHEN '{kind}' THEN {rank}" for kind, rank in _KIND_ORDER.items())
    + " ELSE 3 END"
)


def find_symbol(store: IndexStore, name: str, limit: int = 50) -> list[Symbol]:
    """Definitions named `name` (case-insensitively), or `Parent.name` for a member. Exact-case
    matches and types/functions come first. SQLite orders every definition of the name (a
    name defined thousands of times, `__init__`, is ranked whole), and for `Parent.name` keeps
    those whose qualified name ends so (a name with characters past ASCII, whose case SQLite
    does not fold, is left to the check here)."""
    last, qual = split_qualified(name)
    if not last:
        return []
    # ?1 the name, ?2 the qualified name, ?3 the limit (SQLite numbers repeated parameters)
    select = f"SELECT {_SYMBOL_COLUMNS} FROM defs d JOIN files f ON f.id = d.file_id"
    order = f"ORDER BY (d.qualname != ?2 AND d.name != ?1), {_KIND_SQL}, f.path, d.line, d.id"
    if "." not in qual:
        rows = store.rows(
            f"{select} WHERE d.name = ?1 COLLATE NOCASE {order} LIMIT ?3", (last, qual, limit)
        )
        return [Symbol(*r) for r in rows]
    wanted = qual.lower()
    rows = store.rows(
        f"{select} WHERE d.name = ?1 COLLATE NOCASE AND (lower(d.qualname) = ?4"
        " OR substr(lower(d.qualname), -length(?5)) = ?5 OR d.qualname GLOB '*[^ -~]*')"
        f" {order}",
        (last, qual, limit, wanted, "." + wanted),
    )
    symbols = [Symbol(*r) for r in rows]
    symbols = [
        s for s in symbols
        if s.qualname.lower() == wanted or s.qualname.lower().endswith("." + wanted)
    ]  # fmt: skip
    return symbols[:limit]


def symbols_starting(store: IndexStore, prefix: str, limit: int = 20) -> list[Symbol]:
    """Definitions whose name starts with `prefix` (case-insensitively; for completion),
    types and functions first, then shorter names."""
    if not prefix:
        return []
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = store.rows(
        f"SELECT {_SYMBOL_COLUMNS} FROM defs d JOIN files f ON f.id = d.file_id"
        " WHERE d.name LIKE ? ESCAPE '\\'"
        f" ORDER BY {_KIND_SQL}, length(d.name), f.path, d.line LIMIT ?",
        (pattern, limit),
    )
    return [Symbol(*r) for r in rows]


def symbols_containing(store: IndexStore, letters: str, limit: int = 20) -> list[Symbol]:
    """Definitions whose name holds `letters` in order (`prsr` finds `Parser`): the fuzzy
    half of completion, after `symbols_starting`. Shorter names first."""
    if not letters:
        return []
    escaped = [c.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for c in letters]
    rows = store.rows(
        f"SELECT {_SYMBOL_COLUMNS} FROM defs d JOIN files f ON f.id = d.file_id"
        " WHERE d.name LIKE ? ESCAPE '\\' ORDER BY length(d.name), f.path, d.line LIMIT ?",
        ("%" + "%".join(escaped) + "%", limit),
    )
    return [Symbol(*r) for r in rows]


def references(store: IndexStore, name: str, limit: int = 500) -> list[Reference]:
    """Uses of `name` (calls, type uses, imports), by file and line. For `Class.method` the
    member name is looked up: references are recorded by the name used at the call site."""
    last, _ = split_qualified(name)
    rows = store.rows(
        "SELECT r.name, r.kind, f.path, r.line FROM refs r JOIN files f ON f.id = r.file_id"
        " WHERE r.name = ? ORDER BY f.path, r.line, r.kind LIMIT ?",
        (last, limit),
    )
    return [Reference(*r) for r in rows]


def outline(store: IndexStore, path: str) -> list[Symbol]:
    """The definitions in one file, in source order (use `Symbol.depth` to indent)."""
    rows = store.rows(
        f"SELECT {_SYMBOL_COLUMNS} FROM defs d JOIN files f ON f.id = d.file_id"
        " WHERE f.path = ? ORDER BY d.line, d.end_line DESC, d.name",
        (path,),
    )
    return [Symbol(*r) for r in rows]


def search(
    store: IndexStore, text: str, limit: int = 20, *, prefix: bool = False
) -> list[SearchHit]:
    """Full-text search over chunks, best first (bm25). Each hit points at the chunk's line that
    holds the most query words, with that line as the snippet."""
    terms = query_terms(text)
    if not terms:
        return []
    query = fts_query(terms, prefix=prefix)
    rows = store.rows(
        "SELECT h.rank, h.body, c.start_line, c.end_line, f.path FROM"
        " (SELECT rowid, body, rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?) h"
        " JOIN chunks c ON c.id = h.rowid JOIN files f ON f.id = c.file_id ORDER BY h.rank",
        (query, limit),
    )
    hits = []
    for rank, body, start, end, path in rows:
        line, snippet = best_line(body, terms, start)
        hits.append(SearchHit(path, line, snippet[:200], round(-rank, 4), start, end))
    return hits

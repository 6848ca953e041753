"""Turn one file into index rows: definitions, references and full-text chunks.

Runs in pool workers, so everything here is a plain function over bytes returning tuples
(cheap to pickle). Nothing here stops on bad input: broken syntax yields what parses, and
non-UTF-8 text is decoded with replacement."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import NamedTuple

import tree_sitter as ts

from rigtui.index.languages import CONTAINER_KINDS, SCOPE_ONLY_KINDS, grammar
from rigtui.index.limits import MAX_DEFS, MAX_REFS

# (name, qualname, kind, line, end_line, parent, signature); lines are 1-based
DefRow = tuple[str, str, str, int, int, str | None, str]
# (name, kind, line)
RefRow = tuple[str, str, int]
# (start_line, end_line, text)
ChunkRow = tuple[int, int, str]

# How a caller parses (the live index reuses old trees); by default from scratch.
Parse = Callable[[str, bytes], ts.Tree]

CHUNK_TARGET_LINES = 60
SIGNATURE_CHARS = 160
_FUNCTION_KINDS = frozenset({"function"})


def _text(source: bytes, node: ts.Node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _import_name(raw: str) -> str:
    """`"github.com/x/yaml"` -> yaml, `<stdio.h>` -> stdio, `./util.js` -> util."""
    name = raw.strip("\"'<>` ").rsplit("/", 1)[-1]
    return name.split(".", 1)[0] if "." in name else name


def parse_fresh(language: str, source: bytes) -> ts.Tree:
    return grammar(language).parser.parse(source)


# What one file may add, so a pathological file (a megabyte of `x=1;`) costs bounded memory
# and time: a file over SEGMENT_BYTES is parsed in pieces cut at top-level lines (a tree can
# take ~190 bytes per source byte for such input), and extraction stops at the caps.
SEGMENT_BYTES = 128 * 1024


class _Def(NamedTuple):  # kept as a plain tuple while matching; named for reading
    pattern: int
    kind: str
    start_byte: int
    end_byte: int
    start_row: int
    end_row: int
    name: tuple[int, int]  # the name's byte range in the whole file
    parent: str | None


class _Ref(NamedTuple):  # (kept as a plain tuple, keyed by its name's byte range)
    kind: str
    line: int  # 1-based


class Matches(NamedTuple):
    defs: dict[tuple[int, int], _Def]
    refs: dict[tuple[int, int], _Ref]
    has_error: bool
    partial: bool  # a cap was reached: the file is indexed in part


def _raw_matches(language: str, source: bytes, parse: Parse) -> Matches:
    """Matches keyed by the name node's byte range, so overlapping patterns dedupe: for a
    definition a pattern that knows the parent wins, then the one earlier in the query file.
    Only plain numbers are kept, never nodes."""
    defs: dict[tuple[int, int], _Def] = {}
    refs: dict[tuple[int, int], _Ref] = {}
    if len(source) <= SEGMENT_BYTES:
        tree = parse(language, source)
        _collect(language, source, tree.root_node, 0, 0, defs, refs)
        return Matches(defs, refs, tree.root_node.has_error, _over(defs, refs))
    has_error = False
    rows = 0
    for offset, piece in segments(source):
        tree = parse_fresh(language, piece)
        _collect(language, piece, tree.root_node, offset, rows, defs, refs)
        has_error = has_error or tree.root_node.has_error
        del tree
        rows += piece.count(b"\n")
        if _over(defs, refs) and offset + len(piece) < len(source):
            return Matches(defs, refs, has_error, True)
    return Matches(defs, refs, has_error, _over(defs, refs))


def _over(defs: dict, refs: dict) -> bool:
    return len(defs) > MAX_DEFS or len(refs) > MAX_REFS


def segments(source: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, piece) of at most SEGMENT_BYTES each, cut before a line that starts at column
    0 (a top-level statement in most languages), else after a newline, else after `;`."""
    start = 0
    while len(source) - start > SEGMENT_BYTES:
        end = _cut(source, start, start + SEGMENT_BYTES)
        yield start, source[start:end]
        start = end
    yield start, source[start:]


def _cut(source: bytes, start: int, end: int) -> int:
    low = start + SEGMENT_BYTES // 2
    pos = end
    while (newline := source.rfind(b"\n", low, pos)) >= 0:
        following = source[newline + 1 : newline + 2]
        if following and following not in b" \t\r\n}])":
            return newline + 1
        pos = newline
    for separator in (b"\n", b";", b" "):
        found = source.rfind(separator, low, end)
        if found >= 0:
            return found + 1
    return end


def _collect(language: str, source: bytes, root: ts.Node, offset: int, rows: int,
             defs: dict, refs: dict) -> None:  # fmt: skip
    """Add the matches under `root` to `defs` and `refs`. The loop runs once per match (a
    third of a million on the standard library), so it keeps to local names and plain tuples."""
    found = grammar(language)
    roles = found.roles
    first_line = rows + 1  # lines are 1-based
    for pattern, caps in ts.QueryCursor(found.query).matches(root):
        names = caps.get("name")
        if not names:
            continue
        def_cap, def_kind, ref_kind = roles[pattern]
        name_node = names[0]
        key = (offset + name_node.start_byte, offset + name_node.end_byte)
        if ref_kind is not None:
            if key not in refs:
                refs[key] = (ref_kind, first_line + name_node.start_point[0])
            if def_cap is None:
                continue
        if def_cap is not None and def_cap in caps:
            parent_nodes = caps.get("parent")
            parent = _text(source, parent_nodes[0]) if parent_nodes else None
            old = defs.get(key)
            if old is None or (parent is not None, -pattern) > (old[7] is not None, -old[0]):
                node = caps[def_cap][0]
                defs[key] = (pattern, def_kind, offset + node.start_byte, offset + node.end_byte,
                             rows + node.start_point[0], rows + node.end_point[0], key, parent)  # fmt: skip


def _definitions(source: bytes, lines: list[str], raw: dict[tuple[int, int], _Def]) -> list[DefRow]:
    """Attach each definition to the innermost definition around it (by byte range)."""
    items = sorted(raw.values(), key=_outer_first)[:MAX_DEFS]
    stack: list[tuple[int, str, str]] = []  # (end_byte, qualname, kind)
    out: list[DefRow] = []
    line_count = len(lines)
    for _pattern, kind, start_byte, end_byte, start_row, end_row, span, explicit in items:
        while stack and stack[-1][0] <= start_byte:
            stack.pop()
        name = source[span[0] : span[1]].decode("utf-8", "replace")
        parent_qual, parent_kind = (stack[-1][1], stack[-1][2]) if stack else (None, None)
        if explicit:
            parent_qual, parent_kind = explicit, "class"
        if kind in _FUNCTION_KINDS and parent_kind in CONTAINER_KINDS:
            kind = "method"
        qualname = f"{parent_qual}.{name}" if parent_qual else name
        stack.append((end_byte, qualname, kind))
        if kind in SCOPE_ONLY_KINDS:
            continue
        # a bounded slice first: a one-line megabyte file must not be copied per definition
        line = lines[start_row][: SIGNATURE_CHARS * 4] if start_row < line_count else name
        parent = parent_qual.rsplit(".", 1)[-1] if parent_qual else None
        out.append((name, qualname, kind, start_row + 1, end_row + 1, parent,
                    line.strip()[:SIGNATURE_CHARS]))  # fmt: skip
    return out


def _outer_first(d: _Def) -> tuple[int, int]:
    return d[2], -d[3]  # by start, the longer (enclosing) one first


def _references(source: bytes, raw: dict[tuple[int, int], _Ref], def_keys: dict) -> list[RefRow]:
    out: list[RefRow] = []
    append = out.append
    for (start, end), (kind, line) in raw.items():
        if (start, end) in def_keys:
            continue  # a definition's own name is not a use of it
        name = source[start:end].decode("utf-8", "replace")
        if kind == "import":
            name = _import_name(name)
        if name:
            append((name, kind, line))
    out.sort(key=itemgetter(2))
    return out[:MAX_REFS]


class Extracted(NamedTuple):
    defs: list[DefRow]
    refs: list[RefRow]
    syntax_error: bool
    partial: bool  # more definitions or references than one file may add: the first kept


def extract(
    language: str, source: bytes, lines: list[str], parse: Parse = parse_fresh
) -> Extracted:
    """Definitions, references, whether the syntax tree has errors, and whether the file was
    cut short at the caps."""
    found = _raw_matches(language, source, parse)
    defs = _definitions(source, lines, found.defs)
    refs = _references(source, found.refs, found.defs)
    return Extracted(defs, refs, found.has_error, found.partial)


def chunks(lines: list[str], defs: list[DefRow]) -> list[ChunkRow]:
    """Cover the whole file with chunks that start where definitions start when they can,
    about CHUNK_TARGET_LINES each; a long definition is cut into pieces of that size."""
    total = len(lines)
    if total == 0:
        return []
    cuts = sorted({d[3] - 1 for d in defs if 0 < d[3] - 1 < total} | {0, total})
    out: list[ChunkRow] = []
    start = 0
    for a, b in zip(cuts, cuts[1:], strict=False):
        if b - start > CHUNK_TARGET_LINES and a > start:
            out.append((start + 1, a, "\n".join(lines[start:a])))
            start = a
        while b - start > CHUNK_TARGET_LINES * 2:
            end = start + CHUNK_TARGET_LINES
            out.append((start + 1, end, "\n".join(lines[start:end])))
            start = end
    out.append((start + 1, total, "\n".join(lines[start:total])))
    return out


def plain_chunks(lines: list[str]) -> list[ChunkRow]:
    """Chunks for a file in no known language: fixed runs of lines."""
    return chunks(lines, [])

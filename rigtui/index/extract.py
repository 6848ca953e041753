"""Turn one file into index rows: definitions, references and full-text chunks.

Runs in pool workers, so everything here is a plain function over bytes returning tuples
(cheap to pickle). Nothing here stops on bad input: broken syntax yields what parses, and
non-UTF-8 text is decoded with replacement."""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter as ts

from rigtui.index.languages import CONTAINER_KINDS, SCOPE_ONLY_KINDS, grammar

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


def _raw_matches(language: str, source: bytes, parse: Parse) -> tuple[dict, dict, bool]:
    """Matches keyed by the name node's byte range, so overlapping patterns dedupe: for a
    definition a pattern that knows the parent wins, then the one earlier in the query file."""
    g = grammar(language)
    tree = parse(language, source)
    defs: dict[tuple[int, int], tuple] = {}
    refs: dict[tuple[int, int], tuple] = {}
    for pattern, caps in ts.QueryCursor(g.query).matches(tree.root_node):
        names = caps.get("name")
        if not names:
            continue
        name_node = names[0]
        key = (name_node.start_byte, name_node.end_byte)
        for cap, nodes in caps.items():
            if cap.startswith("definition."):
                parent_nodes = caps.get("parent")
                parent = _text(source, parent_nodes[0]) if parent_nodes else None
                old = defs.get(key)
                if old is None or (parent is not None, -pattern) > (old[4] is not None, -old[0]):
                    defs[key] = (pattern, cap[11:], nodes[0], name_node, parent)
            elif cap.startswith("reference.") and key not in refs:
                refs[key] = (cap[10:], name_node)
    return defs, refs, tree.root_node.has_error


def _definitions(source: bytes, lines: list[str], raw: dict) -> list[DefRow]:
    """Attach each definition to the innermost definition around it (by byte range)."""
    items = sorted(raw.values(), key=lambda d: (d[2].start_byte, -d[2].end_byte))
    stack: list[tuple[int, str, str]] = []  # (end_byte, qualname, kind)
    out: list[DefRow] = []
    for _, kind, node, name_node, explicit_parent in items:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        name = _text(source, name_node)
        parent_qual, parent_kind = (stack[-1][1], stack[-1][2]) if stack else (None, None)
        if explicit_parent:
            parent_qual, parent_kind = explicit_parent, "class"
        if kind in _FUNCTION_KINDS and parent_kind in CONTAINER_KINDS:
            kind = "method"
        qualname = f"{parent_qual}.{name}" if parent_qual else name
        stack.append((node.end_byte, qualname, kind))
        if kind in SCOPE_ONLY_KINDS:
            continue
        row = node.start_point.row
        signature = lines[row].strip()[:SIGNATURE_CHARS] if row < len(lines) else name
        parent = parent_qual.rsplit(".", 1)[-1] if parent_qual else None
        out.append((name, qualname, kind, row + 1, node.end_point.row + 1, parent, signature))
    return out


def _references(source: bytes, raw: dict, def_keys: set) -> list[RefRow]:
    out: list[RefRow] = []
    for key, (kind, node) in raw.items():
        if key in def_keys:
            continue  # a definition's own name is not a use of it
        name = _text(source, node)
        if kind == "import":
            name = _import_name(name)
        if name:
            out.append((name, kind, node.start_point.row + 1))
    out.sort(key=lambda r: r[2])
    return out


def extract(
    language: str, source: bytes, lines: list[str], parse: Parse = parse_fresh
) -> tuple[list, list, bool]:
    """Definitions, references and whether the syntax tree has errors."""
    raw_defs, raw_refs, has_error = _raw_matches(language, source, parse)
    defs = _definitions(source, lines, raw_defs)
    refs = _references(source, raw_refs, set(raw_defs))
    return defs, refs, has_error


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

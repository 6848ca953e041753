"""Read, hash and parse files: the work a pool worker does. Every problem a file can have
(binary, too large, unreadable, not UTF-8, broken syntax) becomes a status or a flag on its
result, never an exception that stops the run."""

from __future__ import annotations

import gc
import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.index.languages import language_for
from rigtui.index.text import camel_words

if TYPE_CHECKING:  # the parser loads with the first file to parse (rigtui.index.languages)
    from rigtui.index.extract import ChunkRow, DefRow, RefRow
    from rigtui.index.reparse import TreeCache

BINARY_SNIFF_BYTES = 8192

# Statuses of a file in the index. Only "ok" files have symbols and chunks.
OK, UNCHANGED, BINARY, TOO_LARGE, UNREADABLE, GONE = (
    "ok", "unchanged", "binary", "too_large", "unreadable", "gone"
)  # fmt: skip
SKIP_STATUSES = (BINARY, TOO_LARGE, UNREADABLE)


@dataclass(slots=True)
class FileResult:
    path: str
    status: str
    size: int = 0
    mtime_ns: int = 0
    hash: str = ""
    language: str | None = None
    lines: int = 0
    non_utf8: bool = False
    syntax_error: bool = False
    partial: bool = False  # past the per-file caps: the first definitions/references are kept
    defs: list[DefRow] = field(default_factory=list)
    refs: list[RefRow] = field(default_factory=list)
    chunks: list[ChunkRow] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # camelCase split copy, one per chunk


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _decode(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


def process_file(
    root: Path,
    rel: str,
    max_size: int,
    known_hash: str | None = None,
    trees: TreeCache | None = None,
) -> FileResult:
    """Everything the index stores about one file. With `known_hash`, a file whose content
    hashes the same comes back UNCHANGED (only its new size and mtime matter). With `trees`,
    the file is parsed incrementally from its last tree there, if any."""
    path = root / rel
    try:
        st = os.stat(path)
        if st.st_size > max_size:
            return FileResult(rel, TOO_LARGE, st.st_size, st.st_mtime_ns)
        data = path.read_bytes()
    except FileNotFoundError:
        return FileResult(rel, GONE)
    except OSError:
        return FileResult(rel, UNREADABLE)
    result = FileResult(rel, OK, len(data), st.st_mtime_ns, content_hash(data))
    if known_hash is not None and known_hash == result.hash:
        result.status = UNCHANGED
        return result
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        result.status = BINARY
        return result
    _fill(result, data, trees)
    return result


def _fill(result: FileResult, data: bytes, trees: TreeCache | None) -> None:
    from rigtui.index.extract import chunks, extract, parse_fresh, plain_chunks

    text, result.non_utf8 = _decode(data)
    lines = text.splitlines()
    result.lines = len(lines)
    result.language = language_for(result.path, data)
    if result.language is not None:
        source = text.encode("utf-8") if result.non_utf8 else data
        parse = parse_fresh if trees is None else partial(trees.parse, result.path)
        try:
            found = extract(result.language, source, lines, parse)
            result.defs, result.refs = found.defs, found.refs
            result.syntax_error, result.partial = found.syntax_error, found.partial
        except Exception:  # a grammar crash on one file must not end the run
            result.syntax_error = True
    result.chunks = chunks(lines, result.defs) if result.defs else plain_chunks(lines)
    result.words = _chunk_words(result)


def _chunk_words(result: FileResult) -> list[str]:
    """The camelCase split copy per chunk. For parsed files only the identifiers the parser
    found are split (scanning all text with a regex costs as much as parsing it)."""
    if result.language is None:
        return [camel_words(c[2]) for c in result.chunks]
    # Only a name with a capital letter can split: the others (most of them) are left out
    # before sorting. Then names by line, and one pass along the chunks, which are in order
    # and cover the file: work in proportion to the names, not to the lines.
    names = [(r[2], r[0]) for r in result.refs if not r[0].islower()]
    names += [(d[3], d[0]) for d in result.defs if not d[0].islower()]
    names.sort()
    words: list[str] = []
    i, count = 0, len(names)
    for start, end, _text in result.chunks:
        split = []
        while i < count and names[i][0] <= end:
            if names[i][0] >= start and (word := _name_words(names[i][1])):
                split.append(word)
            i += 1
        words.append("\n".join(split))
    return words


# The same names recur in a file and across files: split each once (a regex per name). A
# small memo: a file rarely has 1024 distinct names, and each pool worker holds its own.
_name_words = lru_cache(maxsize=1024)(camel_words)


def start_worker() -> None:
    """Set up a pool worker. It allocates a third of a million small tuples per megabyte of
    source, freed with their batch and none of them in a cycle: the default collection every
    700 allocations (with full passes over the batch's rows) costs 7% of its time for nothing.
    Rarer collections still free a cycle, should one occur."""
    gc.set_threshold(100_000, 50, 100)


def process_batch(
    root: str, items: list[tuple[str, str | None]], max_size: int
) -> list[FileResult]:
    """A pool task: several files at once, so the per-task overhead is paid rarely."""
    base = Path(root)
    return [process_file(base, rel, max_size, known) for rel, known in items]

"""The index database: one SQLite file per project, WAL mode, written in large transactions.

Reads and writes go through one connection guarded by a lock, so the UI's worker threads,
the live updater and the CLI can share an `IndexStore`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from rigtui.index.rowdiff import diff_rows
from rigtui.index.scan import OK, FileResult
from rigtui.index.schema import INDEXES, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from rigtui.index.extract import ChunkRow, DefRow, RefRow
from rigtui.store.sqlite_files import (
    SCHEMA_SQL,
    check_header,
    check_schema,
    too_new,
    translated,
)


class FileState(NamedTuple):  # a tuple: a no-change run makes one per file
    id: int
    size: int
    mtime_ns: int
    hash: str
    status: str


class IndexStore:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()
        self._next_chunk_id = 0

    @classmethod
    def open(cls, path: Path) -> IndexStore:
        """Open or create the database; a corrupt file or one from a newer rigtui raises
        StoreError naming the file, and is left as it was."""
        check_header(path)
        with translated(path):
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        store = cls(conn, path)
        try:
            with translated(path):
                store._prepare()
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self) -> None:
        version = self.scalar("PRAGMA user_version")
        if version > SCHEMA_VERSION:
            raise too_new(self.path, version, SCHEMA_VERSION)
        check_schema(self.path, self.rows(SCHEMA_SQL), MIGRATIONS[:version])
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        # Sorts larger than the page cache (creating the indexes after a cold run: 2.8 million
        # references on 9 MLOC) spill to a temporary file instead of growing in memory (peak
        # 191 -> 76 MiB there, and faster); smaller ones stay in memory either way.
        self.conn.execute("PRAGMA temp_store=FILE")
        self.conn.execute("PRAGMA cache_size=-32000")
        for number in range(version, SCHEMA_VERSION):
            try:
                self.conn.executescript(
                    f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version={number + 1};\nCOMMIT;"
                )
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        if version == 0:
            self.create_indexes()

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # --- plain reads ------------------------------------------------------------------------

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self.lock:
            row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, tuple(params)).fetchall()

    def generation(self) -> int:
        return int(self.scalar("SELECT value FROM meta WHERE key='generation'"))

    def derived(self, key: str, generation: int) -> bytes | None:
        """A stored view computed at `generation`, if it is that one."""
        row = self.rows("SELECT data FROM derived WHERE key=? AND generation=?", (key, generation))
        return row[0][0] if row else None

    @contextmanager
    def derived_blob(self, key: str, generation: int) -> Iterator[sqlite3.Blob | None]:
        """The stored view computed at `generation` opened for reading in pieces (a large view
        need not be held whole), or None."""
        with self.lock:
            row = self.conn.execute(
                "SELECT rowid FROM derived WHERE key=? AND generation=?", (key, generation)
            ).fetchone()
            if row is None:
                yield None
                return
            with self.conn.blobopen("derived", "data", row[0], readonly=True) as blob:
                yield blob

    def save_derived(self, key: str, generation: int, *parts: bytes | memoryview) -> None:
        """Keep a view computed from the rows at `generation` (not a change of the index: the
        generation stays as it is), written from `parts` in turn (never joined in memory).
        Skipped when the index moved on meanwhile."""
        size = sum(memoryview(part).nbytes for part in parts)
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                cur = self.conn.execute(
                    "INSERT OR REPLACE INTO derived (key, generation, data)"
                    " SELECT ?, ?, zeroblob(?)"
                    " WHERE (SELECT value FROM meta WHERE key='generation') = CAST(? AS TEXT)",
                    (key, generation, size, generation),
                )
                if cur.rowcount == 1:
                    with self.conn.blobopen("derived", "data", int(cur.lastrowid or 0)) as blob:
                        for part in parts:
                            blob.write(part)
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A second, read-only connection inside one read transaction: a consistent view for
        a long read (the repo map's graph) that neither holds this store's lock nor keeps
        writers waiting (WAL readers see the database as it was when they began)."""
        conn = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("BEGIN")
            yield conn
        finally:
            conn.close()

    def file_states(self) -> dict[str, FileState]:
        rows = self.rows("SELECT path, id, size, mtime_ns, hash, status FROM files")
        make = FileState._make
        return {r[0]: make(r[1:]) for r in rows}

    def file_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM files"))

    # --- writes -----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; bumps the generation so cached views (the repo map) know."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self._next_chunk_id = (
                    int(self.scalar("SELECT coalesce(max(id), 0) FROM chunks")) + 1
                )
                yield
                self.conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
                )
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:  # a full disk has rolled it back already
                    self.conn.execute("ROLLBACK")
                raise

    def drop_indexes(self) -> None:
        for name in INDEXES:
            self.conn.execute(f"DROP INDEX IF EXISTS {name}")

    def create_indexes(self) -> None:
        for sql in INDEXES.values():
            self.conn.execute(sql)

    def clear_rows(self, file_id: int) -> None:
        """Remove a file's symbols and chunks; the FTS rows go by rowid, never by a scan."""
        chunk_ids = self.conn.execute(
            "SELECT id FROM chunks WHERE file_id=?", (file_id,)
        ).fetchall()
        self.conn.executemany("DELETE FROM chunks_fts WHERE rowid=?", chunk_ids)
        self.conn.execute("DELETE FROM chunks WHERE file_id=?", (file_id,))
        self.conn.execute("DELETE FROM defs WHERE file_id=?", (file_id,))
        self.conn.execute("DELETE FROM refs WHERE file_id=?", (file_id,))

    def delete_file(self, file_id: int) -> None:
        self.clear_rows(file_id)
        self.conn.execute("DELETE FROM files WHERE id=?", (file_id,))

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        self.conn.execute(
            "UPDATE files SET size=?, mtime_ns=? WHERE id=?", (size, mtime_ns, file_id)
        )

    def write_result(self, result: FileResult, old: FileState | None) -> None:
        """Make what is stored about one file match `result` (inside a transaction)."""
        values = (
            result.language, result.status, result.size, result.mtime_ns, result.hash,
            result.lines, int(result.non_utf8), int(result.syntax_error), int(result.partial),
        )  # fmt: skip
        if old is None:
            cur = self.conn.execute(
                "INSERT INTO files (language, status, size, mtime_ns, hash, lines, non_utf8,"
                " syntax_error, partial, path) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (*values, result.path),
            )
            if result.status == OK:
                self._insert_rows(int(cur.lastrowid or 0), result)
            return
        self.conn.execute(
            "UPDATE files SET language=?, status=?, size=?, mtime_ns=?, hash=?, lines=?,"
            " non_utf8=?, syntax_error=?, partial=? WHERE id=?",
            (*values, old.id),
        )
        if result.status == OK:
            self._sync_rows(old.id, result)
        else:
            self.clear_rows(old.id)

    def _insert_rows(self, file_id: int, result: FileResult) -> None:
        self._insert_defs(file_id, result.defs)
        self._insert_refs(file_id, result.refs)
        self._insert_chunks(file_id, list(zip(result.chunks, result.words, strict=True)))

    def _insert_defs(self, file_id: int, defs: list[DefRow]) -> None:
        self.conn.executemany(
            "INSERT INTO defs (file_id, name, qualname, kind, line, end_line, parent, signature)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [(file_id, *d) for d in defs],
        )

    def _insert_refs(self, file_id: int, refs: list[RefRow]) -> None:
        self.conn.executemany(
            "INSERT INTO refs (file_id, name, kind, line) VALUES (?,?,?,?)",
            [(file_id, *r) for r in refs],
        )

    def _insert_chunks(self, file_id: int, chunks: list[tuple[ChunkRow, str]]) -> None:
        first = self._next_chunk_id
        self._next_chunk_id += len(chunks)
        self.conn.executemany(
            "INSERT INTO chunks (id, file_id, start_line, end_line) VALUES (?,?,?,?)",
            [(first + i, file_id, c[0], c[1]) for i, (c, _) in enumerate(chunks)],
        )
        self.conn.executemany(
            "INSERT INTO chunks_fts (rowid, body, words) VALUES (?,?,?)",
            [(first + i, c[2], w) for i, (c, w) in enumerate(chunks)],
        )

    # --- updating a file's rows in place (see rowdiff) --------------------------------------

    def _sync_rows(self, file_id: int, result: FileResult) -> None:
        self._sync_defs(file_id, result.defs)
        self._sync_refs(file_id, result.refs)
        self._sync_chunks(file_id, list(zip(result.chunks, result.words, strict=True)))

    def _sync_defs(self, file_id: int, defs: list[DefRow]) -> None:
        old = self.conn.execute(
            "SELECT id, name, qualname, kind, line, end_line, parent, signature FROM defs"
            " WHERE file_id=?",
            (file_id,),
        ).fetchall()
        diff = diff_rows([(r[0], r[1:]) for r in old], defs, key=itemgetter(0))
        self.conn.executemany("DELETE FROM defs WHERE id=?", [(i,) for i in diff.deletes])
        self.conn.executemany(
            "UPDATE defs SET qualname=?, kind=?, line=?, end_line=?, parent=?, signature=?"
            " WHERE id=?",
            [(*row[1:], rowid) for rowid, row in diff.updates],
        )
        self._insert_defs(file_id, diff.inserts)

    def _sync_refs(self, file_id: int, refs: list[RefRow]) -> None:
        old = self.conn.execute(
            "SELECT rowid, name, kind, line FROM refs WHERE file_id=?", (file_id,)
        ).fetchall()
        diff = diff_rows([(r[0], r[1:]) for r in old], refs, key=itemgetter(0))
        self.conn.executemany("DELETE FROM refs WHERE rowid=?", [(i,) for i in diff.deletes])
        self.conn.executemany(
            "UPDATE refs SET kind=?, line=? WHERE rowid=?",
            [(*row[1:], rowid) for rowid, row in diff.updates],
        )
        self._insert_refs(file_id, diff.inserts)

    def _sync_chunks(self, file_id: int, chunks: list[tuple[ChunkRow, str]]) -> None:
        """A chunk whose text is unchanged keeps its full-text row even when its lines moved;
        a changed chunk takes over an old chunk's id, so only its full-text row is rewritten."""
        old = self.conn.execute(
            "SELECT c.id, c.start_line, c.end_line, f.body, f.words FROM chunks c"
            " JOIN chunks_fts f ON f.rowid = c.id WHERE c.file_id=?",
            (file_id,),
        ).fetchall()
        diff = diff_rows([(r[0], ((r[1], r[2], r[3]), r[4])) for r in old], chunks, key=_chunk_text)
        moved = [(c[0], c[1], rowid) for rowid, (c, _) in diff.updates]
        rewritten = list(zip(diff.deletes, diff.inserts, strict=False))
        moved += [(c[0], c[1], rowid) for rowid, (c, _) in rewritten]
        self.conn.executemany("UPDATE chunks SET start_line=?, end_line=? WHERE id=?", moved)
        self.conn.executemany(
            "UPDATE chunks_fts SET body=?, words=? WHERE rowid=?",
            [(c[2], words, rowid) for rowid, (c, words) in rewritten],
        )
        gone = [(rowid,) for rowid in diff.deletes[len(rewritten) :]]
        self.conn.executemany("DELETE FROM chunks_fts WHERE rowid=?", gone)
        self.conn.executemany("DELETE FROM chunks WHERE id=?", gone)
        self._insert_chunks(file_id, diff.inserts[len(rewritten) :])


def _chunk_text(chunk: tuple[ChunkRow, str]) -> tuple[str, str]:
    (_, _, body), words = chunk
    return body, words

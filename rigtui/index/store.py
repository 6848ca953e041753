"""The index database: one SQLite file per project, WAL mode, written in large transactions.

Reads and writes go through one connection guarded by a lock, so the UI's worker threads,
the live updater and the CLI can share an `IndexStore`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rigtui.index.scan import OK, FileResult
from rigtui.index.schema import INDEXES, MIGRATIONS, SCHEMA_VERSION
from rigtui.store.sqlite_files import check_header, corrupt, too_new


@dataclass(frozen=True, slots=True)
class FileState:
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
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise corrupt(path, str(exc)) from exc
        store = cls(conn, path)
        try:
            store._prepare()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise corrupt(path, str(exc)) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self) -> None:
        version = self.scalar("PRAGMA user_version")
        if version > SCHEMA_VERSION:
            raise too_new(self.path, version, SCHEMA_VERSION)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute("PRAGMA temp_store=MEMORY")
        self.conn.execute("PRAGMA cache_size=-32000")
        for number in range(version, SCHEMA_VERSION):
            self.conn.executescript(
                f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version={number + 1};\nCOMMIT;"
            )
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

    def file_states(self) -> dict[str, FileState]:
        rows = self.rows("SELECT path, id, size, mtime_ns, hash, status FROM files")
        return {r[0]: FileState(*r[1:]) for r in rows}

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
        """Replace everything stored about one file with `result` (inside a transaction)."""
        values = (
            result.language, result.status, result.size, result.mtime_ns, result.hash,
            result.lines, int(result.non_utf8), int(result.syntax_error),
        )  # fmt: skip
        if old is None:
            cur = self.conn.execute(
                "INSERT INTO files (language, status, size, mtime_ns, hash, lines, non_utf8,"
                " syntax_error, path) VALUES (?,?,?,?,?,?,?,?,?)",
                (*values, result.path),
            )
            file_id = int(cur.lastrowid or 0)
        else:
            file_id = old.id
            self.clear_rows(file_id)
            self.conn.execute(
                "UPDATE files SET language=?, status=?, size=?, mtime_ns=?, hash=?, lines=?,"
                " non_utf8=?, syntax_error=? WHERE id=?",
                (*values, file_id),
            )
        if result.status == OK:
            self._write_rows(file_id, result)

    def _write_rows(self, file_id: int, result: FileResult) -> None:
        self.conn.executemany(
            "INSERT INTO defs (file_id, name, qualname, kind, line, end_line, parent, signature)"
            " VALUES (?,?,?,?,?,?,?,?)",
            [(file_id, *d) for d in result.defs],
        )
        self.conn.executemany(
            "INSERT INTO refs (file_id, name, kind, line) VALUES (?,?,?,?)",
            [(file_id, *r) for r in result.refs],
        )
        first = self._next_chunk_id
        self._next_chunk_id += len(result.chunks)
        self.conn.executemany(
            "INSERT INTO chunks (id, file_id, start_line, end_line) VALUES (?,?,?,?)",
            [(first + i, file_id, c[0], c[1]) for i, c in enumerate(result.chunks)],
        )
        self.conn.executemany(
            "INSERT INTO chunks_fts (rowid, body, words) VALUES (?,?,?)",
            [
                (first + i, c[2], w)
                for i, (c, w) in enumerate(zip(result.chunks, result.words, strict=True))
            ],
        )

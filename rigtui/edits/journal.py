"""The undo journal: one SQLite database per project (`journal.db` in its data folder) holding
every applied change set's before and after bytes, hashes and modes.

A change set's state says what is on disk: `applying`/`undoing`/`redoing` while files are being
replaced (a crash leaves it there, and `recover` finishes the job at next start), then
`applied`, `undone` or `rolled_back`. The database is versioned with `PRAGMA user_version`; a
corrupt one, or one from a newer rigtui, is reported and never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rigtui.edits.errors import PatchRefused
from rigtui.edits.prepare import FileWrite
from rigtui.edits.textfile import sha256
from rigtui.errors import StoreError
from rigtui.paths import project_data_dir

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE change_sets (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    thread_id TEXT NOT NULL DEFAULT '',
    patch TEXT NOT NULL DEFAULT '',
    accepted TEXT NOT NULL DEFAULT '',
    applied_at REAL,
    undone_at REAL,
    redoable INTEGER NOT NULL DEFAULT 0,
    created_dirs TEXT NOT NULL DEFAULT ''
);
CREATE TABLE file_changes (
    change_set_id TEXT NOT NULL REFERENCES change_sets(id),
    position INTEGER NOT NULL,
    path TEXT NOT NULL,
    before BLOB,
    after BLOB,
    before_hash TEXT,
    after_hash TEXT,
    before_mode INTEGER,
    after_mode INTEGER,
    PRIMARY KEY (change_set_id, position)
);
"""
# Each migration takes the schema from version N to N + 1.
MIGRATIONS = {
    1: "ALTER TABLE change_sets ADD COLUMN created_dirs TEXT NOT NULL DEFAULT ''",
}
BUSY = ("applying", "undoing", "redoing")
PAGE_SIZE = 65536  # SQLite's largest
CACHE_KIB = 65536  # an upper bound: the cache grows only as a transaction needs it


def journal_path(root: Path) -> Path:
    return project_data_dir(Path(root).resolve()) / "journal.db"


@dataclass(frozen=True)
class JournalEntry:
    id: str
    seq: int
    state: str
    summary: str
    thread_id: str
    applied_at: float | None
    undone_at: float | None
    redoable: bool
    paths: list[str]
    # a forced undo/redo: the change set that keeps the newer content it overwrote
    kept_id: str = ""
    created_dirs: list[str] = field(default_factory=list)  # folders applying it made

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "state": self.state,
            "summary": self.summary,
            "thread_id": self.thread_id,
            "applied_at": self.applied_at,
            "undone_at": self.undone_at,
            "files": self.paths,
        }


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        with self._errors():
            self._db = self._open(path)

    @classmethod
    def for_root(cls, root: Path) -> Journal:
        return cls(journal_path(root))

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Every SQLite failure as one clear error naming the file: a full disk, a journal
        missing a table, an unreadable file. The journal itself is never rewritten."""
        try:
            yield
        except sqlite3.Error as exc:
            raise journal_error(self.path, exc) from None

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{path}: undo journal is from a newer rigtui (version {version})",
                    fix="upgrade rigtui",
                )
            # A rollback journal, not WAL: a change set's blobs (every file's before and after
            # bytes) are new pages, written once into the database; WAL wrote them twice (the
            # log, then the checkpoint when the connection closes). One writer at a time holds
            # the project's writer lock anyway. A WAL journal from an older rigtui converts here.
            db.execute("PRAGMA journal_mode=TRUNCATE")
            db.execute("PRAGMA synchronous=FULL")
            # A change set is megabytes of blobs: kept in cache until its commit (no spill
            # mid-transaction), on the largest pages, which take a third less time to write
            # and commit than 4 KiB ones (a 333-file release: 75 -> 50 ms).
            db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            if version == 0:
                tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if tables:
                    raise StoreError(f"{path}: not a rigtui undo journal", fix=_fix(path))
                db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # a new file only; older keep theirs
                with _transaction(db):
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version < SCHEMA_VERSION:
                with _transaction(db):
                    for step in range(version, SCHEMA_VERSION):
                        db.execute(MIGRATIONS[step])
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            _check_tables(db, path)
            return db
        except BaseException:
            db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------

    def begin(
        self,
        change_set_id: str,
        writes: list[FileWrite],
        *,
        summary: str = "",
        thread_id: str = "",
        patch: str = "",
        accepted: list[str] | None = None,
        undone: bool = False,
        created_dirs: list[str] | None = None,
    ) -> None:
        """Record a change set about to be applied (state `applying`), before any file moves.
        `undone`: record it as already undone instead (redo applies it), in the same step.
        `created_dirs`: the folders applying it makes (undo removes them again)."""
        with self._errors(), _transaction(self._db), _refused_if_known(change_set_id):
            if not undone:  # a new change set ends the redo chain, as in any editor
                self._db.execute("UPDATE change_sets SET redoable = 0 WHERE state = 'undone'")
            seq = self._db.execute("SELECT coalesce(max(seq), 0) + 1 FROM change_sets").fetchone()
            self._db.execute(
                "INSERT INTO change_sets (id, seq, state, summary, thread_id, patch, accepted,"
                " undone_at, redoable, created_dirs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (change_set_id, seq[0], "undone" if undone else "applying", _text(summary),
                 thread_id, patch.encode("utf-8", "surrogateescape"), ",".join(accepted or []),
                 time.time() if undone else None, int(undone),
                 "\n".join(_text(d) for d in created_dirs or [])),
            )  # fmt: skip
            self._db.executemany(
                "INSERT INTO file_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (change_set_id, i, _path_value(w.path), w.before, w.after, sha256(w.before),
                     sha256(w.after), w.before_mode, w.after_mode)
                    for i, w in enumerate(writes)
                ],
            )  # fmt: skip

    def set_state(self, change_set_id: str, state: str) -> None:
        now = time.time()
        with self._errors(), _transaction(self._db):
            self._db.execute(
                "UPDATE change_sets SET state = ?,"
                " applied_at = CASE WHEN ? = 'applied' THEN ? ELSE applied_at END,"
                " undone_at = CASE WHEN ? = 'undone' THEN ? ELSE undone_at END,"
                " redoable = CASE WHEN ? = 'undone' THEN 1 ELSE redoable END"
                " WHERE id = ?",
                (state, state, now, state, now, state, change_set_id),
            )

    # --- reading ---------------------------------------------------------------------------

    def writes(self, change_set_id: str) -> list[FileWrite]:
        with self._errors():
            rows = self._db.execute(
                "SELECT path, before, after, before_mode, after_mode FROM file_changes"
                " WHERE change_set_id = ? ORDER BY position",
                (change_set_id,),
            ).fetchall()
        return [FileWrite(_path_of(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def entry(self, change_set_id: str) -> JournalEntry | None:
        rows = self._entries("WHERE id = ?", (change_set_id,))
        return rows[0] if rows else None

    def history(self) -> list[JournalEntry]:
        """Every change set, newest first."""
        return self._entries("ORDER BY seq DESC", ())

    def busy(self) -> list[JournalEntry]:
        marks = ",".join("?" * len(BUSY))
        return self._entries(f"WHERE state IN ({marks}) ORDER BY seq", BUSY)

    def last_applied(self) -> JournalEntry | None:
        rows = self._entries(
            "WHERE state = 'applied' ORDER BY applied_at DESC, seq DESC LIMIT 1", ()
        )
        return rows[0] if rows else None

    def last_redoable(self) -> JournalEntry | None:
        rows = self._entries(
            "WHERE state = 'undone' AND redoable = 1 ORDER BY undone_at DESC LIMIT 1", ()
        )
        return rows[0] if rows else None

    def _entries(self, where: str, params: tuple[object, ...]) -> list[JournalEntry]:
        with self._errors():
            rows = self._db.execute(
                "SELECT id, seq, state, summary, thread_id, applied_at, undone_at, redoable,"
                " (SELECT group_concat(hex(path), ',') FROM (SELECT path FROM file_changes f"
                "   WHERE f.change_set_id = c.id ORDER BY position)), created_dirs"
                f" FROM change_sets c {where}",
                params,
            ).fetchall()
        return [
            JournalEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]),
                         [_path_of(bytes.fromhex(h)) for h in (r[8] or "").split(",") if h],
                         created_dirs=[_untext(d) for d in r[9].split("\n")] if r[9] else [])
            for r in rows
        ]  # fmt: skip


REQUIRED_TABLES = ("change_sets", "file_changes")


def _path_value(path: str) -> str | bytes:
    """A path as stored: text, or its file-system bytes when it is not UTF-8 (SQLite text
    cannot hold surrogate escapes)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def _path_of(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _text(value: str) -> str:
    """Text for a TEXT column: bytes that were not UTF-8 kept as `\\udcXX` escapes."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _untext(value: str) -> str:
    if "\\udc" not in value:
        return value
    return re.sub(r"\\udc([89a-f][0-9a-f])", lambda m: chr(0xDC00 + int(m[1], 16)), value)


def _fix(path: Path) -> str:
    return f"move {path} aside (it keeps your undo history) and run rigtui again"


def _check_tables(db: sqlite3.Connection, path: Path) -> None:
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [t for t in REQUIRED_TABLES if t not in names]
    if missing:
        raise StoreError(
            f"{path}: undo journal is incomplete (no {', '.join(missing)} table)", fix=_fix(path)
        )


def journal_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """One line for an SQLite failure: a full disk is said as such, not as corruption."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in str(exc) or _io_on_full_disk(code, path):
        return StoreError(
            f"{path}: the disk is full; the undo journal cannot be written",
            fix=f"free space on the disk holding {path.parent}; nothing was changed",
        )
    if code == sqlite3.SQLITE_READONLY or "readonly" in str(exc):
        return StoreError(
            f"{path}: the undo journal is read-only", fix=f"check the permissions of {path}"
        )
    return StoreError(f"{path}: undo journal is unreadable ({exc})", fix=_fix(path))


def _io_on_full_disk(code: int | None, path: Path) -> bool:
    """SQLite reports a write the disk had no room for as an I/O error (the WAL could not
    grow): tell it apart by what the file system has left."""
    if code is None or code & 0xFF != sqlite3.SQLITE_IOERR:
        return False
    try:
        fs = os.statvfs(path.parent)
    except OSError:
        return False
    return fs.f_bavail * fs.f_frsize < 1024 * 1024


@contextmanager
def _refused_if_known(change_set_id: str) -> Iterator[None]:
    """A change set id the journal holds already (its primary key) is refused as such, not
    said as an unreadable journal."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise PatchRefused(f"change set {change_set_id} was already applied") from None


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        # SQLite rolls back by itself on some errors (a full disk): the first error is the one
        # to report, not "no transaction is active".
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")

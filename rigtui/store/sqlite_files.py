"""Shared rules for rigtui's SQLite files: refuse a corrupt file, one missing a table, or one
from a newer rigtui with a message naming the file, and never overwrite any of them; say
"disk full" (naming the folder) when that is what went wrong."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from rigtui.errors import StoreError

SQLITE_HEADER = b"SQLite format 3\x00"

# Primary result codes (the low byte of an extended code) that name the cause.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26

# Every table with its columns, one row per column (virtual tables and their shadow tables
# included).
SCHEMA_SQL = (
    "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p"
    " WHERE m.type = 'table'"
)


def check_header(path: Path) -> None:
    """A non-empty file that is not SQLite is corrupt (or not ours): refuse it before SQLite
    can touch it."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror})") from exc
    if head and head != SQLITE_HEADER:
        raise corrupt(path, "it is not an SQLite database")


# Files whose integrity check passed in this process, with what they looked like then: the
# workbench checks the store before it takes the terminal and opens it moments later, and a
# check reads every page (~150 ms for a 100 MB store). Any write since (ours or another
# process's) changes the file or its write-ahead log, and the check runs again.
_checked: dict[str, tuple[object, ...]] = {}


def _looks(path: Path) -> tuple[object, ...]:
    found: list[object] = []
    for name in (str(path), f"{path}-wal"):
        try:
            st = os.stat(name)
            found += [st.st_ino, st.st_size, st.st_mtime_ns]  # not ctime: opening chmods the log
        except OSError:
            found.append(None)
    return tuple(found)


def note_checked(path: Path) -> None:
    """`path` passed `PRAGMA quick_check` just now."""
    _checked[str(path)] = _looks(path)


def checked_unchanged(path: Path) -> bool:
    """Whether `path` passed its integrity check in this process and is unchanged since."""
    seen = _checked.get(str(path))
    return seen is not None and seen == _looks(path)


def corrupt(path: Path, why: str) -> StoreError:
    return StoreError(
        f"{path}: the database is corrupt ({why}); it was left untouched",
        fix=f"move it aside (e.g. `mv {path} {path}.broken`) and start rigtui again",
    )


def too_new(path: Path, found: int, known: int) -> StoreError:
    return StoreError(
        f"{path}: the database has schema version {found}, newer than this rigtui knows ({known})",
        fix="upgrade rigtui (`pip install -U rigtui`), or point RIGTUI_HOME elsewhere",
    )


def disk_full(path: Path) -> StoreError:
    return StoreError(
        f"{path.parent}: disk full, so {path.name} cannot be written; what it holds was left"
        " as it was",
        fix="free some space on that disk, or point RIGTUI_HOME at a folder with room",
    )


def _no_space_left(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)  # shutil.disk_usage's own reading, without importing shutil
        return st.f_bavail * st.f_frsize == 0
    except OSError:
        return False


@contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn what the database file at `path` did wrong (damaged, full, locked, unreadable, a
    table missing) into a StoreError; a broken constraint or a misused API is rigtui's own
    bug and passes through as it is."""
    try:
        yield
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise
    except sqlite3.Error as exc:
        raise storage_error(path, exc) from exc


def storage_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The one-line error for a failure reading or writing the database at `path`."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    message = str(exc)
    if code == SQLITE_FULL or (code == SQLITE_IOERR and _no_space_left(path.parent)):
        return disk_full(path)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreError(
            f"{path}: the database is locked by another program ({message})",
            fix="close the other rigtui using it, or try again",
        )
    if code in (SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR):
        return StoreError(
            f"{path}: cannot be opened or written ({message})", fix=_writable_fix(path)
        )
    return corrupt(path, message)  # corrupt, not a database, a table or column missing...


def _writable_fix(path: Path) -> str:
    return f"check that {path.parent} and the files in it are writable by you"


@cache
def expected_schema(migrations: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """The tables and columns that these migrations make, from a scratch database."""
    conn = sqlite3.connect(":memory:")
    try:
        for script in migrations:
            conn.executescript(script)
        return columns_by_table(conn.execute(SCHEMA_SQL).fetchall())
    finally:
        conn.close()


def columns_by_table(rows: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return {table: frozenset(columns) for table, columns in found.items()}


def check_schema(path: Path, rows: Iterable[tuple[str, str]], migrations: list[str]) -> None:
    """Refuse a database (rows from SCHEMA_SQL) that lacks a table or a column the migrations
    applied so far would have made: it was damaged or made by something else."""
    found = columns_by_table(rows)
    for table, columns in expected_schema(tuple(migrations)).items():
        if table not in found:
            raise corrupt(path, f"the table {table} is missing")
        if missing := sorted(columns - found[table]):
            raise corrupt(path, f"the table {table} has no column {missing[0]}")

"""Shared rules for rigtui's SQLite files: refuse a corrupt file or one from a newer rigtui
with a message naming the file, and never overwrite either."""

from __future__ import annotations

from pathlib import Path

from rigtui.errors import StoreError

SQLITE_HEADER = b"SQLite format 3\x00"


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

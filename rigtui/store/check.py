"""A quick synchronous look at the store file before anything else starts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rigtui.store.schema import MIGRATIONS, SCHEMA_VERSION
from rigtui.store.sqlite_files import (
    SCHEMA_SQL,
    check_header,
    check_schema,
    corrupt,
    note_checked,
    too_new,
    translated,
)


def check_store_file(path: Path) -> None:
    """Raise StoreError when `path` is corrupt, lacks a table, or is from a newer rigtui.
    Reads only."""
    check_header(path)
    if not path.exists() or path.stat().st_size == 0:
        return
    with translated(path):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise too_new(path, version, SCHEMA_VERSION)
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise corrupt(path, f"integrity check: {check}")
            check_schema(path, conn.execute(SCHEMA_SQL).fetchall(), MIGRATIONS[:version])
        finally:
            conn.close()
    note_checked(path)

"""A quick synchronous look at the store file before anything else starts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rigtui.store.schema import SCHEMA_VERSION
from rigtui.store.sqlite_files import check_header, corrupt, too_new


def check_store_file(path: Path) -> None:
    """Raise StoreError when `path` is corrupt or from a newer rigtui. Reads only."""
    check_header(path)
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise too_new(path, version, SCHEMA_VERSION)
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise corrupt(path, str(exc)) from exc
    if check != "ok":
        raise corrupt(path, f"integrity check: {check}")

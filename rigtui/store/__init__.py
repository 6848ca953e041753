"""The store: projects, threads and their event logs, tasks (SQLite through aiosqlite).

Its names load on first use: the code index and the trust checks use this package's SQLite
helpers (rigtui.store.sqlite_files, rigtui.store.check) without loading aiosqlite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rigtui.store.db import Project, Store, Task, Thread, new_id
    from rigtui.store.isolated import IsolatedTask, TaskFile

__all__ = ["IsolatedTask", "Project", "Store", "Task", "TaskFile", "Thread", "new_id"]


def __getattr__(name: str) -> Any:
    if name in ("IsolatedTask", "TaskFile"):
        from rigtui.store import isolated

        return getattr(isolated, name)
    if name in __all__:
        from rigtui.store import db

        return getattr(db, name)
    raise AttributeError(f"module 'rigtui.store' has no attribute {name!r}")

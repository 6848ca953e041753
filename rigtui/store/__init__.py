"""The store: projects, threads and their event logs, tasks (SQLite through aiosqlite)."""

from rigtui.store.db import Project, Store, Task, Thread, new_id

__all__ = ["Project", "Store", "Task", "Thread", "new_id"]

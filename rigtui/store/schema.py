"""The store's schema as forward migrations; `PRAGMA user_version` is the number applied."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: projects, threads, their append-only event logs, tasks
    """
    CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        root TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at REAL NOT NULL,
        opened_at REAL NOT NULL
    );
    CREATE TABLE threads (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        parent_id TEXT REFERENCES threads(id) ON DELETE SET NULL,
        forked_at_seq INTEGER,
        model_profile TEXT
    );
    CREATE INDEX threads_by_project ON threads(project_id, updated_at);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        at REAL NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_by_thread ON events(thread_id, seq);
    CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        thread_id TEXT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        goal TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'running',
        plan TEXT NOT NULL DEFAULT '[]',
        summary TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        ended_at REAL
    );
    CREATE INDEX tasks_by_thread ON tasks(thread_id, created_at);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

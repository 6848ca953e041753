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
    # 2: isolated tasks (each in a workspace of its own) and the files each changed
    """
    CREATE TABLE isolated_tasks (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        thread_id TEXT NOT NULL,
        goal TEXT NOT NULL,
        state TEXT NOT NULL,
        workspace TEXT NOT NULL DEFAULT '{}',
        owner TEXT NOT NULL DEFAULT '',
        summary TEXT NOT NULL DEFAULT '',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost REAL,
        checks TEXT NOT NULL DEFAULT '',
        files TEXT NOT NULL DEFAULT '[]',
        created_at REAL NOT NULL,
        started_at REAL,
        ended_at REAL
    );
    CREATE INDEX isolated_tasks_by_project ON isolated_tasks(project_id, created_at);
    CREATE TABLE isolated_task_files (
        task_id TEXT NOT NULL REFERENCES isolated_tasks(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        before BLOB,
        after BLOB,
        before_mode INTEGER,
        after_mode INTEGER,
        PRIMARY KEY (task_id, path)
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

"""The store: projects, threads (append-only event logs) and tasks in one SQLite file,
through aiosqlite. WAL mode, foreign keys on, forward migrations by `PRAGMA user_version`.
Every SQLite failure leaves as a StoreError naming the file and the fix (a disk full, a
corrupt file, a missing table), and the connection's thread is always closed: aiosqlite's
worker is not a daemon thread, so a connection left open keeps the process from exiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from rigtui.paths import store_db_path
from rigtui.protocol import Event, from_dict
from rigtui.store.isolated import IsolatedTaskRows
from rigtui.store.schema import MIGRATIONS, SCHEMA_VERSION
from rigtui.store.sqlite_files import (
    SCHEMA_SQL,
    check_header,
    check_schema,
    checked_unchanged,
    corrupt,
    too_new,
    translated,
)


@dataclass(frozen=True)
class Project:
    id: str
    root: str
    name: str


@dataclass(frozen=True)
class Thread:
    id: str
    project_id: str
    title: str
    created_at: float
    updated_at: float
    parent_id: str | None = None
    model_profile: str | None = None


@dataclass(frozen=True)
class Task:
    id: str
    thread_id: str
    goal: str
    status: str
    plan: list[dict[str, str]]
    summary: str
    created_at: float
    ended_at: float | None


def new_id(prefix: str) -> str:
    return f"{prefix}-{os.urandom(6).hex()}"


class Store(IsolatedTaskRows):
    """Open with `await Store.open()`; every write commits before it returns, so a process
    killed at any point loses no event that an `append` returned for."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # One connection serves every task: a transaction must not interleave with another's.
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | None = None) -> Store:
        path = Path(path) if path else store_db_path()
        check_header(path)
        with translated(path):
            conn = await aiosqlite.connect(path, isolation_level=None)
        store = cls(conn, path)
        try:
            await store._prepare()
        except BaseException:
            await conn.close()
            raise
        return store

    async def _prepare(self) -> None:
        version = await self._scalar("PRAGMA user_version")
        if version > SCHEMA_VERSION:
            raise too_new(self.path, version, SCHEMA_VERSION)
        if not checked_unchanged(self.path):  # the workbench checked it before it started
            check = await self._scalar("PRAGMA quick_check")
            if check != "ok":
                raise corrupt(self.path, f"integrity check: {check}")
        check_schema(self.path, await self._rows(SCHEMA_SQL), MIGRATIONS[:version])
        await self._execute("PRAGMA journal_mode=WAL")
        await self._execute("PRAGMA synchronous=NORMAL")
        await self._execute("PRAGMA foreign_keys=ON")
        await self._execute("PRAGMA busy_timeout=5000")
        for number in range(version, SCHEMA_VERSION):
            try:
                with translated(self.path):
                    await self._conn.executescript(
                        f"BEGIN;\n{MIGRATIONS[number]}\nPRAGMA user_version={number + 1};\nCOMMIT;"
                    )
            except BaseException:
                await self._rollback()
                raise

    async def close(self) -> None:
        with translated(self.path):
            await self._conn.close()

    async def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Cursor:
        with translated(self.path):
            return await self._conn.execute(sql, params)

    async def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk does): nothing left to undo then
        with contextlib.suppress(sqlite3.Error):
            await self._conn.execute("ROLLBACK")

    async def _scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with translated(self.path):
            async with self._conn.execute(sql, params) as cur:
                row = await cur.fetchone()
        return row[0] if row else None

    async def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        self._conn.row_factory = sqlite3.Row
        with translated(self.path):
            async with self._conn.execute(sql, params) as cur:
                return list(await cur.fetchall())

    async def schema_version(self) -> int:
        return int(await self._scalar("PRAGMA user_version"))

    # --- projects --------------------------------------------------------------------------

    async def project_for(self, root: Path) -> Project:
        """The project at `root`, created on first open."""
        real = str(Path(root).resolve())
        now = time.time()
        rows = await self._rows("SELECT id, root, name FROM projects WHERE root = ?", (real,))
        if rows:
            await self._execute(
                "UPDATE projects SET opened_at = ? WHERE id = ?", (now, rows[0]["id"])
            )
            return Project(**dict(rows[0]))
        project = Project(new_id("p"), real, Path(real).name or real)
        await self._execute(
            "INSERT INTO projects (id, root, name, created_at, opened_at) VALUES (?, ?, ?, ?, ?)",
            (project.id, project.root, project.name, now, now),
        )
        return project

    # --- threads ---------------------------------------------------------------------------

    async def create_thread(
        self, project_id: str, title: str, *, parent_id: str | None = None, forked_at: int = 0
    ) -> Thread:
        now = time.time()
        thread = Thread(new_id("t"), project_id, title, now, now, parent_id)
        await self._execute(
            "INSERT INTO threads (id, project_id, title, created_at, updated_at, parent_id,"
            " forked_at_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (thread.id, project_id, title, now, now, parent_id, forked_at or None),
        )
        return thread

    async def thread(self, thread_id: str) -> Thread | None:
        rows = await self._rows(f"SELECT {_THREAD_COLUMNS} FROM threads WHERE id = ?", (thread_id,))
        return Thread(**dict(rows[0])) if rows else None

    async def threads(self, project_id: str) -> list[Thread]:
        """Newest activity first."""
        rows = await self._rows(
            f"SELECT {_THREAD_COLUMNS} FROM threads WHERE project_id = ?"
            " ORDER BY updated_at DESC, created_at DESC",
            (project_id,),
        )
        return [Thread(**dict(r)) for r in rows]

    async def rename_thread(self, thread_id: str, title: str) -> None:
        await self._execute(
            "UPDATE threads SET title = ?, updated_at = ? WHERE id = ?",
            (title, time.time(), thread_id),
        )

    async def set_thread_model(self, thread_id: str, profile: str | None) -> None:
        await self._execute(
            "UPDATE threads SET model_profile = ? WHERE id = ?", (profile, thread_id)
        )

    async def delete_thread(self, thread_id: str) -> None:
        """Deletes the thread, its events and tasks (cascade)."""
        await self._execute("DELETE FROM threads WHERE id = ?", (thread_id,))

    # --- events ----------------------------------------------------------------------------

    async def append(self, event: Event) -> int:
        """Append one event to its thread's log; returns its sequence number."""
        return (await self.append_many([event]))[0]

    async def append_many(self, events: list[Event]) -> list[int]:
        # The write runs to its end in a task of its own: a caller cancelled mid-write (a
        # task the user stopped) must neither lose half of it nor leave the transaction open,
        # which would fail every later write ("cannot start a transaction within a transaction").
        return await asyncio.shield(asyncio.ensure_future(self._locked_append(events)))

    async def _locked_append(self, events: list[Event]) -> list[int]:
        async with self._write_lock:
            return await self._append_many(events)

    async def _append_many(self, events: list[Event]) -> list[int]:
        seqs: list[int] = []
        try:
            await self._execute("BEGIN IMMEDIATE")
            for event in events:
                data = event.to_dict()
                cur = await self._execute(
                    "INSERT INTO events (thread_id, type, at, data) VALUES (?, ?, ?, ?)",
                    (event.thread_id, event.type, event.at, json.dumps(data)),
                )
                seqs.append(int(cur.lastrowid or 0))
            touched = {e.thread_id for e in events}
            for thread_id in touched:
                await self._execute(
                    "UPDATE threads SET updated_at = ? WHERE id = ?", (time.time(), thread_id)
                )
            await self._execute("COMMIT")
        except BaseException:
            await self._rollback()
            raise
        return seqs

    async def events(
        self, thread_id: str, *, after: int = 0, upto: int | None = None
    ) -> list[Event]:
        sql = "SELECT data FROM events WHERE thread_id = ? AND seq > ?"
        params: tuple[Any, ...] = (thread_id, after)
        if upto is not None:
            sql += " AND seq <= ?"
            params += (upto,)
        rows = await self._rows(sql + " ORDER BY seq", params)
        return [from_dict(json.loads(r["data"])) for r in rows]

    async def event_rows(self, thread_id: str) -> list[tuple[int, Event]]:
        rows = await self._rows(
            "SELECT seq, data FROM events WHERE thread_id = ? ORDER BY seq", (thread_id,)
        )
        return [(r["seq"], from_dict(json.loads(r["data"]))) for r in rows]

    async def count_events(self, thread_id: str) -> int:
        return int(
            await self._scalar("SELECT COUNT(*) FROM events WHERE thread_id = ?", (thread_id,))
        )

    # --- tasks -----------------------------------------------------------------------------

    async def create_task(self, thread_id: str, goal: str) -> Task:
        task = Task(new_id("k"), thread_id, goal, "running", [], "", time.time(), None)
        await self._execute(
            "INSERT INTO tasks (id, thread_id, goal, status, created_at) VALUES (?, ?, ?, ?, ?)",
            (task.id, thread_id, goal, task.status, task.created_at),
        )
        return task

    async def update_task(
        self,
        task_id: str,
        *,
        plan: list[dict[str, str]] | None = None,
        status: str | None = None,
        summary: str | None = None,
    ) -> None:
        if plan is not None:
            await self._execute(
                "UPDATE tasks SET plan = ? WHERE id = ?", (json.dumps(plan), task_id)
            )
        if status is not None:
            ended = time.time() if status in ("done", "failed", "cancelled") else None
            await self._execute(
                "UPDATE tasks SET status = ?, ended_at = ? WHERE id = ?", (status, ended, task_id)
            )
        if summary is not None:
            await self._execute("UPDATE tasks SET summary = ? WHERE id = ?", (summary, task_id))

    async def task_states(self, project_id: str) -> dict[str, dict[str, int]]:
        """For each thread of the project that has tasks: how many are in each status."""
        rows = await self._rows(
            "SELECT tasks.thread_id, tasks.status, COUNT(*) AS n FROM tasks"
            " JOIN threads ON threads.id = tasks.thread_id WHERE threads.project_id = ?"
            " GROUP BY tasks.thread_id, tasks.status",
            (project_id,),
        )
        states: dict[str, dict[str, int]] = {}
        for row in rows:
            states.setdefault(row["thread_id"], {})[row["status"]] = row["n"]
        return states

    async def tasks(self, thread_id: str) -> list[Task]:
        rows = await self._rows(
            "SELECT id, thread_id, goal, status, plan, summary, created_at, ended_at FROM tasks"
            " WHERE thread_id = ? ORDER BY created_at",
            (thread_id,),
        )
        return [Task(**{**dict(r), "plan": json.loads(r["plan"])}) for r in rows]


_THREAD_COLUMNS = "id, project_id, title, created_at, updated_at, parent_id, model_profile"

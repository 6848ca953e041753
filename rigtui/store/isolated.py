"""Isolated tasks in the store: one row per task (its state, thread, workspace, who runs it,
usage) and the files it changed (bytes before and after), kept until it is applied or
discarded so a task whose process died is still reviewable."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

COLUMNS = (
    "id, project_id, thread_id, goal, state, workspace, owner, summary, input_tokens,"
    " output_tokens, cost, checks, files, created_at, started_at, ended_at"
)
UPDATABLE = {
    "state", "workspace", "owner", "summary", "input_tokens", "output_tokens", "cost", "checks",
    "files", "started_at", "ended_at",
}  # fmt: skip


@dataclass(frozen=True)
class IsolatedTask:
    id: str
    project_id: str
    thread_id: str
    goal: str
    state: str
    workspace: dict[str, str] = field(default_factory=dict)
    owner: str = ""
    summary: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None
    checks: str = ""
    files: list[str] = field(default_factory=list)
    created_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None


@dataclass(frozen=True)
class TaskFile:
    path: str
    before: bytes | None
    after: bytes | None
    before_mode: int | None
    after_mode: int | None


def _task(row: sqlite3.Row) -> IsolatedTask:
    data = dict(row)
    data["workspace"] = json.loads(data["workspace"] or "{}")
    data["files"] = json.loads(data["files"] or "[]")
    return IsolatedTask(**data)


class IsolatedTaskRows:
    """Mixed into the Store (its `_execute`, `_rows` and write lock)."""

    _execute: Any
    _rows: Any
    _rollback: Any
    _write_lock: Any

    async def create_isolated_task(
        self, task_id: str, project_id: str, thread_id: str, goal: str
    ) -> IsolatedTask:
        task = IsolatedTask(task_id, project_id, thread_id, goal, "queued", created_at=time.time())
        await self._execute(
            "INSERT INTO isolated_tasks (id, project_id, thread_id, goal, state, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (task.id, project_id, thread_id, goal, task.state, task.created_at),
        )
        return task

    async def update_isolated_task(self, task_id: str, **values: Any) -> None:
        unknown = set(values) - UPDATABLE
        if unknown:
            raise ValueError(f"not a column of isolated_tasks: {sorted(unknown)}")
        if not values:
            return
        encoded = {
            k: json.dumps(v) if k in ("workspace", "files") else v for k, v in values.items()
        }
        sets = ", ".join(f"{k} = ?" for k in encoded)
        await self._execute(
            f"UPDATE isolated_tasks SET {sets} WHERE id = ?", (*encoded.values(), task_id)
        )

    async def isolated_task(self, task_id: str) -> IsolatedTask | None:
        rows = await self._rows(f"SELECT {COLUMNS} FROM isolated_tasks WHERE id = ?", (task_id,))
        return _task(rows[0]) if rows else None

    async def isolated_tasks(self, project_id: str) -> list[IsolatedTask]:
        rows = await self._rows(
            f"SELECT {COLUMNS} FROM isolated_tasks WHERE project_id = ? ORDER BY created_at",
            (project_id,),
        )
        return [_task(r) for r in rows]

    async def save_task_files(self, task_id: str, files: list[TaskFile]) -> None:
        """The task's changed files, replacing what was saved for it before, in one go."""
        async with self._write_lock:
            await self._execute("BEGIN IMMEDIATE")
            try:
                await self._execute("DELETE FROM isolated_task_files WHERE task_id = ?", (task_id,))
                for f in files:
                    await self._execute(
                        "INSERT INTO isolated_task_files"
                        " (task_id, path, before, after, before_mode, after_mode)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (task_id, f.path, f.before, f.after, f.before_mode, f.after_mode),
                    )
                await self._execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def task_files(self, task_id: str) -> list[TaskFile]:
        rows = await self._rows(
            "SELECT path, before, after, before_mode, after_mode FROM isolated_task_files"
            " WHERE task_id = ? ORDER BY path",
            (task_id,),
        )
        return [TaskFile(**dict(r)) for r in rows]

    async def drop_task_files(self, task_id: str) -> None:
        await self._execute("DELETE FROM isolated_task_files WHERE task_id = ?", (task_id,))

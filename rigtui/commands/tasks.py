"""`rigtui tasks`: the project's isolated tasks, oldest first, with their state and change set.
Starting it is a start like any other: a task whose rigtui died is marked interrupted first.

`--json` prints one object per task (a stable shape, documented in the README):
    {"id", "thread_id", "goal", "state", "summary", "created_at", "started_at", "ended_at",
     "elapsed", "input_tokens", "output_tokens", "cost", "checks", "files",
     "change_set": {"id", "files": [{"path", "added", "removed"}],
                    "conflicts": [{"path", "reason", "in_patch"}], "merged": [...]} | null}"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from rigtui.commands._common import project_root
from rigtui.config import load_settings
from rigtui.display import safe_line, safe_name
from rigtui.protocol.isolated import REVIEWABLE
from rigtui.session import Session

NAME = "tasks"
HELP = "list the project's isolated tasks: state, time, tokens, checks, change set"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--json", action="store_true", help="one JSON object per task")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    rows = asyncio.run(task_rows(root))
    if args.json:
        for row in rows:
            print(json.dumps(row))
    elif not rows:
        print(f'no isolated tasks in {root}; start one with `rigtui exec --isolated "..."`')
    else:
        for row in rows:
            print(_line(row))
    return 0


async def task_rows(root: Path) -> list[dict[str, Any]]:
    session = await Session.open(root, settings=load_settings(root))
    try:
        await session.isolated.recover()
        rows = []
        for task in await session.isolated.tasks():
            change_set = None
            if task.state in REVIEWABLE and task.files:
                change_set = _change_set(task.id, await session.isolated.preview(task.id))
            end = task.ended_at or time.time()
            rows.append(
                {
                    "id": task.id,
                    "thread_id": task.thread_id,
                    "goal": task.goal,
                    "state": task.state,
                    "summary": task.summary,
                    "created_at": task.created_at,
                    "started_at": task.started_at,
                    "ended_at": task.ended_at,
                    "elapsed": round(end - task.started_at, 3) if task.started_at else 0.0,
                    "input_tokens": task.input_tokens,
                    "output_tokens": task.output_tokens,
                    "cost": task.cost,
                    "checks": task.checks,
                    "files": task.files,
                    "change_set": change_set,
                }
            )
        return rows
    finally:
        await session.close()


def _change_set(task_id: str, rebased: Any) -> dict[str, Any]:
    counts: dict[str, list[int]] = {}
    current, in_hunk = "", False
    for line in rebased.patch.splitlines():
        if line.startswith("diff --git "):
            current = rebased.paths[len(counts)] if len(counts) < len(rebased.paths) else ""
            counts[current] = [0, 0]
            in_hunk = False  # its header: `--- a/x` and `+++ b/x` are not lines of the file
        elif line.startswith("@@"):
            in_hunk = True
        elif current and in_hunk and line.startswith("+"):
            counts[current][0] += 1
        elif current and in_hunk and line.startswith("-"):
            counts[current][1] += 1
    return {
        "id": f"cs-{task_id}",
        "files": [{"path": p, "added": a, "removed": r} for p, (a, r) in counts.items()],
        "conflicts": [
            {"path": c.path, "reason": c.reason, "in_patch": c.in_patch} for c in rebased.conflicts
        ],
        "merged": list(rebased.merged),
    }


def _line(row: dict[str, Any]) -> str:
    tokens = f"{row['input_tokens']}/{row['output_tokens']} tok"
    cost = f" ${row['cost']:.4f}" if row["cost"] is not None else ""
    files = ", ".join(safe_name(f) for f in row["files"]) or "no changes"
    conflicts = ""
    if row["change_set"] and row["change_set"]["conflicts"]:
        conflicts = f"  CONFLICTS: {len(row['change_set']['conflicts'])}"
    checks = f"  checks: {row['checks']}" if row["checks"] else ""
    if row["state"] in ("failed", "interrupted") and row["summary"]:
        checks += f"  ({safe_line(row['summary'][:80])})"
    return (
        f"{row['id']}  {row['state']:<12} {row['elapsed']:>7.1f}s  {tokens}{cost}  {files}"
        f"{conflicts}{checks}  {safe_line(row['goal'][:60])}"
    )

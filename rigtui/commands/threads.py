"""`rigtui threads`: the project's threads, newest activity first."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from rigtui.commands._common import project_root
from rigtui.config import load_settings
from rigtui.session import Session

NAME = "threads"
HELP = "list the project's threads (id, title, last activity)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--json", action="store_true", help="one JSON object per thread")
    parser.add_argument("--search", help="only threads whose title or messages contain this")


def run(args: argparse.Namespace) -> int:

    root = project_root(args.path)
    rows = asyncio.run(_rows(root, args.search))
    if args.json:
        for row in rows:
            print(json.dumps(row))
    elif not rows:
        print(f'no threads in {root} yet; start one with `rigtui exec "..."` or `rigtui`')
    else:
        for row in rows:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["updated_at"]))
            fork = f"  (fork of {row['parent_id']})" if row["parent_id"] else ""
            print(f"{row['id']}  {when}  {row['events']:>5} events  {row['title']}{fork}")
    return 0


async def _rows(root: Path, search: str | None) -> list[dict[str, object]]:
    session = await Session.open(root, settings=load_settings(root))
    try:
        threads = await session.search_threads(search) if search else await session.threads()
        return [
            {
                "id": t.id,
                "title": t.title,
                "created_at": t.created_at,
                "updated_at": t.updated_at,
                "parent_id": t.parent_id,
                "model_profile": t.model_profile,
                "events": await session.count_events(t.id),
            }
            for t in threads
        ]
    finally:
        await session.close()

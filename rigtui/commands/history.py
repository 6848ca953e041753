"""`rigtui history`: the change sets applied to a project, newest first."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from rigtui.commands._common import project_root
from rigtui.commands._session import one_shot
from rigtui.display import safe_line
from rigtui.edits.journal import JournalEntry
from rigtui.protocol import Recover

NAME = "history"
HELP = "list applied and undone change sets (newest first)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def run(args: argparse.Namespace) -> int:
    entries = asyncio.run(_entries(project_root(args.path)))
    if args.json:
        for entry in entries:
            print(json.dumps(entry.to_dict()))
        return 0
    if not entries:
        print("no change sets applied in this project yet")
    for entry in entries:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.applied_at or 0))
        print(f"{entry.id}  {entry.state:<11} {when}  {safe_line(entry.summary)}")
    return 0


async def _entries(root: Path) -> list[JournalEntry]:
    async with one_shot(root) as shot:
        await shot.session.send(Recover(""))  # a crash's leftovers are put back first
        return await shot.session.change_history()

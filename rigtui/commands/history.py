"""`rigtui history`: the change sets applied to a project, newest first."""

from __future__ import annotations

import argparse
import json
import time

from rigtui.display import safe_line

NAME = "history"
HELP = "list applied and undone change sets (newest first)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def run(args: argparse.Namespace) -> int:
    from rigtui.cli import project_root
    from rigtui.edits.engine import history, recover

    root = project_root(args.path)
    recover(root)
    entries = history(root)
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

"""`rigtui redo`: re-apply the change set undone last."""

from __future__ import annotations

import argparse
import asyncio

from rigtui.commands._common import project_root
from rigtui.commands.undo import swap
from rigtui.protocol import Redo

NAME = "redo"
HELP = "redo the change set undone last"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--id", dest="change_set_id", help="a change set id from `rigtui history`")
    parser.add_argument("--force", action="store_true", help="redo even if files changed since")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    return asyncio.run(swap(root, Redo("", args.change_set_id, force=args.force)))

"""`rigtui redo`: re-apply the change set undone last."""

from __future__ import annotations

import argparse

from rigtui.display import safe_name

NAME = "redo"
HELP = "redo the change set undone last"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--id", dest="change_set_id", help="a change set id from `rigtui history`")
    parser.add_argument("--force", action="store_true", help="redo even if files changed since")


def run(args: argparse.Namespace) -> int:
    from rigtui.cli import project_root
    from rigtui.commands.undo import print_kept
    from rigtui.edits.engine import redo

    entry = redo(project_root(args.path), args.change_set_id, force=args.force)
    print(f"redid change set {entry.id}: {', '.join(map(safe_name, entry.paths))}")
    print_kept(entry)
    return 0

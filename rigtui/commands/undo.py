"""`rigtui undo`: restore the files of the last applied change set, byte for byte."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rigtui.display import safe_name

if TYPE_CHECKING:
    from rigtui.edits.journal import JournalEntry

NAME = "undo"
HELP = "undo the last applied change set (from rigtui's journal, not git)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--id", dest="change_set_id", help="a change set id from `rigtui history`")
    parser.add_argument(
        "--force", action="store_true", help="undo even if files changed after the apply"
    )
    parser.add_argument("--redo", action="store_true", help="redo the last undone change set")


def run(args: argparse.Namespace) -> int:
    from rigtui.cli import note, project_root
    from rigtui.edits.engine import redo, undo

    root = project_root(args.path)
    action = redo if args.redo else undo
    entry = action(root, args.change_set_id, force=args.force, on_wait=note)
    print_done("redid" if args.redo else "undid", entry)
    return 0


def print_done(verb: str, entry: JournalEntry) -> None:

    print(f"{verb} change set {entry.id}: {', '.join(safe_name(p) for p in entry.paths)}")
    print_kept(entry)


def print_kept(entry: JournalEntry) -> None:
    if entry.kept_id:
        print(
            f"the newer content it overwrote is kept as change set {entry.kept_id}:"
            " `rigtui redo` brings it back"
        )

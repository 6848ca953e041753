"""`rigtui index [PATH]`: build or update the project's code index and summarise it."""

from __future__ import annotations

import argparse

from rigtui.commands._common import project_root
from rigtui.commands._index_support import print_json, run_update, summary_text
from rigtui.index.api import CodeIndex

NAME = "index"
HELP = "build or update the code index (symbols, references, full-text search)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=None, help="project folder (default: .)")
    parser.add_argument("--path", dest="path_option", metavar="DIR", help="same as PATH")
    parser.add_argument(
        "--workers", type=int, default=None, help="parser processes (default: cores)"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path or args.path_option or ".")
    with CodeIndex.open(root) as index:
        ready = run_update(index, workers=args.workers)
        if args.json:
            print_json({**ready.to_dict(), "root": str(root), "database": str(index.db_path)})
        else:
            print(f"{root}: {summary_text(ready)}")
    return 0

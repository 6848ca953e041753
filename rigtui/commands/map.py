"""`rigtui map`: the repository's most important files and symbols within a token budget."""

from __future__ import annotations

import argparse

from rigtui.commands._index_support import (
    add_common_arguments,
    nothing_found,
    open_index,
    print_json,
    project_relative,
)
from rigtui.errors import BadInput

NAME = "map"
HELP = "a ranked map of files and symbols within a token budget"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tokens", type=int, default=1024, help="token budget (default: 1024)")
    parser.add_argument("--focus", nargs="+", default=[], metavar="FILE", help="files to centre on")
    parser.add_argument(
        "--symbol", nargs="+", default=[], metavar="NAME", help="symbols to centre on"
    )
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if args.tokens < 1:
        raise BadInput(
            f"--tokens {args.tokens}: must be a positive number", fix="e.g. --tokens 1024"
        )
    with open_index(args.path, update=not args.no_update) as index:
        focus = [project_relative(index, f) for f in args.focus]
        text = index.repo_map(args.tokens, focus_files=focus, focus_symbols=args.symbol)
    if not text:
        return nothing_found("the index has no symbols to map", args.json)
    if args.json:
        print_json({"tokens": args.tokens, "focus": focus, "symbols": args.symbol, "map": text})
    else:
        print(text, end="")
    return 0

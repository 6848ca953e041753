"""`rigtui refs NAME`: where a name is used (calls, type uses, imports)."""

from __future__ import annotations

import argparse

from rigtui.commands._index_support import (
    add_common_arguments,
    line_text,
    nothing_found,
    open_index,
    print_json_lines,
)
from rigtui.display import safe_line, safe_name

NAME = "refs"
HELP = "find references to a name (calls, type uses, imports)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the name used (for Class.method, the method's name)")
    parser.add_argument("--limit", type=int, default=500, help="at most this many (default: 500)")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    with open_index(args.path, update=not args.no_update) as index:
        found = index.references(args.name, limit=args.limit)
        root = index.root
    if not found:
        return nothing_found(f"no references to {args.name!r}", args.json)
    if args.json:
        print_json_lines(r.to_dict() for r in found)
        return 0
    cache: dict[str, list[str]] = {}
    for r in found:
        text = safe_line(line_text(root, r.path, r.line, cache))
        print(f"{safe_name(r.path)}:{r.line}  {r.kind:<7} {text}")
    return 0

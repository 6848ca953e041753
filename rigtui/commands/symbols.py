"""`rigtui symbols NAME`: where a symbol (or `Class.method`) is defined."""

from __future__ import annotations

import argparse

from rigtui.commands._index_support import (
    add_common_arguments,
    nothing_found,
    open_index,
    print_json_lines,
)
from rigtui.display import safe_line, safe_name

NAME = "symbols"
HELP = "find definitions by name (`parse`, `Parser.parse`)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="a symbol name, or Parent.name for a member")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default: 50)")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    with open_index(args.path, update=not args.no_update) as index:
        found = index.find_symbol(args.name, limit=args.limit)
    if not found:
        return nothing_found(f"no symbol named {args.name!r}", args.json)
    if args.json:
        print_json_lines(s.to_dict() for s in found)
        return 0
    for s in found:
        print(
            f"{safe_name(s.path)}:{s.line}  {s.kind:<9} {safe_line(s.qualname)}  {safe_line(s.signature)}"
        )
    return 0

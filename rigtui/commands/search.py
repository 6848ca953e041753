"""`rigtui search TEXT`: full-text search over the project, best matches first."""

from __future__ import annotations

import argparse

from rigtui.commands._index_support import (
    add_common_arguments,
    nothing_found,
    open_index,
    print_json_lines,
)
from rigtui.display import safe_line, safe_name
from rigtui.errors import BadInput
from rigtui.index.text import query_terms

NAME = "search"
HELP = "full-text search (finds parse_config, parseConfig and config alike)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", help="words to find (all must match)")
    parser.add_argument("--limit", type=int, default=20, help="at most this many (default: 20)")
    add_common_arguments(parser)


def run(args: argparse.Namespace) -> int:
    text = " ".join(args.text)
    if not query_terms(text):
        raise BadInput(f"{text!r} has no words to search for", fix="pass letters or digits")
    with open_index(args.path, update=not args.no_update) as index:
        hits = index.search(text, limit=args.limit)
    if not hits:
        return nothing_found(f"nothing matches {text!r}", args.json)
    if args.json:
        print_json_lines(h.to_dict() for h in hits)
        return 0
    for h in hits:
        print(f"{safe_name(h.path)}:{h.line}: {safe_line(h.snippet)}")
    return 0

"""`search_code`, `find_symbol` and `repo_map` over the project's code index (rigtui.index).
When the index is not available the tools say so, and the model can fall back on
`list_files`/`read_file`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rigtui.index.api import CodeIndex

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, obj


async def _index(ctx: ToolContext) -> CodeIndex:
    if ctx.services is None:
        raise ToolError("the code index is not available here; use list_files and read_file")
    index = await ctx.services.code_index()
    if index is None:
        raise ToolError(
            "the code index is not available (disabled in settings or not installed);"
            " use list_files and read_file"
        )
    return index


def _text(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ToolError(f"{key} must be a non-empty string")
    return value.strip()


async def search_code(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    query = _text(args, "query")
    limit = int(args.get("limit") or 10)
    hits = await (await _index(ctx)).asearch(query, min(max(limit, 1), 50))
    if not hits:
        return ToolOutput(f"no matches for {query!r}", f"searched {query!r}: nothing")
    parts = [f"{h.path}:{h.start_line}-{h.end_line}\n{h.snippet}" for h in hits]
    return ToolOutput("\n\n".join(parts), f"searched {query!r}: {len(hits)} hits")


async def find_symbol(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    name = _text(args, "name")
    index = await _index(ctx)
    symbols = await index.afind_symbol(name)
    lines = [
        f"{s.kind} {s.qualname} at {s.path}:{s.line}-{s.end_line}  {s.signature}" for s in symbols
    ]
    if args.get("references"):
        refs = await asyncio.to_thread(index.references, name, 100)
        lines += [f"{r.kind} reference at {r.path}:{r.line}" for r in refs]
    if not lines:
        return ToolOutput(f"no symbol named {name!r}", f"find {name}: nothing")
    return ToolOutput("\n".join(lines), f"find {name}: {len(lines)} results")


async def repo_map(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    budget = int(args.get("token_budget") or 1024)
    focus = args.get("focus_files") or []
    if not isinstance(focus, list):
        raise ToolError("focus_files must be a list of paths")
    text = await (await _index(ctx)).arepo_map(min(max(budget, 128), 8192), [str(f) for f in focus])
    return ToolOutput(text or "(the index holds no symbols yet)", f"repo map ({budget} tokens)")


TOOLS = [
    Tool(
        "search_code",
        "Full-text search over the project's code; returns matching snippets with locations.",
        obj({"query": {"type": "string"}, "limit": {"type": "integer"}}, ["query"]),
        search_code,
    ),
    Tool(
        "find_symbol",
        "Find where a function, class or method is defined (name or Qualified.name); set"
        " references=true to list where it is used too.",
        obj({"name": {"type": "string"}, "references": {"type": "boolean"}}, ["name"]),
        find_symbol,
    ),
    Tool(
        "repo_map",
        "A ranked outline of the repository's most important symbols, within a token budget;"
        " focus_files ranks what those files touch higher.",
        obj(
            {
                "token_budget": {"type": "integer"},
                "focus_files": {"type": "array", "items": {"type": "string"}},
            }
        ),
        repo_map,
    ),
]

"""The model's tools: one small handler module each, collected here by name.

`call_tool` never raises for anything the model did wrong (bad JSON, an unknown tool, wrong
arguments, a failing handler): the model gets an error result it can act on."""

from __future__ import annotations

import json
from typing import Any

from rigtui.agent.tools import checks, code_index, commands, files, patch, plan
from rigtui.agent.tools.base import (
    AskCommand,
    ChangeWriter,
    CommandDecision,
    ProjectServices,
    TaskRecord,
    Tool,
    ToolContext,
    ToolError,
    ToolOutput,
    ToolSource,
)

TOOLS: dict[str, Tool] = {
    t.name: t for module in (files, plan, code_index, patch, commands, checks) for t in module.TOOLS
}

__all__ = [
    "TOOLS",
    "AskCommand",
    "ChangeWriter",
    "ProjectServices",
    "CommandDecision",
    "TaskRecord",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolOutput",
    "ToolSource",
    "call_tool",
    "schemas",
]


def available(ctx: ToolContext | None = None) -> dict[str, Tool]:
    """rigtui's own tools, and the context's others (MCP servers') beside them."""
    if ctx is None or ctx.more_tools is None:
        return TOOLS
    more = ctx.more_tools.tools()
    return {**TOOLS, **{n: t for n, t in more.items() if n not in TOOLS}}


def schemas(names: list[str] | None = None, ctx: ToolContext | None = None) -> list[dict[str, Any]]:
    return [t.schema() for n, t in available(ctx).items() if names is None or n in names]


def parse_arguments(raw: str) -> dict[str, Any]:
    try:
        args = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise ToolError(
            f"the arguments are not valid JSON ({exc.msg} at character {exc.pos}); send one"
            " JSON object"
        ) from exc
    if not isinstance(args, dict):
        raise ToolError("the arguments must be a JSON object")
    return args


async def call_tool(ctx: ToolContext, name: str, raw_arguments: str) -> tuple[bool, ToolOutput]:
    """(ok, output) for one call. Cancellation propagates; every other failure is a result."""
    tool = TOOLS.get(name)
    if tool is None and ctx.more_tools is not None:
        tool = ctx.more_tools.get(name)
    try:
        if tool is None:
            raise ToolError(f"unknown tool {name!r}; the tools are: {', '.join(available(ctx))}")
        result = await tool.run(ctx, parse_arguments(raw_arguments))
    except ToolError as exc:
        return False, ToolOutput(f"error: {exc}", f"{name}: {exc}")
    except Exception as exc:  # a bug in a handler must not end the task
        message = f"{type(exc).__name__}: {exc}"
        return False, ToolOutput(f"error: the tool failed ({message})", f"{name} failed: {message}")
    if isinstance(result, str):
        result = ToolOutput(result, name)
    return True, result

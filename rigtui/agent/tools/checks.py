"""`run_checks`: run the project's checks (tests, lint, type-check) now and report."""

from __future__ import annotations

import dataclasses
from typing import Any

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, obj


async def run_checks(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    if ctx.services is None:
        raise ToolError("checks are not available here")
    try:
        from rigtui.checks.feedback import failure_message
    except ImportError as exc:
        raise ToolError(f"checks are not available in this build ({exc}); use run_command") from exc
    runner = await ctx.services.check_runner()
    known = [c.name for c in runner.checks]
    if not known:
        raise ToolError(
            "no checks are configured or detected; the user can add them under [checks] in"
            " .rigtui.toml; use run_command to run a test command instead"
        )
    names = args.get("names") or None
    if names is not None:
        if not isinstance(names, list) or any(n not in known for n in names):
            raise ToolError(f"names must be a list of known checks: {', '.join(known)}")
    results = await runner.run_once(names)
    lines = []
    for finished in results:
        await ctx.emit(dataclasses.replace(finished, thread_id=ctx.thread_id))
        ctx.record.checks.append(
            {"check": finished.check, "state": finished.state, "run_id": finished.run_id}
        )
        lines.append(
            failure_message(finished)
            if finished.failed
            else f"`{finished.check}` {finished.state} ({finished.duration:.1f}s)"
        )
    passed = sum(f.state == "passed" for f in results)
    return ToolOutput("\n\n".join(lines), f"checks: {passed}/{len(results)} passed")


TOOLS = [
    Tool(
        "run_checks",
        "Run the project's configured checks (tests, lint, type-check) and get their results;"
        " names picks some of them, default all.",
        obj({"names": {"type": "array", "items": {"type": "string"}}}),
        run_checks,
    )
]

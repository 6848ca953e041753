"""`run_checks`: run the project's checks (tests, lint, type-check) now and report.

A check the user has not trusted (detected from the project's files, or from a project file
they have not trusted: rigtui.checks.spec) is a command the model asks to run like any other:
it goes through the same approval policy and question as `run_command`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, obj
from rigtui.checks.feedback import failure_message

if TYPE_CHECKING:
    from rigtui.checks.runner import CheckRunner
    from rigtui.checks.spec import Check


async def run_checks(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    if ctx.services is None:
        raise ToolError("checks are not available here")
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
    chosen = [c for c in runner.checks if names is None or c.name in names]
    allowed = [c.name for c in chosen if c.trusted or await _approved(ctx, c, runner)]
    if not allowed:
        raise ToolError("the user declined to run the checks; ask them, or use run_command")
    results = await runner.run_once(allowed)
    lines = [f"`{c.name}` not run: the user declined" for c in chosen if c.name not in allowed]
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
    return ToolOutput("\n\n".join(lines), f"checks: {passed}/{len(chosen)} passed")


async def _approved(ctx: ToolContext, check: Check, runner: CheckRunner) -> bool:
    """An untrusted check runs when the command policy says so, or the user agrees."""
    from rigtui.sandbox.policy import decide  # the shell grammar (tree-sitter): when first used

    verdict = decide(check.command, ctx.root, ctx.root, ctx.settings.approval)
    if verdict.action == "run":
        return True
    origin = "detected from the project's files" if not check.confirmed else "from .rigtui.toml, which is not trusted"  # fmt: skip
    decision = await ctx.ask_command(
        check.command,
        ".",
        f"check `{check.name}`, {origin} ({verdict.reason})",
        sandbox=getattr(runner.sandbox, "name", ""),
        outside_paths=list(verdict.outside_paths),
    )
    return decision.approved


TOOLS = [
    Tool(
        "run_checks",
        "Run the project's configured checks (tests, lint, type-check) and get their results;"
        " names picks some of them, default all.",
        obj({"names": {"type": "array", "items": {"type": "string"}}}),
        run_checks,
    )
]

"""`run_command`: a shell command in the sandbox, after approval (settings.approval.commands:
`ask` asks unless the command starts with an allowed prefix, `allow` runs allowed prefixes
and refuses the rest, `auto` runs everything)."""

from __future__ import annotations

from typing import Any

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, confine, obj, relative

MAX_OUTPUT = 30_000


def allowed_by_prefix(command: str, prefixes: list[str]) -> bool:
    words = command.split()
    for prefix in prefixes:
        want = prefix.split()
        if want and words[: len(want)] == want:
            return True
    return False


def _tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"[{len(text) - limit} earlier characters cut]\n" + text[-limit:]


async def run_command(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    command = args.get("command")
    if isinstance(command, list):
        command = " ".join(str(c) for c in command)
    if not isinstance(command, str) or not command.strip():
        raise ToolError("command must be a non-empty string")
    cwd = confine(ctx.root, args.get("cwd") or ".")
    timeout = args.get("timeout") or ctx.settings.sandbox.timeout
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ToolError("timeout must be a positive number of seconds")
    policy = ctx.settings.approval
    prefixed = allowed_by_prefix(command, policy.allow)
    if policy.commands == "allow" and not prefixed:
        raise ToolError(
            f"{command!r} is not in the allowed command list; the user allows only:"
            f" {', '.join(policy.allow) or 'nothing'}"
        )
    if policy.commands == "ask" and not prefixed:
        decision = await ctx.ask_command(
            command, relative(ctx.root, cwd), str(args.get("reason") or "")
        )
        if not decision.approved:
            why = f": {decision.comment}" if decision.comment else ""
            raise ToolError(f"the user declined to run {command!r}{why}")
    return await _run(ctx, command, cwd, float(timeout))


async def _run(ctx: ToolContext, command: str, cwd: Any, timeout: float) -> ToolOutput:
    from rigtui.sandbox.base import RunRequest

    sandbox = await ctx.services.sandbox() if ctx.services is not None else _local(ctx)
    result = await sandbox.run(
        RunRequest(command=command, cwd=cwd, timeout=timeout, output_limit=MAX_OUTPUT * 4)
    )
    status = "timed out" if result.timed_out else f"exit code {result.exit_code}"
    parts = [
        f"$ {command}\n[{status}, {result.duration:.1f}s, sandbox {result.sandbox or sandbox.name}]"
    ]
    if result.stdout:
        parts.append(_tail(result.stdout, MAX_OUTPUT))
    if result.stderr:
        parts.append("[stderr]\n" + _tail(result.stderr, MAX_OUTPUT // 2))
    return ToolOutput("\n".join(parts), f"ran {command!r}: {status}")


def _local(ctx: ToolContext) -> Any:
    from rigtui.sandbox import get_sandbox

    return get_sandbox(ctx.settings, ctx.root, "local", thread_id=ctx.thread_id)


TOOLS = [
    Tool(
        "run_command",
        "Run a shell command in the project folder (sandboxed; the user may have to approve"
        " it). Returns exit code, stdout and stderr.",
        obj(
            {
                "command": {"type": "string"},
                "cwd": {"type": "string", "description": "folder inside the project, default '.'"},
                "timeout": {"type": "number", "description": "seconds"},
                "reason": {"type": "string", "description": "why, shown to the user"},
            },
            ["command"],
        ),
        run_command,
    )
]

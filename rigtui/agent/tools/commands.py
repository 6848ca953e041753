"""`run_command`: a shell command in the sandbox, after approval (settings.approval.commands:
`ask` asks every time, `allow` runs allowed prefixes and asks about the rest, `auto` runs
everything), except that a command whose effects cannot be read off its text, or that reaches
outside the project, always goes to a person (rigtui.sandbox.policy).

With `[sandbox] mount = "capture"` (the default) the command runs over a copy-on-write view of
the project: what it wrote (text, binary, new, deleted, renamed, chmodded) comes back as one
change set, said in the thread (`CommandChanged`) and then reviewed like a patch from
`apply_patch`, or applied at once under `patches = "auto-apply"`; journaled either way, so undo
restores the bytes. `mount = "ro"`: the same, but a person always reviews it.

A second command sees the project as it is on disk: while a change set is pending (the person
chose to leave it for later), its writes are not in the next command's view, and the model is
told so."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, confine, obj, relative
from rigtui.agent.tools.patch import prepare_patch_text, review_proposal

if TYPE_CHECKING:
    from rigtui.sandbox.base import Sandbox
    from rigtui.sandbox.capture import Capture

MAX_OUTPUT = 30_000


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
    # One policy for every front end (rigtui.sandbox.policy): `ask` asks every time, `allow`
    # runs commands whose every part starts with an allowed prefix and asks about the rest,
    # `auto` runs all; a command that needs a person is asked about whatever the policy says,
    # and the request says so (front ends must not answer it from a policy).
    # The sandbox layer and its shell grammar (tree-sitter) load when the model first runs a
    # command, not when the session is imported (the workbench paints first).
    from rigtui.sandbox.policy import decide

    verdict = decide(command, cwd, ctx.root, ctx.settings.approval)
    if verdict.action == "ask":
        said = str(args.get("reason") or "")
        if verdict.needs_person:
            reason = f"{verdict.reason} (the model says: {said})" if said else verdict.reason
        else:
            reason = f"{said} ({verdict.reason})" if said else verdict.reason
        sandbox = await _sandbox(ctx)
        decision = await ctx.ask_command(
            command,
            relative(ctx.root, cwd),
            reason,
            sandbox=sandbox.name + _mount_note(ctx, sandbox),
            outside_paths=list(verdict.outside_paths),
            needs_person=verdict.needs_person,
        )
        if not decision.approved:
            why = f": {decision.comment}" if decision.comment else ""
            who = "the approval policy" if decision.by == "policy" else "the user"
            raise ToolError(f"{who} declined to run {command!r}{why}")
    return await _run(ctx, command, cwd, float(timeout))


async def _run(ctx: ToolContext, command: str, cwd: Path, timeout: float) -> ToolOutput:
    from rigtui.sandbox.base import RunRequest  # as above: loaded on first use
    from rigtui.sandbox.changes import run_tracked

    sandbox = await _sandbox(ctx)
    request = RunRequest(command=command, cwd=cwd, timeout=timeout, output_limit=MAX_OUTPUT * 4)
    result, artifacts = await run_tracked(
        sandbox, request, ctx.root, thread_id=ctx.thread_id, task_id=ctx.task_id
    )
    if artifacts is not None:  # files the command made: the task's artifacts, shown in the thread
        await ctx.emit(artifacts)
    status = "timed out" if result.timed_out else f"exit code {result.exit_code}"
    parts = [
        f"$ {command}\n[{status}, {result.duration:.1f}s, sandbox {result.sandbox or sandbox.name}]"
    ]
    if result.stdout:
        parts.append(_tail(result.stdout, MAX_OUTPUT))
    if result.stderr:
        parts.append("[stderr]\n" + _tail(result.stderr, MAX_OUTPUT // 2))
    if artifacts is not None:
        for label, paths in (("created", artifacts.created), ("changed", artifacts.changed),
                             ("deleted", artifacts.deleted)):  # fmt: skip
            if paths:
                parts.append(f"[files {label}: {', '.join(paths)}]")
    summary = f"ran {command!r}: {status}"
    if result.captured is not None:
        captured_text, captured_summary = await _propose_captured(ctx, command, result.captured)
        parts.append(captured_text)
        summary += f"; {captured_summary}"
    return ToolOutput("\n".join(parts), summary)


async def _propose_captured(ctx: ToolContext, command: str, captured: Capture) -> tuple[str, str]:
    """What the command wrote over its copy-on-write view becomes a change set: said in the
    thread (`CommandChanged`), then reviewed like the model's patches (or applied at once under
    `patches = "auto-apply"`, except with a read-only project), journaled, undoable.
    Returns (text for the model, summary)."""
    from rigtui.protocol import CommandChanged  # as above: loaded on first use

    read_only = ctx.settings.sandbox.mount == "ro"
    view = "the project is read-only" if read_only else "the command ran over a copy-on-write view"
    lines = [f"[{view}; its writes came back as a change set]"]
    if summary := captured.summary():
        lines.append(summary)
    if not captured:
        lines.append("no changes to the project")
        return "\n".join(lines), "no changes captured"
    try:
        proposal = await prepare_patch_text(ctx, captured.patch())
    except ToolError as exc:
        lines.append(str(exc))
        return "\n".join(lines), "captured changes refused"
    await ctx.emit(
        CommandChanged(
            thread_id=ctx.thread_id,
            task_id=ctx.task_id,
            command=command,
            change_set_id=proposal.id,
            paths=[f.path for f in captured.files],
            added=sum(pf.change.added for pf in proposal.files),
            removed=sum(pf.change.removed for pf in proposal.files),
            binary=len(captured.binary),
            ignored=len(captured.ignored),
        )
    )
    try:
        outcome = await review_proposal(ctx, proposal, person=read_only)
    except ToolError as exc:
        lines.append(str(exc))
        return "\n".join(lines), "captured changes refused"
    lines.append(outcome.text)
    return "\n".join(lines), outcome.summary or "captured changes reviewed"


def _mount_note(ctx: ToolContext, sandbox: Sandbox) -> str:
    if not sandbox.read_only:
        return ""
    if ctx.settings.sandbox.mount == "ro":
        return " (project read-only: writes come back for review)"
    return " (writes come back as a change set)"


async def _sandbox(ctx: ToolContext) -> Sandbox:
    if ctx.services is None:
        raise ToolError("commands cannot run here")
    return await ctx.services.sandbox(ctx.thread_id)


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

"""MCP servers' tools as the model's tools (rigtui.mcp runs the servers; this is the bridge).

A call goes through the same approval as a command: a tool with `approval = "ask"` (the
default) is put to a person every time, showing the server, the tool and the arguments, and is
declined by `exec --approve auto` like a command that needs a person; `approval = "allow"`
runs it without asking. The result's text goes back to the model (trimmed like a command's
output); images and other binary parts are saved as the task's artifacts (outside the project,
beside captured files) and shown in the thread; a failure is a tool error the model can act on."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput

if TYPE_CHECKING:
    from rigtui.mcp.manager import ToolSpec
    from rigtui.mcp.results import Blob, ToolResult

MAX_OUTPUT = 30_000  # characters of a result the model gets, as for a command's output


class McpProvider(Protocol):
    """What the bridge needs of rigtui.mcp.McpManager."""

    def tools(self) -> list[ToolSpec]: ...

    def find(self, name: str) -> ToolSpec | None: ...

    async def call(
        self, name: str, arguments: dict[str, Any], thread_id: str = ""
    ) -> ToolResult: ...


class McpTools:
    """A ToolSource: the tools of the servers that are up, each a Tool whose handler asks,
    calls and reports."""

    def __init__(self, manager: McpProvider) -> None:
        self.manager = manager

    def tools(self) -> Mapping[str, Tool]:
        return {spec.name: self._tool(spec) for spec in self.manager.tools()}

    def get(self, name: str) -> Tool | None:
        spec = self.manager.find(name)
        return self._tool(spec) if spec is not None else None

    def _tool(self, spec: ToolSpec) -> Tool:
        manager = self.manager

        async def run(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
            return await call_mcp_tool(manager, spec, ctx, args)

        return Tool(spec.name, spec.description, spec.parameters, run)


async def call_mcp_tool(
    manager: McpProvider, spec: ToolSpec, ctx: ToolContext, args: dict[str, Any]
) -> ToolOutput:
    from rigtui.mcp.connection import CallFailed

    if spec.approval != "allow":
        await _ask(spec, ctx, args)
    try:
        result = await manager.call(spec.name, args, ctx.thread_id)
    except CallFailed as exc:
        retry = " (it is started again if you call it again)" if exc.server_down else ""
        raise ToolError(f"{exc.message}{retry}") from None
    saved: list[str] = []
    if result.blobs:
        saved = await asyncio.to_thread(_save, ctx.root, ctx.task_id, spec.server, result.blobs)
        from rigtui.protocol import ArtifactsDetected

        await ctx.emit(
            ArtifactsDetected(
                thread_id=ctx.thread_id,
                command=f"{spec.server}: {spec.tool}",
                sandbox=f"mcp:{spec.server}",
                created=saved,
                task_id=ctx.task_id,
            )
        )
    text = _head(result.with_files(saved), MAX_OUTPUT)
    if result.is_error:
        raise ToolError(f"{spec.server}: {spec.tool} failed: {text}")
    first = text.strip().splitlines()[0] if text.strip() else ""
    return ToolOutput(text, f"{spec.server}: {spec.tool} → {first[:80]}")


async def _ask(spec: ToolSpec, ctx: ToolContext, args: dict[str, Any]) -> None:
    """Only a person answers (`needs_person`): no command policy approves an MCP call; the
    server's `approval = "allow"` is what lets one run without asking."""
    shown = json.dumps(args, ensure_ascii=False, sort_keys=True)
    reason = (
        f"the MCP tool {spec.tool} of server {spec.server} asks before each call"
        f' (approval = "allow" under [mcp.servers.{spec.server}] lets it run without asking)'
    )
    decision = await ctx.ask_command(
        f"{spec.server}: {spec.tool} {shown}",
        ".",
        reason,
        sandbox=f"MCP server {spec.server}",
        needs_person=True,
    )
    if not decision.approved:
        why = f": {decision.comment}" if decision.comment else ""
        who = "the approval policy" if decision.by == "policy" else "the user"
        raise ToolError(f"{who} declined to call {spec.server}: {spec.tool}{why}")


def _save(root: Path, task_id: str, server: str, blobs: tuple[Blob, ...]) -> list[str]:
    """The binary parts as files in a fresh folder beside captured files (never in the
    project); their paths."""
    from rigtui.sandbox.capture import new_capture_path

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", server)
    folder = new_capture_path(root, f"mcp-{safe}-{task_id or 'task'}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, blob in enumerate(blobs, 1):
        path = folder / blob.file_name(n)
        path.write_bytes(blob.data)
        paths.append(str(path))
    return paths


def _head(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[{len(text) - limit} more characters cut]"

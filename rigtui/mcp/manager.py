"""`McpManager`: the MCP servers of one session. Front ends and the agent see only this:

    manager = McpManager(root, settings, emit=session.emit)
    await manager.start()            # every enabled server not up, at once; returns when settled
    manager.tools()                  # -> [ToolSpec]: what is offered to the model now
    await manager.call(name, args)   # -> ToolResult; CallFailed when there is no result
    manager.status()                 # -> [ServerStatus]: state, tools, token cost, last error
    await manager.close()            # every server stopped, no process left

A failed server's tools are left out; it is started again on next use (the next `start()`,
which each task does first, or a call to one of its tools). Each distinct failure is told
once: as a Notice in the thread that met it, or (no thread: the workbench's start in the
background) in the `notice` of a McpServerChanged event. Nothing here imports the SDK until a
server starts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rigtui.mcp.connection import CallFailed, Connection, RemotePrompt, State
from rigtui.mcp.naming import clean_schema, short_description, token_cost, tool_name
from rigtui.mcp.results import ToolResult, prompt_messages, tool_result
from rigtui.mcp.settings import Approval, McpServerSettings
from rigtui.protocol import Event, McpServerChanged, Notice

__all__ = ["CallFailed", "McpManager", "ServerStatus", "ToolResult", "ToolSpec"]


class HasMcpSettings(Protocol):
    """The part of rigtui's Settings the manager reads (at each start, so a trust given
    after the session opened applies)."""

    @property
    def mcp(self) -> Any: ...


@dataclass(frozen=True)
class ToolSpec:
    """One MCP tool as the model is offered it."""

    name: str  # server__tool, within the API's name limits
    server: str
    tool: str  # the server's own name for it
    description: str
    parameters: dict[str, Any]
    approval: Approval

    def schema(self) -> dict[str, Any]:
        function = {"name": self.name, "description": self.description}
        return {"type": "function", "function": {**function, "parameters": self.parameters}}


@dataclass(frozen=True)
class ServerStatus:
    name: str
    state: State
    where: str  # "stdio: cmd args", "http: URL"
    tools: tuple[str, ...]  # the tools offered (after the allow list), server names
    prompts: tuple[str, ...]
    error: str  # the last one
    tokens: int  # about what its tool schemas add to every request
    log: str = ""  # a stdio server's stderr log


Emit = Callable[[Event], Awaitable[None]]


class McpManager:
    def __init__(self, root: Path, settings: HasMcpSettings, *, emit: Emit | None = None) -> None:
        self.root = Path(root)
        self.settings = settings
        self.emit = emit
        self._conns: dict[str, Connection] = {}
        self._known: dict[str, ToolSpec] = {}  # every name offered so far
        self._told: dict[str, str] = {}  # server -> the failure last told
        self._retired: list[Connection] = []  # servers whose settings changed: to stop
        self._closed = False

    # --- servers ------------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return bool(self.settings.mcp.servers)

    def _connections(self) -> list[Connection]:
        """One connection per configured server (made on first use, kept while its settings
        stay the same)."""
        servers: dict[str, McpServerSettings] = self.settings.mcp.servers
        for name, spec in servers.items():
            conn = self._conns.get(name)
            if conn is None or conn.spec != spec:
                if conn is not None:  # changed settings: the old one goes at the next start
                    self._retired.append(conn)
                conn = Connection(name, spec, self.root, _log_dir(self.root))
                conn.on_change = self._changed
                self._conns[name] = conn
        return [self._conns[name] for name in servers]

    async def start(self, thread_id: str = "") -> None:
        """Start every enabled server that is not up (again, after a failure), at once, and
        return when each is up or failed. Failures not told before are told (in `thread_id`
        when given)."""
        if self._closed:
            return
        conns = self._connections()
        retired, self._retired = self._retired, []
        await asyncio.gather(*(c.stop() for c in retired))
        await asyncio.gather(*(c.start() for c in conns))
        await self._tell(thread_id)

    def status(self) -> list[ServerStatus]:
        out = []
        for conn in self._connections():
            offered = [t for t in conn.tools if conn.spec.offers(t.name)]
            specs = [s for s in self._specs() if s.server == conn.name]
            out.append(
                ServerStatus(
                    conn.name,
                    conn.state,
                    conn.where,
                    tuple(t.name for t in offered),
                    tuple(p.name for p in conn.prompts),
                    conn.error,
                    token_cost([s.schema() for s in specs]),
                    str(conn.log_path) if conn.spec.command else "",
                )
            )
        return out

    def server_names(self) -> list[str]:
        """The enabled servers, in the order configured."""
        return [name for name, spec in self.settings.mcp.servers.items() if spec.enabled]

    def counts(self) -> tuple[int, int]:
        """(servers up, servers enabled)."""
        names = self.server_names()
        up = [n for n in names if n in self._conns and self._conns[n].state == "up"]
        return len(up), len(names)

    async def close(self) -> None:
        self._closed = True
        conns = [*self._conns.values(), *self._retired]
        await asyncio.gather(*(c.stop() for c in conns), return_exceptions=True)

    # --- tools --------------------------------------------------------------------------------

    def tools(self) -> list[ToolSpec]:
        """The tools of the servers that are up, as the model is offered them."""
        return [s for s in self._specs() if self._conns[s.server].state == "up"]

    def _specs(self) -> list[ToolSpec]:
        taken: set[str] = set()
        specs = []
        for conn in self._connections():
            for tool in conn.tools:
                if not conn.spec.offers(tool.name):
                    continue
                spec = ToolSpec(
                    tool_name(conn.name, tool.name, taken),
                    conn.name,
                    tool.name,
                    short_description(tool.description) or f"{tool.name} (MCP server {conn.name})",
                    clean_schema(tool.schema),
                    conn.spec.approval_for(tool.name),
                )
                self._known[spec.name] = spec
                specs.append(spec)
        return specs

    def find(self, name: str) -> ToolSpec | None:
        """A tool offered now or before (its server may have stopped since)."""
        if name not in self._known:
            self._specs()
        return self._known.get(name)

    async def call(self, name: str, arguments: dict[str, Any], thread_id: str = "") -> ToolResult:
        """Call a tool by the name the model knows it by; a server that is not up is started
        first. CallFailed (its message for the model) when there is no result."""
        spec = self.find(name)
        if spec is None or spec.server not in self._conns:
            raise CallFailed(f"no MCP tool {name!r}")
        conn = self._conns[spec.server]
        if conn.state != "up" and not await conn.start():
            await self._tell(thread_id)
            raise CallFailed(
                f"MCP server {conn.name} is not running: {conn.error}", server_down=True
            )
        if spec.tool not in {t.name for t in conn.tools}:
            raise CallFailed(f"MCP server {conn.name} no longer offers {spec.tool}")
        try:
            result = await conn.call(spec.tool, arguments)
        except CallFailed as exc:
            if exc.server_down:
                await self._tell(thread_id)
            raise
        return tool_result(result)

    # --- prompts ------------------------------------------------------------------------------

    def prompts(self) -> list[tuple[str, RemotePrompt]]:
        """(server, prompt) for every prompt of a server that is up."""
        return [(c.name, p) for c in self._connections() if c.state == "up" for p in c.prompts]

    async def get_prompt(
        self, server: str, name: str, arguments: dict[str, str]
    ) -> list[tuple[str, str]]:
        conn = self._conns.get(server)
        if conn is None:
            raise CallFailed(f"no MCP server {server!r}")
        return prompt_messages(await conn.get_prompt(name, arguments))

    # --- telling ------------------------------------------------------------------------------

    async def _changed(self, conn: Connection) -> None:
        if conn.state == "up":
            self._told.pop(conn.name, None)  # a later failure is news again
        if self.emit is None:
            return
        up, total = self.counts()
        await self.emit(
            McpServerChanged(
                server=conn.name,
                state=conn.state,
                tools=[t.name for t in conn.tools if conn.spec.offers(t.name)],
                error=conn.error,
                up=up,
                total=total,
            )
        )

    async def _tell(self, thread_id: str) -> None:
        for conn in list(self._conns.values()):
            if conn.state != "failed" or self._told.get(conn.name) == conn.error:
                continue
            self._told[conn.name] = conn.error
            text = (
                f"MCP server {conn.name} failed: {conn.error}. Its tools are left out until it"
                " starts again (it is tried again on next use)."
            )
            if self.emit is None:
                continue
            if thread_id:
                await self.emit(Notice(thread_id=thread_id, text=text))
            else:
                up, total = self.counts()
                await self.emit(
                    McpServerChanged(
                        server=conn.name, state=conn.state, error=conn.error, notice=text,
                        up=up, total=total,
                    )
                )  # fmt: skip


def _log_dir(root: Path) -> Path:
    from rigtui.paths import project_data_dir

    return project_data_dir(root) / "mcp"

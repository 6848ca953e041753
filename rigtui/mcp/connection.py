"""One MCP server: started over stdio, streamable HTTP or SSE with the official SDK, its tools
and prompts listed, calls made, and stopped with nothing left running.

The SDK is anyio-based and its client must be entered and left in one task: each started
server has an owner task that holds the client open until told to stop; calls are made from
the caller's own task. Starting is bounded by the server's `timeout` (so is each call); a
server that fails to start, stops during a call or does not answer in time is `failed` with
one line saying why (and the last line it wrote on stderr), and is started again on next use.
A stdio server's stderr goes to a log in the project's data folder, never to the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

from rigtui.mcp.settings import Launch, McpConfigError, McpServerSettings, resolve

log = logging.getLogger(__name__)
State = Literal["disabled", "stopped", "starting", "up", "failed"]
STOP_WAIT = 15.0  # the SDK closes stdin, waits 2 s, terminates, waits 2 s, kills
PAGES = 50  # at most this many pages of a tool or prompt listing


@dataclass(frozen=True)
class RemoteTool:
    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class PromptArgument:
    name: str
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class RemotePrompt:
    name: str
    description: str = ""
    arguments: tuple[PromptArgument, ...] = ()


class CallFailed(Exception):
    """A call did not return a result: the message says why. `server_down`: the server
    stopped or stopped answering (it is started again on next use)."""

    def __init__(self, message: str, *, server_down: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.server_down = server_down


async def load_sdk() -> None:
    """Import the SDK in a thread: it takes a good half second, which the event loop (and
    the workbench drawing on it) must not wait for."""
    import importlib

    await asyncio.to_thread(importlib.import_module, "mcp.client.client")


class Connection:
    def __init__(self, name: str, spec: McpServerSettings, root: Path, log_dir: Path) -> None:
        self.name = name
        self.spec = spec
        self.root = root
        self.log_path = log_dir / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".log")
        self.state: State = "stopped" if spec.enabled else "disabled"
        self.error = ""
        self.where = ""  # how it is reached, for people ("stdio: cmd args", "http: URL")
        self.tools: tuple[RemoteTool, ...] = ()
        self.prompts: tuple[RemotePrompt, ...] = ()
        self.on_change: Callable[[Connection], Awaitable[None]] | None = None
        self._client: Any = None
        self._owner: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._scope: Any = None  # the owner's anyio cancel scope
        self._errlog: TextIO | None = None
        self._errlog_from = 0

    # --- start and stop ---------------------------------------------------------------------

    async def start(self) -> bool:
        """Up (started now, or already); False when it failed or is disabled. Concurrent
        callers share one attempt; a caller cancelled while waiting does not stop it."""
        if self.state in ("up", "disabled"):
            return self.state == "up"
        if self._starting is None or self._starting.done():
            self._starting = asyncio.create_task(self._start(), name=f"mcp start {self.name}")
        await asyncio.shield(self._starting)
        return self.state == "up"

    async def _start(self) -> None:
        await self._end_owner()  # what is left of an earlier run (it crashed, or timed out)
        try:
            launch = resolve(self.name, self.spec, self.root)
        except McpConfigError as exc:
            await self._set("failed", str(exc))
            return
        self.where = launch.describe()
        await self._set("starting", "")
        try:
            await load_sdk()
        except ImportError as exc:
            await self._set("failed", f"the mcp package is not installed ({exc})")
            return
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._owner = asyncio.create_task(self._own(launch, ready), name=f"mcp {self.name}")
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.spec.start_timeout + STOP_WAIT)
        except Exception as exc:
            await self._end_owner()
            await self._set("failed", self._with_stderr(describe(exc)))
            return
        await self._set("up", "")

    async def _own(self, launch: Launch, ready: asyncio.Future[None]) -> None:
        """Hold the client open until `_stop` is set; report the start through `ready`."""
        import anyio

        timeout = self.spec.start_timeout
        self._scope = scope = anyio.CancelScope(deadline=anyio.current_time() + timeout)
        try:
            with scope:
                async with AsyncExitStack() as stack:
                    client = await self._connect(launch, stack)
                    self.tools, self.prompts = await _listings(client)
                    scope.deadline = math.inf
                    self._client = client
                    ready.set_result(None)
                    await self._stop.wait()
        except Exception as exc:
            if not ready.done():
                timed_out = scope.cancel_called and not self._stop.is_set()
                ready.set_exception(TimeoutError(_late(timeout)) if timed_out else exc)
            else:
                log.info("MCP server %s: error while stopping: %s", self.name, describe(exc))
        finally:
            self._client = None
        if not ready.done():
            ready.set_exception(TimeoutError(_late(timeout)))

    async def _connect(self, launch: Launch, stack: AsyncExitStack) -> Any:
        from mcp import Client, Implementation

        from rigtui import __version__

        if launch.kind == "stdio":
            from mcp import StdioServerParameters
            from mcp.client.stdio import stdio_client

            params = StdioServerParameters(
                command=launch.command, args=list(launch.args), env=dict(launch.env),
                cwd=launch.cwd,
            )  # fmt: skip
            transport: Any = stdio_client(params, errlog=self._open_errlog())
        elif launch.kind == "sse":
            from mcp.client.sse import sse_client

            transport = sse_client(
                launch.url, headers=dict(launch.headers), timeout=self.spec.timeout
            )
        else:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            limits = httpx2.Timeout(self.spec.timeout, read=max(300.0, self.spec.timeout))
            http = create_mcp_http_client(headers=dict(launch.headers), timeout=limits)
            await stack.enter_async_context(http)
            transport = streamable_http_client(launch.url, http_client=http)
        client = Client(
            transport,
            read_timeout_seconds=self.spec.timeout,
            client_info=Implementation(name="rigtui", version=__version__),
            cache=None,
        )
        return await stack.enter_async_context(client)

    async def stop(self) -> None:
        """Stop the server (a start under way too); nothing of it is left running."""
        starting = self._starting
        if starting is not None and not starting.done():
            self._stop.set()
            if self._scope is not None:
                self._scope.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(
                    asyncio.shield(starting), self.spec.start_timeout + STOP_WAIT
                )
        await self._end_owner()
        if self.state not in ("disabled", "failed"):
            await self._set("stopped", "")

    async def _end_owner(self) -> None:
        owner, self._owner = self._owner, None
        if owner is not None:
            self._stop.set()
            if self._client is None and self._scope is not None:
                self._scope.cancel()  # still starting: interrupt it
            done, _ = await asyncio.wait([owner], timeout=STOP_WAIT)
            if not done:  # the SDK's own bounded shutdown did not finish: last resort
                owner.cancel()
                await asyncio.wait([owner], timeout=STOP_WAIT)
        self._client = None
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None

    async def _set(self, state: State, error: str) -> None:
        self.state, self.error = state, error
        if state != "up":
            self.tools, self.prompts = (), ()
        if self.on_change is not None:
            await self.on_change(self)

    # --- calls --------------------------------------------------------------------------------

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        """The SDK's CallToolResult; CallFailed when there is none."""
        from mcp.shared.exceptions import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
        from pydantic import ValidationError

        client = self._client
        if self.state != "up" or client is None:
            raise CallFailed(f"MCP server {self.name} is not running", server_down=True)
        try:
            return await client.call_tool(tool, arguments, read_timeout_seconds=self.spec.timeout)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                why = f"did not answer {tool} within {self.spec.timeout:g}s"
            elif exc.code == CONNECTION_CLOSED:
                why = self._with_stderr(f"stopped during a call to {tool}")
            else:  # the server refused the call (unknown tool, bad arguments): it is still up
                raise CallFailed(f"MCP server {self.name}: {exc.message}") from None
            await self._fail(why)
            raise CallFailed(f"MCP server {self.name} {why}", server_down=True) from None
        except ValidationError as exc:
            raise CallFailed(f"MCP server {self.name} sent a malformed result: {exc}") from None

    async def get_prompt(self, name: str, arguments: dict[str, str]) -> Any:
        """The SDK's GetPromptResult; CallFailed when there is none."""
        from mcp.shared.exceptions import MCPError

        if self.state != "up" or self._client is None:
            raise CallFailed(f"MCP server {self.name} is not running", server_down=True)
        try:
            return await self._client.get_prompt(name, arguments)
        except MCPError as exc:
            raise CallFailed(f"MCP server {self.name}: {exc.message}") from None

    async def _fail(self, why: str) -> None:
        await self._end_owner()
        await self._set("failed", why)

    # --- stderr -----------------------------------------------------------------------------

    def _open_errlog(self) -> TextIO:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._errlog = open(self.log_path, "a", encoding="utf-8", errors="replace")
        self._errlog_from = self._errlog.tell()
        return self._errlog

    def _with_stderr(self, message: str) -> str:
        """The message and the last line the server wrote on stderr in this run, if any."""
        if self.spec.command is None:
            return message
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                fh.seek(self._errlog_from)
                lines = [line.strip() for line in fh.read()[-4000:].splitlines() if line.strip()]
        except OSError:
            return message
        if not lines:
            return message
        last = lines[-1] if len(lines[-1]) <= 200 else lines[-1][:199] + "…"
        return f"{message} (its last words on stderr: {last}; the log: {self.log_path})"


async def _listings(client: Any) -> tuple[tuple[RemoteTool, ...], tuple[RemotePrompt, ...]]:
    tools: list[RemoteTool] = []
    cursor = None
    for _ in range(PAGES):
        page = await client.list_tools(cursor=cursor)
        tools += [RemoteTool(t.name, t.description or "", dict(t.input_schema)) for t in page.tools]
        cursor = page.next_cursor
        if not cursor:
            break
    prompts: list[RemotePrompt] = []
    if client.server_capabilities.prompts is not None:
        from mcp.shared.exceptions import MCPError

        cursor = None
        with contextlib.suppress(MCPError):
            for _ in range(PAGES):
                listed = await client.list_prompts(cursor=cursor)
                prompts += [_prompt(p) for p in listed.prompts]
                cursor = listed.next_cursor
                if not cursor:
                    break
    return tuple(tools), tuple(prompts)


def _prompt(p: Any) -> RemotePrompt:
    args = tuple(
        PromptArgument(a.name, bool(a.required), a.description or "") for a in p.arguments or []
    )
    return RemotePrompt(p.name, p.description or "", args)


def _late(timeout: float) -> str:
    return f"did not start within {timeout:g}s (timeout)"


def describe(exc: BaseException) -> str:
    """One line for an exception from starting or calling a server."""
    while isinstance(exc, BaseExceptionGroup):
        real = [e for e in exc.exceptions if not isinstance(e, asyncio.CancelledError)]
        exc = (real or list(exc.exceptions))[0]
    response = getattr(exc, "response", None)
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename}: no such program (check command and PATH)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    if response is not None and hasattr(response, "status_code"):
        return f"HTTP {response.status_code} from {getattr(response, 'url', 'the server')}"
    if type(exc).__name__ == "ConnectError":
        return f"cannot connect ({exc})"
    if type(exc).__name__ == "MCPError":
        if getattr(exc, "code", None) == -32000:  # CONNECTION_CLOSED
            return "it closed the connection before answering"
        return str(getattr(exc, "message", exc))
    return str(exc) if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"

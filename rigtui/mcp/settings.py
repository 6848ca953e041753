"""`[mcp.servers.NAME]`: one MCP server each, over stdio (`command`, `args`, `env`, `cwd`) or
HTTP (`url`, `headers`; streamable HTTP, or SSE where a server only offers that).

    [mcp.servers.github]
    command = "github-mcp-server"
    args = ["stdio"]
    env = { GITHUB_TOKEN = "${GITHUB_TOKEN}" }   # ${VAR}: from rigtui's environment
    tools = ["search_issues", "get_issue"]         # allow list; empty or absent: every tool
    approval = { search_issues = "allow" }         # "ask" (default) or "allow", per server or tool

A stdio server gets only a few harmless variables of rigtui's environment (PATH, HOME, ...)
plus its `env`, so secrets reach it only when named. A project's own `.rigtui.toml` may start
a server only once the user trusted it (rigtui.config NEEDS_TRUST); `project_server_narrows`
says which project tables only narrow a server of the user's own (turn it off, fewer tools,
ask more), which always apply."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

Approval = Literal["ask", "allow"]
DEFAULT_TIMEOUT = 60.0


@dataclass
class McpServerSettings:
    command: str | None = None  # stdio: the program to start
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None  # relative to the project root (the default)
    url: str | None = None  # HTTP: the server's endpoint
    headers: dict[str, str] = field(default_factory=dict)
    transport: Literal["http", "sse"] | None = None  # for a url; default http, sse for .../sse
    enabled: bool = True
    timeout: float = DEFAULT_TIMEOUT  # seconds for each call
    start_timeout: float = DEFAULT_TIMEOUT  # seconds to start and list its tools
    tools: list[str] = field(default_factory=list)  # the tools offered; empty: all of them
    approval: Approval | dict[str, Approval] = "ask"  # a tool's own, else "*", else "ask"

    def approval_for(self, tool: str) -> Approval:
        if isinstance(self.approval, str):
            return self.approval
        return self.approval.get(tool, self.approval.get("*", "ask"))

    def offers(self, tool: str) -> bool:
        return not self.tools or tool in self.tools


@dataclass
class McpSettings:
    servers: dict[str, McpServerSettings] = field(default_factory=dict)


class McpConfigError(Exception):
    """A server's settings cannot be used as they are; the message says which and why."""


@dataclass(frozen=True)
class Launch:
    """A server's settings resolved for one start: variables expanded, paths made absolute."""

    kind: Literal["stdio", "http", "sse"]
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """Where the server is, for people (never a header's value)."""
        if self.kind == "stdio":
            return "stdio: " + " ".join([self.command, *self.args])
        parts = urlsplit(self.url)
        netloc = parts.hostname or ""
        netloc += f":{parts.port}" if parts.port else ""
        return f"{self.kind}: {parts.scheme}://{netloc}{parts.path}"  # no userinfo, no query


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(text: str, environ: Mapping[str, str], where: str) -> str:
    """`${NAME}` replaced by the variable's value; an unset one is an error naming it."""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name not in environ:
            raise McpConfigError(f"{where} names ${{{name}}}, which is not set")
        return environ[name]

    return _VAR.sub(value, text)


def resolve(
    name: str, spec: McpServerSettings, root: Path, environ: Mapping[str, str] | None = None
) -> Launch:
    """How to reach server `name`, or McpConfigError saying what is wrong."""
    env = os.environ if environ is None else environ
    where = f"mcp.servers.{name}"
    if bool(spec.command) == bool(spec.url):
        raise McpConfigError(
            f"{where} needs either command (a server started over stdio) or url (an HTTP"
            " server), not both or neither"
        )
    if spec.command:
        cwd = Path(expand(spec.cwd, env, f"{where}.cwd")).expanduser() if spec.cwd else None
        return Launch(
            "stdio",
            command=expand(spec.command, env, f"{where}.command"),
            args=tuple(expand(a, env, f"{where}.args") for a in spec.args),
            env={k: expand(v, env, f"{where}.env.{k}") for k, v in spec.env.items()},
            cwd=(root / cwd) if cwd is not None else root,
        )
    url = expand(spec.url or "", env, f"{where}.url")
    if urlsplit(url).scheme not in ("http", "https"):
        raise McpConfigError(f"{where}.url should start with http:// or https://, got {url!r}")
    kind = spec.transport or ("sse" if urlsplit(url).path.rstrip("/").endswith("/sse") else "http")
    headers = {k: expand(v, env, f"{where}.headers.{k}") for k, v in spec.headers.items()}
    return Launch(kind, url=url, headers=headers)


# --- trust: what a project file may set about a server without being trusted ----------------

_SAME_ONLY = ("command", "args", "env", "cwd", "url", "headers", "transport")


def project_server_narrows(mine: Any, users: Mapping[str, Any] | None) -> bool:
    """Whether the project's table for a server only narrows the user's own server of that
    name: it may turn it off, offer fewer of its tools, ask about more calls and change its
    timeouts; anything that starts a process or reaches a URL must be the user's own value."""
    if users is None or not isinstance(mine, dict):
        return False  # a server of the project's own: it starts only once trusted
    for key, value in mine.items():
        theirs = users.get(key)
        if key in _SAME_ONLY:
            ok = value == theirs
        elif key == "enabled":
            ok = value is False or value == theirs
        elif key == "tools":
            # an empty list means every tool: it narrows only a server that offers all
            ok = isinstance(value, list) and (
                not theirs or bool(value) and set(value) <= set(theirs)
            )
        elif key == "approval":
            ok = value == "ask" or value == theirs
        else:
            ok = key in ("timeout", "start_timeout")
        if not ok:
            return False
    return True

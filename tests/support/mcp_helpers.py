"""Running the test MCP server (tests/support/mcp_server.py) as rigtui would meet it: a stdio
process rigtui starts, or an HTTP server already listening on 127.0.0.1; and telling whether a
process is still alive (a zombie is not)."""

from __future__ import annotations

import selectors
import subprocess
import sys
from pathlib import Path

from rigtui.mcp.settings import McpServerSettings
from tests.support.processes import alive  # noqa: F401  (re-exported for the MCP tests)

SERVER = Path(__file__).with_name("mcp_server.py")
START_WAIT = 20.0


def stdio_settings(pidfile: Path | None = None, **more: object) -> McpServerSettings:
    """The test server over stdio, writing its pid to `pidfile`."""
    args = [str(SERVER)] + (["--pidfile", str(pidfile)] if pidfile else [])
    return McpServerSettings(command=sys.executable, args=args, **more)  # type: ignore[arg-type]


def stdio_toml(name: str, pidfile: Path, *, marker: Path | None = None, more: str = "") -> str:
    """The same as a settings table."""
    args = [str(SERVER), "--pidfile", str(pidfile)] + (["--marker", str(marker)] if marker else [])
    quoted = ", ".join(f'"{a}"' for a in args)
    return f'[mcp.servers.{name}]\ncommand = "{sys.executable}"\nargs = [{quoted}]\n{more}'


class HttpServer:
    """`with HttpServer() as server: server.url` — the test server over streamable HTTP (or
    SSE with `sse=True`), listening before the block starts, stopped after it."""

    def __init__(self, *, sse: bool = False) -> None:
        self.sse = sse
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{'sse' if self.sse else 'mcp'}"

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> HttpServer:
        self._proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--sse" if self.sse else "--http"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._proc.stdout is not None
        with selectors.DefaultSelector() as sel:  # the line it prints once it listens
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            if not sel.select(START_WAIT):
                self.__exit__()
                raise AssertionError("the test MCP server did not start listening")
        line = self._proc.stdout.readline()
        assert line.startswith("listening "), line
        self.port = int(line.split()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def read_pid(path: Path) -> int:
    return int(path.read_text())

"""A real MCP server for the tests, written with the official SDK: run as a process over stdio
(`python tests/support/mcp_server.py`) or over streamable HTTP or SSE on 127.0.0.1
(`--http`, `--sse`: it listens on a free port, then prints `listening PORT` on stdout).
`--pidfile F` writes its pid, `--marker F` creates F at start (proof that it ran).

Tools: `echo`, `add`, `slow` (sleeps), `die` (exits mid-call), `image` (a PNG), `fail` (an
error result), `audio_and_link` (an audio clip, a resource link and an embedded blob),
`header` (an HTTP request header it got). Prompt: `review(path, focus)`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
from pathlib import Path

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import AssistantMessage, UserMessage
from mcp.server.mcpserver.utilities.types import Image
from mcp.types import AudioContent, BlobResourceContents, EmbeddedResource, ResourceLink

# The smallest valid PNG: 1x1, one transparent pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

server = MCPServer("rigtui-test", instructions="A server for rigtui's tests.")


@server.tool()
def echo(text: str) -> str:
    """Say the text back.

    A second paragraph that rigtui leaves out of the description it shows the model."""
    return f"echo: {text}"


@server.tool()
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


@server.tool()
async def slow(seconds: float) -> str:
    """Wait that many seconds, then answer."""
    await asyncio.sleep(seconds)
    return f"waited {seconds}s"


@server.tool()
def die() -> str:
    """Exit the server process in the middle of the call."""
    os._exit(3)


@server.tool()
def image() -> Image:
    """A tiny PNG image."""
    return Image(data=PNG, format="png")


@server.tool()
def fail(message: str) -> str:
    """Always fails with the message."""
    raise ToolError(message)


@server.tool()
def audio_and_link() -> list:
    """An audio clip, a link to a resource and an embedded binary resource."""
    return [
        AudioContent(data=base64.b64encode(b"RIFF0000WAVE").decode(), mime_type="audio/wav"),
        ResourceLink(name="readme", uri="file:///srv/README.md", mime_type="text/markdown"),
        EmbeddedResource(
            resource=BlobResourceContents(
                uri="file:///srv/data.bin",
                blob=base64.b64encode(b"\x00\x01\x02").decode(),
                mime_type="application/octet-stream",
            )
        ),
    ]


@server.tool()
def header(name: str, ctx: Context) -> str:
    """The value of an HTTP header of this request."""
    return (ctx.headers or {}).get(name.lower(), "(none)")


@server.prompt()
def review(path: str, focus: str = "bugs") -> list:
    """Ask for a review of one file."""
    return [
        UserMessage(f"Review {path}, looking for {focus}."),
        AssistantMessage("Which parts matter most?"),
        UserMessage("All of it."),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--sse", action="store_true")
    parser.add_argument("--pidfile")
    parser.add_argument("--marker")
    args = parser.parse_args()
    if args.pidfile:
        Path(args.pidfile).write_text(str(os.getpid()))
    if args.marker:
        Path(args.marker).write_text("started\n")
    if args.http or args.sse:
        serve_http(server.sse_app() if args.sse else server.streamable_http_app())
    else:
        server.run()


def serve_http(app: object) -> None:
    """Serve on a free port of 127.0.0.1, said on stdout once it accepts connections."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    print(f"listening {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


if __name__ == "__main__":
    main()

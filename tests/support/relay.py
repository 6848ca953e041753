"""A relay on 127.0.0.1 in front of a real model server, for the opt-in tests: it passes
every request through unchanged (streamed answers stream on, chunk by chunk) and records
what went each way, except that `rewrite` may change a chat request's body first.

    with Relay("http://127.0.0.1:8765/v1", rewrite=force_tool("read_file", times=1)) as relay:
        settings = make_settings(relay.base_url)
        ...
        relay.exchanges   # (path, request body, status, answer bytes) for every request

The opt-in round trip uses it to force the model's first reply to be a tool call
(`tool_choice`), which a tiny base model would never choose on its own; rigtui itself sends
no `tool_choice`, and no test hook in rigtui does.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlparse

from tests.support.local_server import LocalServer

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Exchange:
    method: str
    path: str
    body: dict[str, Any] | None  # the request as the server got it (after any rewrite)
    status: int = 0
    answer: bytearray = field(default_factory=bytearray)

    def text(self) -> str:
        return self.answer.decode("utf-8", errors="replace")


def force_tool(name: str, *, times: int = 1) -> Rewrite:
    """Add `tool_choice` naming `name` to the first `times` chat requests that carry tools."""
    left = [times]

    def rewrite(body: dict[str, Any]) -> dict[str, Any]:
        if left[0] > 0 and body.get("tools") and "messages" in body:
            left[0] -= 1
            return {**body, "tool_choice": {"type": "function", "function": {"name": name}}}
        return body

    return rewrite


class Relay(LocalServer):
    def __init__(self, upstream: str, *, rewrite: Rewrite | None = None) -> None:
        parsed = urlparse(upstream)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.prefix = parsed.path.rstrip("/")  # "/v1"
        self.rewrite = rewrite
        self.exchanges: list[Exchange] = []
        super().__init__(_handler(self))

    @property
    def base_url(self) -> str:
        return f"{self.origin}{self.prefix}"

    def chat(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.path.endswith("/chat/completions")]


def _handler(relay: Relay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._pass(None)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"{}")
            if relay.rewrite is not None:
                body = relay.rewrite(body)
            self._pass(body)

        def _pass(self, body: dict[str, Any] | None) -> None:
            exchange = Exchange(self.command, self.path, body)
            relay.exchanges.append(exchange)
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json"} if data is not None else {}
            if auth := self.headers.get("Authorization"):
                headers["Authorization"] = auth
            upstream = http.client.HTTPConnection(relay.host, relay.port, timeout=600)
            try:
                upstream.request(self.command, self.path, body=data, headers=headers)
                answer = upstream.getresponse()
                exchange.status = answer.status
                self.send_response(answer.status)
                for key in ("Content-Type",):
                    if value := answer.getheader(key):
                        self.send_header(key, value)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                while piece := answer.read1(65536):
                    exchange.answer += piece
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            finally:
                upstream.close()

    return Handler

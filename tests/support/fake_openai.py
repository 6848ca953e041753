"""A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI protocol (Chat Completions
and Responses, streamed as SSE) to play scripted turns to the real `openai` SDK.

    with FakeOpenAI([Say("hello", usage=(12, 3)), Fail(429), Say("again")]) as server:
        settings.model.profiles["default"].base_url = server.base_url
        ...
        server.requests      # every request body, in order
        server.headers       # and its headers, names in lower case (what the server learns)

Turns are taken in order from the script; `routes={"word": [...]}` instead picks the queue
whose word appears in the request's first user message (for threads running at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rigtui import events as ev
from rigtui.agent.client import RetryPolicy
from rigtui.config import ModelProfile, Settings
from rigtui.session import Session


@dataclass
class Call:
    """A tool call the model makes. `arguments` is sent verbatim (it may be malformed)."""

    name: str
    arguments: str | dict[str, Any] = "{}"
    id: str = ""

    def args_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Say:
    """One streamed assistant reply: text, tool calls, usage."""

    text: str = ""
    calls: list[Call] = field(default_factory=list)
    usage: tuple[int, int] | None = (10, 5)  # None: send no usage, as llama.cpp's server does
    finish: str = ""  # the finish_reason; default "stop", or "tool_calls" with calls
    text_chunk: int = 4  # characters per text delta
    args_chunk: int = 5  # characters per tool-argument delta
    hold: threading.Event | None = None  # after the first delta, wait for this (cancel tests)
    drop_after: int | None = None  # close the connection after this many deltas, mid-reply


@dataclass
class Fail:
    """An HTTP error answer (429, 500, 401 ...)."""

    status: int
    message: str = "scripted failure"


Turn = Say | Fail


class FakeOpenAI:
    def __init__(
        self, script: list[Turn] | None = None, *, routes: dict[str, list[Turn]] | None = None
    ) -> None:
        self.script = list(script or [])
        self.routes = {k: list(v) for k, v in (routes or {}).items()}
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def next_turn(self, body: dict[str, Any]) -> Turn:
        with self._lock:
            self.requests.append(body)
            if self.routes:
                first = _first_user_text(body)
                for word, turns in self.routes.items():
                    if word in first and turns:
                        return turns.pop(0)
            if self.script:
                return self.script.pop(0)
        return Fail(500, "the fake server's script ran out")


def _first_user_text(body: dict[str, Any]) -> str:
    items = body.get("messages") or body.get("input") or []
    for item in items:
        if item.get("role") == "user":
            content = item.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(1, size))]


class _Dropped(Exception):
    pass


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.paths.append(self.path)
            fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            turn = fake.next_turn(body)
            if isinstance(turn, Fail):
                return self._fail(turn)
            responses = self.path.rstrip("/").endswith("/responses")
            events = _responses_events(turn, body) if responses else _chat_events(turn, body)
            self._stream(turn, events)

        def _fail(self, turn: Fail) -> None:
            data = json.dumps(
                {"error": {"message": turn.message, "type": "scripted", "code": None}}
            )
            self.send_response(turn.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data.encode())

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _stream(self, turn: Say, events: list[tuple[str, dict[str, Any] | str, bool]]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            deltas = 0
            try:
                for name, data, is_delta in events:
                    if is_delta and turn.drop_after is not None and deltas >= turn.drop_after:
                        raise _Dropped
                    payload = data if isinstance(data, str) else json.dumps(data)
                    head = f"event: {name}\n" if name else ""
                    self._chunk(f"{head}data: {payload}\n\n".encode())
                    if is_delta:
                        deltas += 1
                        if deltas == 1 and turn.hold is not None:
                            turn.hold.wait(timeout=20)
                self._chunk(b"")  # the end of the chunked body
            except _Dropped:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
            except OSError:  # the client went away (a cancel)
                self.close_connection = True

    return Handler


_ids = itertools.count(1)


def _chat_events(turn: Say, body: dict[str, Any]) -> list[tuple[str, dict[str, Any] | str, bool]]:
    base = {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out: list[tuple[str, dict[str, Any] | str, bool]] = [
        ("", chunk({"role": "assistant", "content": ""}), False)
    ]
    out += [("", chunk({"content": piece}), True) for piece in _pieces(turn.text, turn.text_chunk)]
    for index, call in enumerate(turn.calls):
        call_id = call.id or f"call_{next(_ids)}"
        first = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        out.append(("", chunk({"tool_calls": [first]}), True))
        for piece in _pieces(call.args_text(), turn.args_chunk):
            out.append(
                (
                    "",
                    chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                    True,
                )
            )
    out.append(("", chunk({}, turn.finish or ("tool_calls" if turn.calls else "stop")), False))
    if turn.usage is not None and (body.get("stream_options") or {}).get("include_usage"):
        usage = {
            "prompt_tokens": turn.usage[0],
            "completion_tokens": turn.usage[1],
            "total_tokens": sum(turn.usage),
        }
        out.append(("", {**base, "choices": [], "usage": usage}, False))
    out.append(("", "[DONE]", False))
    return out


def _responses_events(
    turn: Say, body: dict[str, Any]
) -> list[tuple[str, dict[str, Any] | str, bool]]:
    rid = f"resp_{next(_ids)}"
    seq = itertools.count()
    out: list[tuple[str, dict[str, Any] | str, bool]] = []

    def event(kind: str, is_delta: bool = False, /, **data: Any) -> None:
        out.append((kind, {"type": kind, "sequence_number": next(seq), **data}, is_delta))

    response = {
        "id": rid,
        "object": "response",
        "status": "in_progress",
        "model": body.get("model", "fake"),
        "output": [],
    }
    event("response.created", response=response)
    items: list[dict[str, Any]] = []
    if turn.text:
        msg = {
            "type": "message",
            "id": f"msg_{rid}",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        event("response.output_item.added", output_index=0, item=msg)
        for piece in _pieces(turn.text, turn.text_chunk):
            event(
                "response.output_text.delta",
                True,
                item_id=msg["id"],
                output_index=0,
                content_index=0,
                delta=piece,
                logprobs=[],
            )
        items.append(
            {
                **msg,
                "status": "completed",
                "content": [{"type": "output_text", "text": turn.text, "annotations": []}],
            }
        )
    for call in turn.calls:
        index = len(items)
        item = {
            "type": "function_call",
            "id": f"fc_{next(_ids)}",
            "call_id": call.id or f"call_{next(_ids)}",
            "name": call.name,
            "arguments": "",
            "status": "in_progress",
        }
        event("response.output_item.added", True, output_index=index, item=item)
        for piece in _pieces(call.args_text(), turn.args_chunk):
            event(
                "response.function_call_arguments.delta",
                True,
                item_id=item["id"],
                output_index=index,
                delta=piece,
            )
        items.append({**item, "arguments": call.args_text(), "status": "completed"})
    counts = turn.usage or (0, 0)
    usage = {"input_tokens": counts[0], "output_tokens": counts[1], "total_tokens": sum(counts)}
    event(
        "response.completed",
        response={**response, "status": "completed", "output": items, "usage": usage},
    )
    return out


# --- helpers for tests that drive a session against the fake server ---------------------

FAST_RETRY = RetryPolicy(base_delay=0.01, max_delay=0.05, jitter=0.1)
WAIT = 15.0  # seconds before a test gives up waiting for an event


def make_settings(base_url: str, **profile: object) -> Settings:
    settings = Settings()
    settings.index.enabled = False  # keep tests fast: no index build behind the first reply
    settings.model.profiles["default"] = ModelProfile(
        model="fake-model", base_url=base_url, timeout=10.0, max_retries=3, **profile
    )
    return settings


async def open_session(root: Path, settings: Settings) -> Session:
    return await Session.open(root, settings=settings, retry=FAST_RETRY)


async def collect_until(
    events: AsyncIterator[ev.Event], done: Callable[[ev.Event], bool], timeout: float = WAIT
) -> list[ev.Event]:
    """Every event up to and including the first for which `done` is true."""
    seen: list[ev.Event] = []

    async def read() -> None:
        async for event in events:
            seen.append(event)
            if done(event):
                return
        raise AssertionError(f"the session closed first; saw {[e.type for e in seen]}")

    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out; saw {[e.type for e in seen]}") from None
    return seen


def task_ended(thread_id: str) -> Callable[[ev.Event], bool]:
    return lambda e: isinstance(e, ev.TaskEnded) and e.thread_id == thread_id


def of_type(events: list[ev.Event], cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]

"""A real HTTP server on 127.0.0.1 that speaks enough of the OpenAI protocol (Chat Completions
and Responses, streamed as SSE) to play scripted turns to the real `openai` SDK.

    with FakeOpenAI([Say("hello", usage=(12, 3)), Fail(429), Say("again")]) as server:
        settings.model.profiles["default"].base_url = server.base_url
        ...
        server.requests      # every request body, in order
        server.headers       # and its headers, names in lower case (what the server learns)

Turns are taken in order from the script; `routes={"word": [...]}` instead picks the queue
whose word appears in the request's first user message (for threads running at once).

`llama=True` makes it as strict as llama-cpp-python's server (0.3.36, checked against the
real one by tests/e2e/test_llama_server.py): an assistant message whose content is not a
string gets its 500 with pydantic's "7 validation errors" body, and with `n_ctx` a prompt
that does not fit gets what it gets there: HTTP 200 and an empty stream when streamed, 400
`context_length_exceeded` when not. `GET /v1/models` answers as llama-cpp-python does (no
window; `model_fields` adds some, as vLLM's `max_model_len`), `GET /props` as llama.cpp's
server does when `props` is given, else FastAPI's 404.
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
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from rigtui import protocol as ev
from rigtui.agent.client import RetryPolicy
from rigtui.config import ModelProfile, Settings
from rigtui.protocol import SendMessage
from rigtui.session import Session
from tests.support.local_server import LocalServer


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
    """An HTTP error answer (429, 500, 401 ...); `body` is sent verbatim when given."""

    status: int
    message: str = "scripted failure"
    body: dict[str, Any] | None = None


@dataclass
class Empty:
    """HTTP 200, then nothing: what llama-cpp-python sends when a started stream fails."""


Turn = Say | Fail | Empty


class FakeOpenAI(LocalServer):
    def __init__(
        self,
        script: list[Turn] | None = None,
        *,
        routes: dict[str, list[Turn]] | None = None,
        llama: bool = False,
        n_ctx: int | None = None,
        model_fields: dict[str, Any] | None = None,
        props: dict[str, Any] | None = None,
    ) -> None:
        self.script = list(script or [])
        self.routes = {k: list(v) for k, v in (routes or {}).items()}
        self.llama, self.n_ctx = llama, n_ctx
        self.model_fields, self.props = model_fields or {}, props
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []  # of the POSTs
        self.headers: list[dict[str, str]] = []
        self.gets: list[str] = []
        self._lock = threading.Lock()
        super().__init__(_handler(self))

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def next_turn(self, body: dict[str, Any]) -> Turn:
        with self._lock:
            self.requests.append(body)
            if self.llama and (refusal := _llama_refusal(body, self.n_ctx)) is not None:
                return refusal  # before the script: the real server never gets that far
            if self.routes:
                first = _first_user_text(body)
                for word, turns in self.routes.items():
                    if word in first and turns:
                        return turns.pop(0)
            if self.script:
                return self.script.pop(0)
        return Fail(500, "the fake server's script ran out")


def prompt_tokens(body: dict[str, Any]) -> int:
    """The fake's token count of a chat request: its messages and tools as JSON, 4 characters
    a token (rigtui's own estimate; the real server tokenizes the rendered prompt)."""
    return (
        len(json.dumps(body.get("messages") or [])) + len(json.dumps(body.get("tools") or []))
    ) // 4


def _llama_refusal(body: dict[str, Any], n_ctx: int | None) -> Turn | None:
    for index, message in enumerate(body.get("messages") or []):
        if message.get("role") == "assistant" and not isinstance(message.get("content", ""), str):
            return Fail(500, body=_llama_error(llama_validation_errors(index, message)))
    if n_ctx is not None and (tokens := prompt_tokens(body)) >= n_ctx:
        if body.get("stream"):
            return Empty()
        asked = body.get("max_tokens")
        return Fail(
            400,
            body={
                "error": {
                    "message": f"This model's maximum context length is {n_ctx} tokens."
                    f" However, you requested {tokens + (asked or 0)} tokens ({tokens} in the"
                    f" messages, {asked} in the completion). Please reduce the length of the"
                    " messages or completion.",
                    "type": "invalid_request_error",
                    "param": "messages",
                    "code": "context_length_exceeded",
                }
            },
        )
    return None


def llama_validation_errors(index: int, message: dict[str, Any]) -> str:
    """llama-cpp-python's words for an assistant message with `content: null` at `index`:
    FastAPI's RequestValidationError, one line per member of its message union."""

    def role(kind: str, expected: str) -> dict[str, Any]:
        return {
            "type": "literal_error",
            "loc": ("body", "messages", index, kind, "role"),
            "msg": f"Input should be '{expected}'",
            "input": "assistant",
            "ctx": {"expected": f"'{expected}'"},
        }

    def missing(kind: str, field: str) -> dict[str, Any]:
        where = ("body", "messages", index, kind, field)
        return {"type": "missing", "loc": where, "msg": "Field required", "input": message}

    errors = [
        role("ChatCompletionRequestSystemMessage", "system"),
        role("ChatCompletionRequestUserMessage", "user"),
        {
            "type": "string_type",
            "loc": ("body", "messages", index, "ChatCompletionRequestAssistantMessage", "content"),
            "msg": "Input should be a valid string",
            "input": message.get("content"),
        },
        role("ChatCompletionRequestToolMessage", "tool"),
        missing("ChatCompletionRequestToolMessage", "tool_call_id"),
        role("ChatCompletionRequestFunctionMessage", "function"),
        missing("ChatCompletionRequestFunctionMessage", "name"),
    ]
    lines = "".join(f"  {e!r}\n" for e in errors)
    return f"{len(errors)} validation errors:\n{lines}{LLAMA_TRAILER}"


# what FastAPI appends to a RequestValidationError's text (the path is the server's install)
LLAMA_TRAILER = (
    '\n  File "/venv/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, in'
    " create_chat_completion\n    POST /v1/chat/completions"
)


def _llama_error(message: str) -> dict[str, Any]:
    """llama-cpp-python's wrapping of any exception it did not expect: a 500 with this."""
    return {
        "error": {"message": message, "type": "internal_server_error", "param": None, "code": None}
    }


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

        def do_GET(self) -> None:
            fake.gets.append(self.path)
            if self.path.rstrip("/").endswith("/models"):
                entry = {"id": "gemma-3-270m", "object": "model", "owned_by": "me"}
                data = [{**entry, "permissions": [], **fake.model_fields}]
                return self._json(200, {"object": "list", "data": data})
            if self.path == "/props" and fake.props is not None:
                return self._json(200, fake.props)
            self._json(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            fake.paths.append(self.path)
            fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            turn = fake.next_turn(body)
            if isinstance(turn, Fail):
                return self._fail(turn)
            if isinstance(turn, Empty):
                return self._stream(Say(), [])
            if not body.get("stream"):
                return self._json(200, _chat_completion(turn, body))
            responses = self.path.rstrip("/").endswith("/responses")
            events = _responses_events(turn, body) if responses else _chat_events(turn, body)
            self._stream(turn, events)

        def _fail(self, turn: Fail) -> None:
            error = {"message": turn.message, "type": "scripted", "code": None}
            self._json(turn.status, turn.body if turn.body is not None else {"error": error})

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

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


def _chat_completion(turn: Say, body: dict[str, Any]) -> dict[str, Any]:
    """A turn not streamed (rigtui asks so only to learn why a stream came back empty)."""
    calls = [
        {
            "id": call.id or f"call_{next(_ids)}",
            "type": "function",
            "function": {"name": call.name, "arguments": call.args_text()},
        }
        for call in turn.calls
    ]
    message: dict[str, Any] = {"role": "assistant", "content": turn.text}
    if calls:
        message["tool_calls"] = calls
    counts = turn.usage or (0, 0)
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": turn.finish or ("tool_calls" if calls else "stop"),
            }
        ],
        "usage": {
            "prompt_tokens": counts[0],
            "completion_tokens": counts[1],
            "total_tokens": sum(counts),
        },
    }


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
    chosen: dict[str, Any] = {"timeout": 10.0, "max_retries": 3, **profile}
    settings.model.profiles["default"] = ModelProfile(
        model="fake-model", base_url=base_url, **chosen
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


async def run_messages(
    project: Path, settings: Settings, *messages: str, timeout: float = WAIT
) -> list[list[ev.Event]]:
    """Send each message in turn in one new thread of a session of its own; the events each
    one's task brought, up to its TaskEnded."""
    session = await open_session(project, settings)
    try:
        thread = await session.new_thread("t")
        events = session.subscribe()
        seen = []
        for text in messages:
            await session.send(SendMessage(thread.id, text))
            seen.append(await collect_until(events, task_ended(thread.id), timeout))
        return seen
    finally:
        await session.close()


def task_ended(thread_id: str) -> Callable[[ev.Event], bool]:
    return lambda e: isinstance(e, ev.TaskEnded) and e.thread_id == thread_id


def of_type(events: list[ev.Event], cls: type) -> list:
    return [e for e in events if isinstance(e, cls)]

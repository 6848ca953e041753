"""The two wire APIs (Chat Completions and Responses) as one stream of plain chunks.

Messages are kept in Chat Completions shape everywhere else; `responses_input` converts them.
Tool-call arguments arrive split across chunks, with the id and name only on the first one;
parallel calls are told apart by their index.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai import AsyncOpenAI


@dataclass
class TextChunk:
    text: str


@dataclass
class ToolChunk:
    index: int
    call_id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class StreamEnd:
    finish_reason: str
    input_tokens: int = 0
    output_tokens: int = 0


Chunk = TextChunk | ToolChunk | StreamEnd


class IncompleteStream(Exception):
    """The stream ended before the model said it was finished (a dropped connection)."""


class EmptyStream(IncompleteStream):
    """The server answered 200 and then sent nothing at all. llama-cpp-python does this for
    every error it meets once the stream has started (a prompt over its context window, a
    chat template that fails): the status is already sent, so the error is only in its log."""


@dataclass
class ToolCall:
    call_id: str
    name: str
    arguments: str


@dataclass
class Reply:
    """One assistant message put together from its chunks."""

    text: str = ""
    calls: dict[int, ToolCall] = field(default_factory=dict)
    finish_reason: str = ""
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, chunk: Chunk) -> None:
        if isinstance(chunk, TextChunk):
            self.text += chunk.text
        elif isinstance(chunk, ToolChunk):
            call = self.calls.setdefault(chunk.index, ToolCall("", "", ""))
            call.call_id = call.call_id or chunk.call_id
            call.name = call.name or chunk.name
            call.arguments += chunk.arguments
        else:
            self.finish_reason = chunk.finish_reason
            self.input_tokens, self.output_tokens = chunk.input_tokens, chunk.output_tokens

    def tool_calls(self) -> list[ToolCall]:
        return [self.calls[i] for i in sorted(self.calls)]


async def _body(stream: Any) -> AsyncIterator[Any]:
    """A stream's items. A connection that breaks once the status is in is a cut stream (an
    IncompleteStream, or an EmptyStream before anything came), not an unreachable server."""
    import openai

    received = False
    try:
        async with stream:
            async for item in stream:
                received = True
                yield item
    except openai.APITimeoutError:
        raise
    except openai.APIConnectionError as exc:
        cut = IncompleteStream if received else EmptyStream
        raise cut("the connection closed before the reply was finished") from exc
    if not received:
        raise EmptyStream("the server answered with an empty stream")


async def stream_chat(
    client: AsyncOpenAI,
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    max_tokens: int | None = None,
) -> AsyncIterator[Chunk]:
    kwargs: dict[str, Any] = {"tools": tools} if tools else {}
    if max_tokens is not None:  # the name every OpenAI-compatible server knows
        kwargs["max_tokens"] = max_tokens
    stream = await client.chat.completions.create(
        model=model,
        messages=messages,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
        **kwargs,
    )
    finish = ""
    usage = (0, 0)
    async for chunk in _body(stream):
        if chunk.usage is not None:
            usage = (chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
        for choice in chunk.choices or []:
            delta = choice.delta
            if delta is not None and delta.content:
                yield TextChunk(delta.content)
            for call in (delta.tool_calls if delta is not None else None) or []:
                fn = call.function
                yield ToolChunk(
                    index=call.index or 0,
                    call_id=call.id or "",
                    name=(fn.name if fn else None) or "",
                    arguments=(fn.arguments if fn else None) or "",
                )
            if choice.finish_reason:
                finish = choice.finish_reason
    if not finish:
        raise IncompleteStream("the stream ended before the reply was finished")
    yield StreamEnd(finish, *usage)


async def ask_once(
    client: AsyncOpenAI, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
) -> None:
    """The same request, not streamed and capped at one token: a server that can only drop
    a stream in silence answers this one with its error as an HTTP status and a body (the
    SDK raises it). Used once, to explain an empty stream."""
    kwargs: dict[str, Any] = {"tools": tools} if tools else {}
    await client.chat.completions.create(
        model=model,
        messages=messages,  # type: ignore[arg-type]
        max_tokens=1,
        **kwargs,
    )


def responses_input(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Chat-shaped messages as Responses `instructions` and `input` items."""
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    for m in messages:
        role = m["role"]
        if role == "system":
            instructions.append(m["content"])
        elif role == "user":
            items.append({"role": "user", "content": m["content"]})
        elif role == "assistant":
            if m.get("content"):
                items.append({"role": "assistant", "content": m["content"]})
            for call in m.get("tool_calls") or []:
                fn = call["function"]
                items.append(
                    {
                        "type": "function_call",
                        "call_id": call["id"],
                        "name": fn["name"],
                        "arguments": fn["arguments"],
                    }
                )
        elif role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": m["tool_call_id"],
                    "output": m["content"],
                }
            )
    return "\n\n".join(instructions), items


def responses_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "function", **t["function"]} for t in tools]


async def stream_responses(
    client: AsyncOpenAI,
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    max_tokens: int | None = None,
) -> AsyncIterator[Chunk]:
    instructions, items = responses_input(messages)
    kwargs: dict[str, Any] = {"tools": responses_tools(tools)} if tools else {}
    if max_tokens is not None:
        kwargs["max_output_tokens"] = max_tokens
    if instructions:
        kwargs["instructions"] = instructions
    stream = await client.responses.create(model=model, input=items, stream=True, **kwargs)  # type: ignore[arg-type]
    end: StreamEnd | None = None
    async for event in _body(stream):
        kind = getattr(event, "type", "")
        if kind == "response.output_text.delta":
            yield TextChunk(event.delta)  # type: ignore[union-attr]
        elif kind == "response.output_item.added":
            item = event.item  # type: ignore[union-attr]
            if getattr(item, "type", "") == "function_call":
                yield ToolChunk(
                    index=event.output_index,  # type: ignore[union-attr]
                    call_id=getattr(item, "call_id", "") or "",
                    name=getattr(item, "name", "") or "",
                    arguments=getattr(item, "arguments", "") or "",
                )
        elif kind == "response.function_call_arguments.delta":
            yield ToolChunk(index=event.output_index, arguments=event.delta)  # type: ignore[union-attr]
        elif kind in ("response.completed", "response.incomplete"):
            end = _responses_end(event.response)  # type: ignore[union-attr]
        elif kind in ("response.failed", "error"):
            raise ResponsesFailed(_responses_error(event))
    if end is None:
        raise IncompleteStream("the stream ended before the response completed")
    yield end


class ResponsesFailed(Exception):
    """The Responses API reported a failure inside the stream."""


def _responses_end(response: Any) -> StreamEnd:
    usage = getattr(response, "usage", None)
    has_calls = any(getattr(o, "type", "") == "function_call" for o in response.output or [])
    return StreamEnd(
        "tool_calls" if has_calls else (getattr(response, "status", "") or "completed"),
        getattr(usage, "input_tokens", 0) or 0,
        getattr(usage, "output_tokens", 0) or 0,
    )


def _responses_error(event: Any) -> str:
    error = getattr(event, "error", None) or getattr(
        getattr(event, "response", None), "error", None
    )
    message = getattr(error, "message", None) if error is not None else None
    return message or json.dumps(event.model_dump() if hasattr(event, "model_dump") else str(event))

"""One task: ask the model, run the tools it calls, feed the results back, until it answers
without calling a tool. Every step is an event; the message list is rebuilt from the stored
log each round, so what the model sees is exactly what the thread holds."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rigtui import protocol as ev
from rigtui.agent import compaction
from rigtui.agent.client import ModelClient, ModelUnavailable, cost_of
from rigtui.agent.context import (
    CANCELLED_RESULT,
    ContextTooLong,
    estimate_tokens,
    fit_to_window,
    messages_from_events,
)
from rigtui.agent.tools import ToolContext, call_tool, schemas
from rigtui.agent.wire import Chunk, Reply, TextChunk, ToolChunk
from rigtui.protocol import ToolCallDelta, ToolCallFinished, ToolCallStarted, UsageUpdated
from rigtui.store import new_id

MAX_ROUNDS = 50
WINDOW_SHARE = 0.8  # of the context window the prompt may fill; the rest is for the reply


@dataclass
class UsageTotals:
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = None

    @classmethod
    def from_events(cls, events: list[ev.Event]) -> UsageTotals:
        last = next((e for e in reversed(events) if isinstance(e, UsageUpdated)), None)
        if last is None:
            return cls()
        return cls(last.thread_input_tokens, last.thread_output_tokens, last.thread_cost)


Emit = Callable[..., Awaitable[None]]


@dataclass
class TaskLoop:
    thread_id: str
    task_id: str
    client: ModelClient
    tools: ToolContext
    emit: Emit  # emit(event, persist=True)
    load_events: Callable[[], Awaitable[list[ev.Event]]]
    system: str
    totals: UsageTotals
    _message_id: str = ""
    _text: str = ""
    _streamed: bool = False
    _open_calls: dict[str, str] = field(default_factory=dict)  # call id -> tool name
    _request_chars: int = 0

    async def run(self) -> tuple[str, str]:
        """(outcome, summary): done | failed | cancelled. Never raises except on a bug."""
        try:
            for _ in range(MAX_ROUNDS):
                reply = await self._ask()
                if reply.finish_reason == "length":
                    await self.emit(
                        ev.Notice(
                            thread_id=self.thread_id,
                            text="the reply stopped at the model's output limit"
                            " (finish_reason=length): ask it to continue",
                        )
                    )
                if not reply.calls:
                    if not reply.text.strip():
                        await self._error(
                            "the model returned an empty reply",
                            "send again, or check the model profile (a base model without a"
                            " chat template often answers nothing)",
                        )
                        return "failed", "empty reply"
                    return "done", reply.text.strip()[:500]
                await self._run_tools(reply)
            await self._error(
                f"stopped after {MAX_ROUNDS} model rounds without a final answer",
                "send a more specific message to continue",
            )
            return "failed", "too many rounds"
        except asyncio.CancelledError:
            await self._after_cancel()
            return "cancelled", "cancelled by the user"
        except ModelUnavailable as exc:
            await self._close_stream()
            await self._error(exc.message, exc.fix or "")
            return "failed", exc.message

    async def _error(self, message: str, fix: str) -> None:
        await self.emit(ev.Error(thread_id=self.thread_id, message=message, fix=fix))

    # --- one model call -------------------------------------------------------------------

    async def _messages(self, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The system prompt and the thread, fitted to the window (the server's when it says,
        else the profile's) less what the system prompt and the tool definitions take."""
        events = await self.load_events()
        history = messages_from_events(events)
        window = await self.client.context_window()
        system = [{"role": "system", "content": self.system}]
        fixed = estimate_tokens(system, tools)
        budget = int(window.tokens * WINDOW_SHARE) - fixed
        where = f"the window is {window.tokens:,} tokens ({window.source})"
        if budget <= 0:
            raise ContextTooLong(
                f"the system prompt and tool definitions alone (~{fixed:,} tokens) do not fit"
                f" the model's context window: {where}",
                fix="give the server a bigger window (llama-cpp-python: --n_ctx; llama.cpp:"
                " --ctx-size) and set context_window in the model profile to match",
            )
        share = compaction.fullness(estimate_tokens(history), budget)
        if share >= compaction.COMPACT_AT and (chosen := compaction.plan(events)) is not None:
            if await self._compact(events, chosen, int(window.tokens * WINDOW_SHARE)):
                history = messages_from_events(await self.load_events())
        elif share >= compaction.WARN_AT and not compaction.warned(events):
            await self.emit(ev.Notice(thread_id=self.thread_id, text=compaction.warning(share)))
        try:
            return [*system, *fit_to_window(history, budget)]
        except ContextTooLong as exc:
            raise ContextTooLong(f"{exc.message}; {where}", fix=exc.fix) from None

    async def _compact(self, events: list[ev.Event], chosen: compaction.Plan, budget: int) -> bool:
        """Summarise the older turns (the thread nears its window); False when the model
        could not, and older output is only trimmed this time."""
        tid = self.thread_id
        await self.emit(
            ev.Notice(thread_id=tid, text="summarising older turns to fit the window…"),
            persist=False,
        )
        started = time.perf_counter()
        try:
            reply, self._request_chars = await compaction.summarise(
                self.client, chosen.older, budget, self._on_retry
            )
        except ModelUnavailable as exc:
            reply, why = None, exc.message
        if reply is None or not reply.text.strip():
            why = "the model returned an empty summary" if reply is not None else why
            await self.emit(
                ev.Notice(thread_id=tid, text=f"compaction failed ({why}): old output is trimmed")
            )
            return False
        await self._usage(reply, None, time.perf_counter() - started)
        await self.emit(compaction.compacted(tid, events, chosen, reply.text.strip(), "auto"))
        return True

    async def _ask(self) -> Reply:
        tools = schemas(ctx=self.tools)  # rigtui's own and the MCP servers' tools
        messages = await self._messages(tools)
        self._request_chars = len(json.dumps(messages)) + len(json.dumps(tools))
        started = time.perf_counter()
        reply, ttft = await self.client.reply(
            messages, tools, self._on_chunk, self._on_retry, self._new_attempt
        )
        message_id = self._message_id
        if reply.text or self._streamed:
            await self.emit(
                ev.AssistantMessage(
                    thread_id=self.thread_id, message_id=message_id, text=reply.text
                )
            )
        self._streamed, self._text = False, ""
        for call in reply.tool_calls():
            call.call_id = call.call_id or new_id("call")
            await self.emit(
                ToolCallStarted(
                    thread_id=self.thread_id,
                    message_id=message_id,
                    call_id=call.call_id,
                    name=call.name,
                    arguments=call.arguments,
                )
            )
            self._open_calls[call.call_id] = call.name
        await self._usage(reply, ttft, time.perf_counter() - started)
        return reply

    async def _new_attempt(self) -> None:
        if self._streamed:  # a retry after a partial reply: close the partial one on screen
            await self.emit(
                ev.MessageDelta(
                    thread_id=self.thread_id,
                    message_id=self._message_id,
                    text="\n\n*[interrupted; retrying]*",
                ),
                persist=False,
            )
            await self._close_stream(store=False)
        self._message_id, self._text, self._streamed = new_id("m"), "", False

    async def _on_chunk(self, chunk: Chunk) -> None:
        if isinstance(chunk, TextChunk):
            if not self._streamed:
                self._streamed = True
                await self.emit(
                    ev.MessageStarted(thread_id=self.thread_id, message_id=self._message_id),
                    persist=False,
                )
            self._text += chunk.text
            await self.emit(
                ev.MessageDelta(
                    thread_id=self.thread_id, message_id=self._message_id, text=chunk.text
                ),
                persist=False,
            )
        elif isinstance(chunk, ToolChunk):
            await self.emit(
                ToolCallDelta(
                    thread_id=self.thread_id,
                    message_id=self._message_id,
                    index=chunk.index,
                    call_id=chunk.call_id,
                    name=chunk.name,
                    arguments=chunk.arguments,
                ),
                persist=False,
            )

    async def _on_retry(self, text: str) -> None:
        await self.emit(ev.Notice(thread_id=self.thread_id, text=f"⟳ {text}"))

    async def _close_stream(self, *, store: bool = True) -> None:
        """End a reply cut short: stored as far as it got (so the thread reads as it was
        shown), or only closed on screen when a retry will replace it."""
        if self._streamed:
            await self.emit(
                ev.AssistantMessage(
                    thread_id=self.thread_id, message_id=self._message_id, text=self._text
                ),
                persist=store,
            )
        self._streamed, self._text = False, ""

    async def _usage(self, reply: Reply, ttft: float | None, duration: float) -> None:
        profile = self.client.profile
        estimated = not (reply.input_tokens or reply.output_tokens)
        if estimated:  # no usage in the stream: estimate rather than record a false zero
            produced = len(reply.text) + sum(len(c.arguments) for c in reply.tool_calls())
            reply.input_tokens = self._request_chars // 4
            reply.output_tokens = max(1, produced // 4) if produced else 0
        cost = cost_of(profile, reply.input_tokens, reply.output_tokens)
        t = self.totals
        t.input_tokens += reply.input_tokens
        t.output_tokens += reply.output_tokens
        if cost is not None:
            t.cost = (t.cost or 0.0) + cost
        await self.emit(
            UsageUpdated(
                thread_id=self.thread_id,
                task_id=self.task_id,
                model=self.client.endpoint.model,
                input_tokens=reply.input_tokens,
                output_tokens=reply.output_tokens,
                thread_input_tokens=t.input_tokens,
                thread_output_tokens=t.output_tokens,
                time_to_first_token=ttft,
                duration=duration,
                cost=cost,
                thread_cost=t.cost,
                estimated=estimated,
            )
        )

    # --- tools ----------------------------------------------------------------------------

    async def _run_tools(self, reply: Reply) -> None:
        for call in reply.tool_calls():
            ok, output = await call_tool(self.tools, call.name, call.arguments)
            self._open_calls.pop(call.call_id, None)
            await self.emit(
                ToolCallFinished(
                    thread_id=self.thread_id,
                    call_id=call.call_id,
                    name=call.name,
                    ok=ok,
                    output=output.text,
                    summary=output.summary,
                )
            )

    async def _after_cancel(self) -> None:
        """Leave the log consistent: a partial reply is kept, every started call answered."""
        await self._close_stream()
        for call_id, name in list(self._open_calls.items()):
            await self.emit(
                ToolCallFinished(
                    thread_id=self.thread_id,
                    call_id=call_id,
                    name=name,
                    ok=False,
                    output=CANCELLED_RESULT,
                    summary=f"{name}: cancelled",
                )
            )
        self._open_calls.clear()
        await self.emit(ev.Notice(thread_id=self.thread_id, text="■ cancelled"))

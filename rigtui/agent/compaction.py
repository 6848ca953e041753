"""Compaction: when a thread nears its window, its older turns are summarised by the model and
the summary is sent in their place from then on (a `ThreadCompacted` event says what it
replaced; the original events stay in the log, shown and searchable).

Thresholds, against the prompt budget (the share of the window a prompt may fill, the rest
left for the reply): a notice at WARN_AT, compaction before the next request at COMPACT_AT.
The turn being worked on (the latest user message and what followed it) is always kept as it
was; everything before it becomes the summary (an earlier summary included)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rigtui import protocol as ev
from rigtui.agent.client import ModelClient
from rigtui.agent.context import estimate_tokens, messages_from_events
from rigtui.agent.wire import Chunk, Reply

WARN_AT = 0.8
COMPACT_AT = 0.9
WARNING = "this thread fills"  # how the warning notice starts (said once between compactions)
TOOL_RESULT_CHARS = 1500  # of each tool result in the transcript the model summarises
TOOL_ARGUMENT_CHARS = 600

SUMMARY_PROMPT = """You compact a conversation between a user and a coding agent so that the \
agent can carry on without the original messages, which no longer fit its context window. \
Write a summary that keeps everything needed to continue: the user's goals and requests (their \
exact words where they matter), decisions and the reasons for them, the files and symbols \
involved (with paths), the changes proposed, applied, rejected or undone, the commands and checks \
run and their results, errors still open, and what was being done last and what comes next. Be \
factual and concise, use Markdown bullet lists, invent nothing, and answer with the summary only."""


@dataclass(frozen=True)
class Plan:
    keep_from: str  # the message id of the first user message kept as it is
    older: list[dict[str, Any]]  # the chat messages the summary replaces


def plan(events: list[ev.Event]) -> Plan | None:
    """What to summarise: everything before the latest user message (None when that is the
    only turn there is to keep)."""
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if isinstance(event, ev.UserMessage) and event.message_id:
            if any(isinstance(e, ev.ThreadCompacted) and e.keep_from == event.message_id
                   for e in events[i:]):  # fmt: skip
                return None  # already compacted up to this turn
            older = messages_from_events(events[:i])
            return Plan(event.message_id, older) if older else None
    return None


def fullness(prompt_tokens: int, budget_tokens: int) -> float:
    return prompt_tokens / budget_tokens if budget_tokens > 0 else 1.0


def warned(events: list[ev.Event]) -> bool:
    """Whether the warning was given since the last compaction."""
    for event in reversed(events):
        if isinstance(event, ev.ThreadCompacted):
            return False
        if isinstance(event, ev.Notice) and event.text.startswith(WARNING):
            return True
    return False


def warning(share: float) -> str:
    return (
        f"{WARNING} {share:.0%} of the model's window: at {COMPACT_AT:.0%} its older turns are"
        " summarised (the originals stay in the thread); /compact does it now"
    )


def transcript(messages: list[dict[str, Any]], budget_chars: int) -> str:
    """The messages as plain text for the summary request, long tool output cut, and a
    middle part left out when even that is over `budget_chars`."""
    parts = []
    for m in messages:
        role = m["role"]
        if role == "tool":
            parts.append(f"[tool result]\n{_cut(m.get('content') or '', TOOL_RESULT_CHARS)}")
            continue
        text = m.get("content") or ""
        for call in m.get("tool_calls") or []:
            fn = call["function"]
            text += f"\n[calls {fn['name']}({_cut(fn['arguments'] or '', TOOL_ARGUMENT_CHARS)})]"
        parts.append(f"[{role}]\n{text.strip()}")
    text = "\n\n".join(parts)
    if len(text) > budget_chars:  # the start (the goal) and the latest part are kept
        head = budget_chars // 4
        left_out = len(text) - budget_chars
        middle = f"\n\n[... {left_out:,} characters of the conversation left out here ...]\n\n"
        text = text[:head] + middle + text[-(budget_chars - head) :]
    return text


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f" [... {len(text) - limit} chars cut]"


def summary_request(older: list[dict[str, Any]], budget_tokens: int) -> list[dict[str, Any]]:
    room = max(1000, (budget_tokens - len(SUMMARY_PROMPT) // 4 - 200) * 4)
    body = transcript(older, room)
    return [
        {"role": "system", "content": SUMMARY_PROMPT},
        {
            "role": "user",
            "content": f"The conversation to summarise:\n\n<conversation>\n{body}\n"
            "</conversation>\n\nWrite the summary now.",
        },
    ]


async def summarise(
    client: ModelClient,
    older: list[dict[str, Any]],
    budget_tokens: int,
    on_retry: Callable[[str], Awaitable[None]],
) -> tuple[Reply, int]:
    """The model's summary of `older` (the reply, and the request's size in characters)."""

    async def ignore(_chunk: Chunk) -> None:
        return None

    messages = summary_request(older, budget_tokens)
    reply, _ttft = await client.reply(messages, [], ignore, on_retry)
    return reply, len(json.dumps(messages))


def compacted(
    thread_id: str, events: list[ev.Event], chosen: Plan, summary: str, reason: str
) -> ev.ThreadCompacted:
    """The event, with the prompt's size before and after (estimated)."""
    before = estimate_tokens(messages_from_events(events))
    draft = ev.ThreadCompacted(
        thread_id=thread_id, summary=summary, keep_from=chosen.keep_from,
        replaced_messages=len(chosen.older), tokens_before=before, tokens_after=0, reason=reason,
    )  # fmt: skip
    after = estimate_tokens(messages_from_events([*events, draft]))
    return dataclasses.replace(draft, tokens_after=after)

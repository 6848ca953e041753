"""What the model sees: a system prompt (instructions, AGENTS.md files, a repo map) and the
thread's messages rebuilt from its stored event log, trimmed to fit the context window.

Rebuilding from the log (never from memory) is what makes a thread resume exactly after a
restart. Trimming shortens old tool output first and never drops the user's words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rigtui import protocol as ev
from rigtui.errors import RigtuiError
from rigtui.protocol import ToolCallFinished, ToolCallStarted

BASE_PROMPT = """You are a coding agent working in the project at {root}, inside rigtui, a \
terminal workbench. Use the tools to read and search the code before you change it. Propose \
every edit with apply_patch: the user reviews each change set and may accept, reject or comment \
on hunks; the tool result tells you what happened. Keep a plan with update_plan for tasks of \
more than one step, and mark steps completed as you go. Run checks or commands to verify your \
work when you can. Be concise; answer in Markdown."""

AGENTS_FILE = "AGENTS.md"
CHARS_PER_TOKEN = 4  # a rough estimate, good enough to stay inside a window
KEEP_RECENT_TOOL_RESULTS = 4
TRIMMED_TOOL_CHARS = 300
CANCELLED_RESULT = "error: cancelled by the user before this tool ran to completion"


def agents_files(root: Path, working_dir: Path | None = None) -> list[Path]:
    """AGENTS.md files from the root down to the working folder, outermost first."""
    root = root.resolve()
    here = (working_dir or root).resolve()
    if here != root and not here.is_relative_to(root):
        here = root
    chain = [here, *here.parents]
    folders = [p for p in reversed(chain) if p == root or p.is_relative_to(root)]
    return [f for d in folders if (f := d / AGENTS_FILE).is_file()]


def instructions(root: Path, working_dir: Path | None, max_bytes: int) -> str:
    """The AGENTS.md texts, capped at `max_bytes` in all (the nearest file wins space last, so
    a huge root file cannot crowd out the rest: each gets an equal share first)."""
    files = agents_files(root, working_dir)
    if not files:
        return ""
    share = max(256, max_bytes // len(files))
    parts = []
    for path in files:
        data = path.read_bytes()
        rel = path.relative_to(root.resolve()).as_posix()
        text = data[:share].decode("utf-8", errors="ignore")
        if len(data) > share:
            text += f"\n[... {len(data) - share} more bytes of {rel} left out]"
        parts.append(f"## {rel}\n{text.strip()}")
    return "\n\n".join(parts)[: max_bytes + 200 * len(files)]


def system_prompt(root: Path, agents_text: str, repo_map: str) -> str:
    parts = [BASE_PROMPT.format(root=root)]
    if agents_text:
        parts.append("# Project instructions (AGENTS.md)\n" + agents_text)
    if repo_map:
        parts.append("# Repository map (most important symbols)\n" + repo_map)
    return "\n\n".join(parts)


def messages_from_events(events: list[ev.Event]) -> list[dict[str, Any]]:
    """Chat-shaped messages from a thread's log. Tool calls left without a result (a cancel
    or a crash mid-call) get one saying so, so the list is always valid for the API. An
    assistant message that only calls tools carries `"content": ""`, never null: the OpenAI
    API takes either, but llama-cpp-python and other strict servers answer 500 to null."""
    out: list[dict[str, Any]] = []
    open_calls: list[str] = []
    current: dict[str, Any] | None = None  # the assistant message being assembled

    notes: list[str] = []  # changes to the files the model did not make, told once calls close
    summary, events = after_compaction(events)

    def close_open_calls() -> None:
        for call_id in open_calls:
            out.append({"role": "tool", "tool_call_id": call_id, "content": CANCELLED_RESULT})
        open_calls.clear()
        if notes:
            out.append({"role": "user", "content": "\n".join(notes)})
            notes.clear()

    for event in events:
        if (note := change_note(event)) is not None:
            notes.append(note)
            if not open_calls:
                close_open_calls()
        elif isinstance(event, ev.UserMessage):
            close_open_calls()
            current = None
            content = with_attachments(event.text, event.attachments)
            if summary is not None and event is events[0]:  # the first message it kept
                content = f"{SUMMARY_HEAD}\n{summary}\n{SUMMARY_TAIL}\n\n{content}"
            out.append({"role": "user", "content": content})
        elif isinstance(event, ev.AssistantMessage):
            close_open_calls()
            current = {"role": "assistant", "content": event.text, "_id": event.message_id}
            out.append(current)
        elif isinstance(event, ToolCallStarted):
            if current is None or current["_id"] != event.message_id:
                close_open_calls()
                current = {"role": "assistant", "content": "", "_id": event.message_id}
                out.append(current)
            current.setdefault("tool_calls", []).append(
                {
                    "id": event.call_id,
                    "type": "function",
                    "function": {"name": event.name, "arguments": event.arguments},
                }
            )
            open_calls.append(event.call_id)
        elif isinstance(event, ToolCallFinished) and event.call_id in open_calls:
            open_calls.remove(event.call_id)
            out.append({"role": "tool", "tool_call_id": event.call_id, "content": event.output})
    close_open_calls()
    for message in out:
        message.pop("_id", None)
    return out


SUMMARY_HEAD = "[rigtui: the earlier conversation, summarised to fit the window]"
SUMMARY_TAIL = "[end of the summary; the conversation goes on from here]"


def after_compaction(events: list[ev.Event]) -> tuple[str | None, list[ev.Event]]:
    """The last compaction's summary and the events still sent as they are (from the user
    message it kept); (None, all of them) when the thread was never compacted."""
    last = next((e for e in reversed(events) if isinstance(e, ev.ThreadCompacted)), None)
    if last is None:
        return None, events
    for i, event in enumerate(events):
        if isinstance(event, ev.UserMessage) and event.message_id == last.keep_from:
            return last.summary, events[i:]
    return None, events  # its message is not here (a fork from before it): nothing replaced


def with_attachments(text: str, attachments: list[ev.Attachment]) -> str:
    """What the model is sent for a user message: the words, then each attachment."""
    if not attachments:
        return text
    parts = [text]
    for item in attachments:
        where = item["path"]
        if item["kind"] == "symbol":
            where += f" lines {item['start_line']}-{item['end_line']} ({item['name']})"
        cut = ""
        if item["sent"] < item["size"]:
            cut = f"\n[cut: the first {item['sent']:,} of {item['size']:,} bytes were attached]"
        parts.append(f'<attached path="{where}">\n{item["text"]}{cut}\n</attached>')
    return "\n\n".join(parts)


def change_note(event: ev.Event) -> str | None:
    """What the model is told of a change to the project's files it did not make itself
    (the person undid, redid or applied a change set; a crash's was put back)."""
    match event:
        case ev.PatchUndone(change_set_id=cs_id, paths=files):
            what = f"the user undid change set {cs_id}: {_files(files)} are as before it"
        case ev.PatchRedone(change_set_id=cs_id, paths=files):
            what = f"the user redid change set {cs_id}: {_files(files)} have its changes again"
        case ev.PatchApplied(change_set_id=cs_id, paths=files, origin=origin) if origin != "model":
            what = f"the user applied change set {cs_id} ({origin} review) to {_files(files)}"
        case ev.PatchRecovered(change_set_ids=ids):
            what = f"change set(s) {', '.join(ids)}, cut short by a crash, were rolled back"
        case _:
            return None
    return f"[rigtui: {what}; re-read those files before relying on them]"


def _files(paths: list[str]) -> str:
    return ", ".join(paths[:20]) + (f" and {len(paths) - 20} more" if len(paths) > 20 else "")


def estimate_tokens(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
) -> int:
    """A rough count of what a request puts in the window: the messages and, when given, the
    tool definitions (a server renders them into the prompt too: ~930 tokens for rigtui's)."""
    chars = sum(len(json.dumps(m)) for m in messages)
    return (chars + (len(json.dumps(tools)) if tools else 0)) // CHARS_PER_TOKEN


class ContextTooLong(RigtuiError):
    """Even with old tool output, tool arguments and replies shortened, the thread's own
    words do not fit the model's window."""


TRIMMED_ARGUMENT_CHARS = 200
TRIMMED_REPLY_CHARS = 400
KEEP_RECENT_REPLIES = 2


def fit_to_window(messages: list[dict[str, Any]], budget_tokens: int) -> list[dict[str, Any]]:
    """Make the thread fit `budget_tokens`, shortening in this order and stopping as soon as it
    fits: old tool results, then old tool-call arguments (a patch keeps the files it touched),
    then old assistant replies. The latest few of each stay whole and user messages are never
    touched: when those alone do not fit, ContextTooLong says how to go on."""
    if estimate_tokens(messages) <= budget_tokens:
        return messages
    fitted = [dict(m) for m in messages]
    stages = (
        (_old(fitted, "tool", KEEP_RECENT_TOOL_RESULTS), _shorten_result),
        (_old(fitted, "assistant", KEEP_RECENT_REPLIES), _shorten_arguments),
        (_old(fitted, "assistant", KEEP_RECENT_REPLIES), _shorten_reply),
    )
    for positions, shorten in stages:
        for i in positions:
            if shorten(fitted, i) and estimate_tokens(fitted) <= budget_tokens:
                return fitted
    if estimate_tokens(fitted) <= budget_tokens:
        return fitted
    raise ContextTooLong(
        f"this thread no longer fits the model's window ({estimate_tokens(fitted):,} tokens"
        f" after shortening old output, over {budget_tokens:,})",
        fix="fork the thread from a later message, start a new thread, or use a model profile"
        " with a larger context_window",
    )


def _old(messages: list[dict[str, Any]], role: str, keep: int) -> list[int]:
    positions = [i for i, m in enumerate(messages) if m["role"] == role]
    return positions[:-keep] if len(positions) > keep else positions[:-1]


def _shorten_result(messages: list[dict[str, Any]], i: int) -> bool:
    content = messages[i]["content"] or ""
    if len(content) <= TRIMMED_TOOL_CHARS:
        return False
    messages[i] = {
        **messages[i],
        "content": content[:TRIMMED_TOOL_CHARS]
        + f"\n[old tool output trimmed: {len(content) - TRIMMED_TOOL_CHARS} characters"
        " left out; call the tool again if you need it]",
    }
    return True


def _shorten_arguments(messages: list[dict[str, Any]], i: int) -> bool:
    calls = messages[i].get("tool_calls") or []
    changed = False
    new_calls = []
    for call in calls:
        arguments = call["function"]["arguments"] or ""
        if len(arguments) > TRIMMED_ARGUMENT_CHARS:
            files = [
                line.split(":", 1)[1].strip().rstrip("\\n")
                for line in arguments.replace("\\n", "\n").splitlines()
                if line.startswith(("*** Update File:", "*** Add File:", "*** Delete File:"))
            ]
            note = f"[old arguments trimmed: {len(arguments)} characters]"
            if files:
                note += f" (a patch to {', '.join(files)})"
            call = {
                **call,
                "function": {**call["function"], "arguments": json.dumps({"trimmed": note})},
            }
            changed = True
        new_calls.append(call)
    if changed:
        messages[i] = {**messages[i], "tool_calls": new_calls}
    return changed


def _shorten_reply(messages: list[dict[str, Any]], i: int) -> bool:
    content = messages[i].get("content") or ""
    if len(content) <= TRIMMED_REPLY_CHARS:
        return False
    messages[i] = {
        **messages[i],
        "content": content[:TRIMMED_REPLY_CHARS]
        + f"\n[rest of this earlier reply trimmed: {len(content) - TRIMMED_REPLY_CHARS} characters]",
    }
    return True

"""What the model sees: AGENTS.md files, the message list rebuilt from events, trimming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rigtui import protocol as ev
from rigtui.agent.context import (
    CANCELLED_RESULT,
    ContextTooLong,
    agents_files,
    estimate_tokens,
    fit_to_window,
    instructions,
    messages_from_events,
)
from rigtui.protocol import ToolCallFinished, ToolCallStarted


def test_agents_files_run_from_the_root_down_to_the_working_folder(tmp_path: Path) -> None:
    deep = tmp_path / "pkg" / "sub"
    deep.mkdir(parents=True)
    (tmp_path / "AGENTS.md").write_text("root rules")
    (tmp_path / "pkg" / "AGENTS.md").write_text("pkg rules")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "AGENTS.md").write_text("not on the way")
    assert agents_files(tmp_path, deep) == [tmp_path / "AGENTS.md", tmp_path / "pkg" / "AGENTS.md"]
    assert agents_files(tmp_path, Path("/")) == [tmp_path / "AGENTS.md"]  # outside: root only
    text = instructions(tmp_path, deep, 10_000)
    assert text.index("root rules") < text.index("pkg rules") and "not on the way" not in text


def test_instructions_are_capped_and_say_what_was_left_out(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("x" * 5000)
    text = instructions(tmp_path, None, 1000)
    assert len(text) < 1400 and "4000 more bytes of AGENTS.md left out" in text


def _call(mid: str, cid: str) -> ToolCallStarted:
    return ToolCallStarted(
        thread_id="t", message_id=mid, call_id=cid, name="read_file", arguments="{}"
    )


def test_messages_from_events_answer_dangling_calls_and_skip_ui_events() -> None:
    log = [
        ev.ThreadCreated(thread_id="t", title="x"),
        ev.UserMessage(thread_id="t", text="hi"),
        ev.AssistantMessage(thread_id="t", message_id="m1", text="looking"),
        _call("m1", "c1"),
        _call("m1", "c2"),
        ToolCallFinished(thread_id="t", call_id="c1", name="read_file", ok=True, output="data"),
        ev.Notice(thread_id="t", text="■ cancelled"),
        ev.UserMessage(thread_id="t", text="go on"),
        _call("m2", "c3"),  # a tool-only reply with no text
        ToolCallFinished(thread_id="t", call_id="c3", name="read_file", ok=True, output="more"),
    ]
    messages = messages_from_events(log)
    assert [m["role"] for m in messages] == [
        "user",
        "assistant",
        "tool",
        "tool",
        "user",
        "assistant",
        "tool",
    ]
    assert [c["id"] for c in messages[1]["tool_calls"]] == ["c1", "c2"]
    assert messages[3] == {"role": "tool", "tool_call_id": "c2", "content": CANCELLED_RESULT}
    assert messages[5]["content"] == "" and messages[5]["tool_calls"][0]["id"] == "c3"


def test_trimming_shortens_old_tool_output_and_keeps_every_user_word() -> None:
    messages = []
    for i in range(10):
        messages.append({"role": "user", "content": f"question {i} " + "u" * 500})
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"c{i}",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": "{}"},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "content": "o" * 20_000})
    budget = 25_000
    fitted = fit_to_window(messages, budget)
    assert estimate_tokens(fitted) <= budget < estimate_tokens(messages)
    assert [m for m in fitted if m["role"] == "user"] == [
        m for m in messages if m["role"] == "user"
    ]
    assert "old tool output trimmed" in fitted[2]["content"]
    assert fitted[-1]["content"] == messages[-1]["content"]  # the latest result stays whole


def test_big_patches_and_long_replies_are_shortened_when_results_are_not_enough() -> None:
    patch = "*** Begin Patch\n*** Update File: src/big.py\n" + "+x = 1\n" * 5_000 + "*** End Patch"
    messages: list[dict] = []
    for i in range(6):
        messages.append({"role": "user", "content": f"step {i}"})
        messages.append(
            {
                "role": "assistant",
                "content": "r" * 8_000,
                "tool_calls": [
                    {
                        "id": f"c{i}",
                        "type": "function",
                        "function": {
                            "name": "apply_patch",
                            "arguments": json.dumps({"patch": patch}),
                        },
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "content": "ok"})
    budget = 30_000
    fitted = fit_to_window(messages, budget)
    assert estimate_tokens(fitted) <= budget < estimate_tokens(messages)
    users = [m for m in fitted if m["role"] == "user"]
    assert users == [m for m in messages if m["role"] == "user"]
    first_call = fitted[1]["tool_calls"][0]["function"]["arguments"]
    assert "src/big.py" in json.loads(first_call)["trimmed"]
    assert fitted[-2]["tool_calls"] == messages[-2]["tool_calls"]  # the latest stay whole


def test_when_the_users_own_words_do_not_fit_it_says_how_to_go_on() -> None:
    messages = [{"role": "user", "content": "w" * 40_000}, {"role": "user", "content": "hi"}]
    with pytest.raises(ContextTooLong, match="no longer fits") as info:
        fit_to_window(messages, 1_000)
    assert "fork" in (info.value.fix or "")

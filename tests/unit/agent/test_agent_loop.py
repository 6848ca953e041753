"""The model loop against a real HTTP server speaking the OpenAI protocol, through the real
`openai` SDK over real sockets: streaming, tool loops, faults, cancel, resume."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest

from rigtui import protocol as ev
from rigtui.protocol import (
    Cancel,
    SendMessage,
    ToolCallDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdated,
)
from rigtui.store import Store
from tests.support.fake_openai import (
    Call,
    Fail,
    FakeOpenAI,
    Say,
    collect_until,
    make_settings,
    of_type,
    open_session,
    task_ended,
)


async def test_a_reply_streams_then_is_stored_once(project: Path) -> None:
    with FakeOpenAI([Say("Hello **world**, streamed.", usage=(21, 7))]) as server:
        session = await open_session(
            project,
            make_settings(server.base_url, input_price_per_mtok=2.0, output_price_per_mtok=8.0),
        )
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "hi"))
        seen = await collect_until(events, task_ended(thread.id))
        deltas = of_type(seen, ev.MessageDelta)
        assert len(deltas) > 3 and "".join(d.text for d in deltas) == "Hello **world**, streamed."
        (usage,) = of_type(seen, UsageUpdated)
        assert (usage.input_tokens, usage.output_tokens) == (21, 7)
        assert usage.time_to_first_token is not None and usage.cost == (21 * 2 + 7 * 8) / 1e6
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        stored = [e.type for e in await session.history(thread.id)]
        assert "MessageDelta" not in stored
        assert stored.count("AssistantMessage") == 1 and stored[-1] == "TaskEnded"
        assert server.requests[0]["stream"] is True
        assert server.requests[0]["messages"][-1] == {"role": "user", "content": "hi"}
        await session.close()


async def test_a_tool_loop_feeds_results_back(project: Path) -> None:
    script = [
        Say("Let me look.", calls=[Call("read_file", {"path": "notes.txt", "start_line": 2})]),
        Say("It says second line."),
    ]
    with FakeOpenAI(script) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "what is in notes?"))
        seen = await collect_until(events, task_ended(thread.id))
        (finished,) = of_type(seen, ToolCallFinished)
        assert (
            finished.ok and "second line" in finished.output and "first line" not in finished.output
        )
        second = server.requests[1]["messages"]
        assistant, tool = second[-2], second[-1]
        assert assistant["tool_calls"][0]["function"]["name"] == "read_file"
        assert tool["role"] == "tool" and tool["tool_call_id"] == assistant["tool_calls"][0]["id"]
        assert "second line" in tool["content"]
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        await session.close()


async def test_split_and_parallel_tool_calls_are_put_together_by_index(project: Path) -> None:
    calls = [
        Call("read_file", {"path": "src/app.py"}, id="call_a"),
        Call("list_files", {"pattern": "**/*.txt"}, id="call_b"),
    ]
    with FakeOpenAI([Say(calls=calls, args_chunk=3), Say("ok")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "look"))
        seen = await collect_until(events, task_ended(thread.id))
        assert len(of_type(seen, ToolCallDelta)) > 6  # the arguments arrived in pieces
        started = of_type(seen, ToolCallStarted)
        assert [(s.call_id, json.loads(s.arguments)) for s in started] == [
            ("call_a", {"path": "src/app.py"}),
            ("call_b", {"pattern": "**/*.txt"}),
        ]
        results = {f.call_id: f for f in of_type(seen, ToolCallFinished)}
        assert "def main" in results["call_a"].output
        assert results["call_b"].output.strip() == "notes.txt"
        tools = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
        assert [m["tool_call_id"] for m in tools] == ["call_a", "call_b"]
        await session.close()


async def test_rate_limit_and_server_error_are_retried_visibly(project: Path) -> None:
    with FakeOpenAI([Fail(429), Fail(503), Say("finally")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "hi"))
        seen = await collect_until(events, task_ended(thread.id))
        notices = [n.text for n in of_type(seen, ev.Notice)]
        assert len(notices) == 2 and "429" in notices[0] and "503" in notices[1]
        assert of_type(seen, ev.AssistantMessage)[-1].text == "finally"
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        assert len(server.requests) == 3
        await session.close()


async def test_a_dropped_connection_mid_reply_is_retried_and_the_partial_reply_not_stored(
    project: Path,
) -> None:
    with FakeOpenAI([Say("partial words here", drop_after=2), Say("whole reply")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "hi"))
        seen = await collect_until(events, task_ended(thread.id))
        assert any("dropped" in n.text or "connection" in n.text for n in of_type(seen, ev.Notice))
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        stored = of_type(await session.history(thread.id), ev.AssistantMessage)
        assert [m.text for m in stored] == ["whole reply"]
        await session.close()


async def test_cancel_mid_stream_stops_at_once_and_the_thread_goes_on(project: Path) -> None:
    hold = threading.Event()
    script = [Say("a long answer that never finishes", hold=hold), Say("second answer")]
    with FakeOpenAI(script) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "go"))
        await collect_until(events, lambda e: isinstance(e, ev.MessageDelta))
        await session.send(Cancel(thread.id))
        seen = await collect_until(events, task_ended(thread.id), timeout=5)
        hold.set()
        assert seen[-1].outcome == "cancelled"  # type: ignore[attr-defined]
        partial = of_type(await session.history(thread.id), ev.AssistantMessage)
        assert [m.text for m in partial] == ["a lo"]  # kept as far as it was shown
        assert not session.running(thread.id)
        await session.send(SendMessage(thread.id, "again"))
        seen = await collect_until(events, task_ended(thread.id))
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        roles = [m["role"] for m in server.requests[1]["messages"]]
        assert roles == ["system", "user", "assistant", "user"]
        await session.close()


async def test_malformed_and_unknown_tool_calls_go_back_to_the_model_as_errors(
    project: Path,
) -> None:
    calls = [Call("read_file", '{"path": "notes.txt"', id="bad"), Call("fly", "{}", id="nope")]
    with FakeOpenAI([Say(calls=calls), Say("sorry")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "x"))
        seen = await collect_until(events, task_ended(thread.id))
        results = {f.call_id: f for f in of_type(seen, ToolCallFinished)}
        assert not results["bad"].ok and "not valid JSON" in results["bad"].output
        assert not results["nope"].ok and "unknown tool 'fly'" in results["nope"].output
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        tools = [m for m in server.requests[1]["messages"] if m["role"] == "tool"]
        assert all(m["content"].startswith("error:") for m in tools)
        await session.close()


async def test_a_thread_resumes_exactly_after_a_restart(project: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    script = [
        Say(calls=[Call("read_file", {"path": "notes.txt"}, id="c1")]),
        Say("read it"),
        Say("more"),
    ]
    with FakeOpenAI(script) as server:
        settings = make_settings(server.base_url)
        store = await Store.open(db)
        session = await open_session(project, settings)
        session = type(session)(
            project.resolve(),
            settings,
            store,
            await store.project_for(project),
            retry=session.retry,
        )
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "first"))
        await collect_until(events, task_ended(thread.id))
        shown_before = [e.to_dict() for e in await session.history(thread.id)]
        await session.close()
        await store.close()

        store = await Store.open(db)
        session2 = type(session)(
            project.resolve(),
            settings,
            store,
            await store.project_for(project),
            retry=session.retry,
        )
        assert [e.to_dict() for e in await session2.history(thread.id)] == shown_before
        events = session2.subscribe()
        await session2.send(SendMessage(thread.id, "second"))
        seen = await collect_until(events, task_ended(thread.id))
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        resumed = server.requests[2]["messages"]
        assert [m["role"] for m in resumed] == [
            "system",
            "user",
            "assistant",
            "tool",
            "assistant",
            "user",
        ]
        assert resumed[2]["tool_calls"][0]["id"] == "c1" and resumed[3]["tool_call_id"] == "c1"
        (usage,) = of_type(seen, UsageUpdated)
        assert usage.thread_input_tokens == 30  # three calls of 10 tokens, across the restart
        await session2.close()
        await store.close()


async def test_two_threads_run_at_once(project: Path) -> None:
    hold = threading.Event()
    routes = {"alpha": [Say("alpha is slow", hold=hold)], "beta": [Say("beta done")]}
    with FakeOpenAI(routes=routes) as server:
        session = await open_session(project, make_settings(server.base_url))
        a = await session.new_thread("a")
        b = await session.new_thread("b")
        events = session.subscribe()
        await session.send(SendMessage(a.id, "alpha question"))
        await collect_until(
            events, lambda e: isinstance(e, ev.MessageDelta) and e.thread_id == a.id
        )
        await session.send(SendMessage(b.id, "beta question"))
        seen = await collect_until(events, task_ended(b.id))
        assert session.running(a.id)  # alpha still streams while beta finished
        assert not any(isinstance(e, ev.TaskEnded) and e.thread_id == a.id for e in seen)
        hold.set()
        await collect_until(events, task_ended(a.id))
        texts = {
            t: [m.text for m in of_type(await session.history(t), ev.AssistantMessage)]
            for t in (a.id, b.id)
        }
        assert texts == {a.id: ["alpha is slow"], b.id: ["beta done"]}
        await session.close()


async def test_the_responses_wire_api_runs_a_tool_loop(project: Path) -> None:
    script = [
        Say("Checking.", calls=[Call("read_file", {"path": "notes.txt"}, id="r1")], args_chunk=4),
        Say("Done via responses."),
    ]
    with FakeOpenAI(script) as server:
        session = await open_session(project, make_settings(server.base_url, wire_api="responses"))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "read"))
        seen = await collect_until(events, task_ended(thread.id))
        assert server.paths == ["/v1/responses", "/v1/responses"]
        (finished,) = of_type(seen, ToolCallFinished)
        assert finished.call_id == "r1" and finished.ok
        items = server.requests[1]["input"]
        assert {"type": "function_call_output", "call_id": "r1", "output": finished.output} in items
        assert "coding agent" in server.requests[1]["instructions"]
        assert [m.text for m in of_type(seen, ev.AssistantMessage)] == [
            "Checking.",
            "Done via responses.",
        ]
        assert of_type(seen, UsageUpdated)[-1].thread_output_tokens == 10
        await session.close()


@pytest.mark.parametrize(
    ("wire_api", "field"), [("chat", "max_tokens"), ("responses", "max_output_tokens")]
)
async def test_a_profiles_reply_cap_is_sent_only_when_set(
    project: Path, wire_api: str, field: str
) -> None:
    with FakeOpenAI([Say("capped"), Say("free")]) as server:
        for cap in (256, None):
            settings = make_settings(server.base_url, wire_api=wire_api, max_output_tokens=cap)
            session = await open_session(project, settings)
            thread = await session.new_thread("t")
            events = session.subscribe()
            await session.send(SendMessage(thread.id, "hi"))
            await collect_until(events, task_ended(thread.id))
            await session.close()
        capped, free = server.requests
        assert capped[field] == 256 and field not in free


async def test_a_missing_key_for_a_remote_endpoint_is_one_clear_error(project: Path) -> None:
    session = await open_session(project, make_settings("https://models.example.invalid/v1"))
    thread = await session.new_thread("t")
    events = session.subscribe()
    await session.send(SendMessage(thread.id, "hi"))
    seen = await collect_until(events, lambda e: isinstance(e, ev.Error))
    assert [e.type for e in seen] == ["UserMessage", "Error"]
    assert "no API key" in seen[1].message and "OPENAI_API_KEY" in seen[1].fix  # type: ignore[attr-defined]
    await session.close()


async def test_an_unreachable_endpoint_fails_the_task_with_the_fix(project: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(f"http://127.0.0.1:{port}/v1")
    settings.model.profiles["default"].max_retries = 2
    session = await open_session(project, settings)
    thread = await session.new_thread("t")
    events = session.subscribe()
    await session.send(SendMessage(thread.id, "hi"))
    seen = await collect_until(events, task_ended(thread.id))
    assert len(of_type(seen, ev.Notice)) == 2
    (error,) = of_type(seen, ev.Error)
    assert "after 2 retries" in error.message and f"127.0.0.1:{port}" in error.fix
    assert seen[-1].outcome == "failed"  # type: ignore[attr-defined]
    await session.close()


async def test_a_refused_key_is_not_retried(project: Path) -> None:
    with FakeOpenAI([Fail(401, "bad key")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "hi"))
        seen = await collect_until(events, task_ended(thread.id))
        (error,) = of_type(seen, ev.Error)
        assert "401" in error.message and "OPENAI_API_KEY" in error.fix
        assert len(server.requests) == 1 and not of_type(seen, ev.Notice)
        await session.close()


async def test_a_server_that_reports_no_usage_gets_estimates_and_cut_or_empty_replies_are_said(
    project: Path,
) -> None:
    script = [Say("a reply cut short " * 20, usage=None, finish="length"), Say("", usage=None)]
    with FakeOpenAI(script) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "talk"))
        seen = await collect_until(events, task_ended(thread.id))
        (usage,) = of_type(seen, UsageUpdated)
        assert usage.estimated and usage.output_tokens > 0 and usage.input_tokens > 0
        assert any("output limit" in n.text for n in of_type(seen, ev.Notice))
        assert of_type(seen, ev.TaskEnded)[0].outcome == "done"
        await session.send(SendMessage(thread.id, "again"))
        seen = await collect_until(events, task_ended(thread.id))
        assert any("empty reply" in e.message for e in of_type(seen, ev.Error))
        assert of_type(seen, ev.TaskEnded)[0].outcome == "failed"
        await session.close()

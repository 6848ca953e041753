"""MCP tools in a thread: the scripted model (a real HTTP server speaking the OpenAI protocol)
calls a real MCP server's tool through the session, asks through the same approval flow as a
command, gets its result (images saved as artifacts) or an error it can act on; `rigtui exec`
end to end, and an untrusted project's server never started."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from rigtui.mcp.settings import McpServerSettings
from rigtui.paths import user_config_file
from rigtui.protocol import (
    ArtifactsDetected,
    Cancel,
    CommandApprovalRequested,
    CommandDecided,
    DecideCommand,
    Event,
    Notice,
    SendMessage,
    ToolCallFinished,
    ToolCallStarted,
)
from rigtui.session import Session
from rigtui.trust import trust
from tests.support.cli import run_rigtui
from tests.support.fake_openai import (
    Call,
    FakeOpenAI,
    Say,
    collect_until,
    make_settings,
    of_type,
    open_session,
    task_ended,
)
from tests.support.mcp_helpers import alive, read_pid, stdio_settings, stdio_toml
from tests.support.mcp_server import PNG


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "notes.txt").write_text("a project\n")
    return root


def tool_messages(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


async def run_task(session: Session, text: str) -> list[Event]:
    thread = await session.new_thread("t")
    events = session.subscribe()
    await session.send(SendMessage(thread.id, text))
    return await collect_until(events, task_ended(thread.id))


async def test_the_model_calls_an_mcp_tool_and_gets_its_result(project: Path) -> None:
    pidfile = project.parent / "pid"
    script = [Say(calls=[Call("t__add", {"a": 2, "b": 3})]), Say("2 + 3 = 5.")]
    with FakeOpenAI(script) as server:
        settings = make_settings(server.base_url)
        settings.mcp.servers["t"] = stdio_settings(pidfile, approval="allow")
        session = await open_session(project, settings)
        try:
            seen = await run_task(session, "add 2 and 3")
            offered = {t["function"]["name"]: t["function"] for t in server.requests[0]["tools"]}
            assert "read_file" in offered and "t__add" in offered  # beside rigtui's own
            add = offered["t__add"]
            assert add["description"] == "Add two whole numbers."
            assert add["parameters"]["properties"]["a"]["type"] == "integer"
            assert tool_messages(server.requests[1]) == ["5"]
        finally:
            await session.close()
    (finished,) = of_type(seen, ToolCallFinished)
    assert finished.ok and finished.output == "5" and finished.summary == "t: add → 5"
    assert of_type(seen, CommandApprovalRequested) == []  # approval = "allow": not asked
    assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
    assert not alive(read_pid(pidfile))  # closed with the session


async def answer_approvals(session: Session, approve: bool, asked: list[Event]) -> None:
    async for event in session.subscribe():
        if isinstance(event, CommandApprovalRequested):
            asked.append(event)
            decision = DecideCommand(
                event.thread_id, event.request_id, approve, comment="" if approve else "not now"
            )
            await session.send(decision)


async def test_a_call_is_asked_about_with_server_tool_and_arguments(project: Path) -> None:
    script = [
        Say(calls=[Call("t__echo", {"text": "ship it"})]),
        Say(calls=[Call("t__echo", {"text": "again"})]),
        Say("Done."),
    ]
    with FakeOpenAI(script) as server:
        settings = make_settings(server.base_url)
        settings.mcp.servers["t"] = stdio_settings()
        session = await open_session(project, settings)
        asked: list[Event] = []
        answering = asyncio.create_task(answer_approvals(session, True, asked))
        try:
            thread = await session.new_thread("t")
            events = session.subscribe()
            await session.send(SendMessage(thread.id, "echo"))
            await collect_until(events, lambda e: isinstance(e, ToolCallFinished))
            answering.cancel()
            answering = asyncio.create_task(answer_approvals(session, False, asked))
            seen = await collect_until(events, task_ended(thread.id))
            told = tool_messages(server.requests[2])
        finally:
            answering.cancel()
            await session.close()
    first = asked[0]
    assert isinstance(first, CommandApprovalRequested)
    assert first.command == 't: echo {"text": "ship it"}' and first.needs_person
    assert first.sandbox == "MCP server t" and 'approval = "allow"' in first.reason
    assert told[0] == "echo: ship it"
    assert told[1] == "error: the user declined to call t: echo: not now"
    (declined,) = of_type(seen, ToolCallFinished)
    assert not declined.ok and [d.approved for d in of_type(seen, CommandDecided)] == [False]


async def test_images_are_saved_as_artifacts_and_errors_go_back_to_the_model(
    project: Path,
) -> None:
    script = [
        Say(calls=[Call("t__image", {}), Call("t__fail", {"message": "quota exceeded"})]),
        Say("I saw the image."),
    ]
    with FakeOpenAI(script) as server:
        settings = make_settings(server.base_url)
        settings.mcp.servers["t"] = stdio_settings(approval="allow")
        session = await open_session(project, settings)
        try:
            seen = await run_task(session, "draw")
            image_text, error_text = tool_messages(server.requests[1])
        finally:
            await session.close()
    (artifacts,) = of_type(seen, ArtifactsDetected)
    (saved,) = artifacts.created
    path = Path(saved)
    assert path.read_bytes() == PNG and path.name == "1-image.png"
    assert not path.is_relative_to(project)  # never written into the project
    assert artifacts.command == "t: image" and artifacts.task_id
    assert image_text == f"[image image/png, {len(PNG)} bytes: saved as {saved}]"
    assert error_text.startswith("error: t: fail failed: ") and "quota exceeded" in error_text
    image_call, fail_call = of_type(seen, ToolCallFinished)
    assert image_call.ok and not fail_call.ok


async def test_a_server_that_fails_to_start_is_one_notice_and_the_task_goes_on(
    project: Path,
) -> None:
    with FakeOpenAI([Say("No tools needed."), Say("Still fine.")]) as server:
        settings = make_settings(server.base_url)
        settings.mcp.servers["gone"] = McpServerSettings(command="no-such-mcp-server")
        session = await open_session(project, settings)
        try:
            first = await run_task(session, "hi")
            second = await run_task(session, "hi again")  # tried again, not told again
        finally:
            await session.close()
    (notice,) = [n.text for n in of_type(first, Notice) if "MCP" in n.text]
    assert notice.startswith("MCP server gone failed: no-such-mcp-server: no such program")
    assert [n for n in of_type(second, Notice) if "MCP" in n.text] == []
    assert first[-1].outcome == second[-1].outcome == "done"  # type: ignore[attr-defined]
    names = [t["function"]["name"] for t in server.requests[0]["tools"]]
    assert not any(n.startswith("gone__") for n in names)


# --- rigtui exec, end to end -----------------------------------------------------------------


def rigtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_rigtui(*args, cwd=cwd, env={"CI": "true"}, timeout=90)


def my_model(base_url: str) -> None:
    user_config_file().write_text(
        f'[index]\nenabled = false\n[model.profiles.default]\nmodel = "fake"\nbase_url = "{base_url}"\n'
    )


def test_exec_auto_runs_only_the_tools_allowed_to_run_unasked(project: Path) -> None:
    pidfile = project.parent / "pid"
    (project / ".rigtui.toml").write_text(
        stdio_toml("t", pidfile, more='approval = { add = "allow" }\n')
    )
    trust(project)
    script = [
        Say(calls=[Call("t__add", {"a": 20, "b": 22})]),
        Say(calls=[Call("t__echo", {"text": "deploy"})]),
        Say("Added; echo needs a person."),
    ]
    with FakeOpenAI(script) as server:
        my_model(server.base_url)
        result = rigtui(
            "exec", "go", "--path", str(project), "--json", "--approve", "auto", cwd=project
        )
        told = tool_messages(server.requests[2])
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    added, echoed = [e for e in events if e["type"] == "ToolCallFinished"]
    assert added["ok"] and added["output"] == "42"
    (asked,) = [e for e in events if e["type"] == "CommandApprovalRequested"]
    assert asked["command"] == 't: echo {"text": "deploy"}' and asked["needs_person"]
    (decided,) = [e for e in events if e["type"] == "CommandDecided"]
    assert not decided["approved"] and decided["by"] == "policy"
    assert not echoed["ok"] and "declined" in echoed["output"]
    assert "needs a person's approval" in told[1]
    assert not alive(read_pid(pidfile))  # exec left no server behind


def test_an_untrusted_projects_server_is_never_started(project: Path) -> None:
    marker, pidfile = project.parent / "started", project.parent / "pid"
    (project / ".rigtui.toml").write_text(stdio_toml("evil", pidfile, marker=marker))
    with FakeOpenAI([Say("ok"), Say("ok")]) as server:
        my_model(server.base_url)
        untrusted = rigtui("exec", "hi", "--path", str(project), "--json", cwd=project)
        offered = [t["function"]["name"] for t in server.requests[0]["tools"]]
        assert untrusted.returncode == 0, untrusted.stderr
        assert not marker.exists() and not pidfile.exists()
        assert not any(n.startswith("evil__") for n in offered)
        assert "mcp.servers.evil" in untrusted.stderr and "ignored" in untrusted.stderr

        assert rigtui("trust", str(project), cwd=project).returncode == 0
        trusted = rigtui("exec", "hi", "--path", str(project), "--json", cwd=project)
        offered = [t["function"]["name"] for t in server.requests[1]["tools"]]
    assert trusted.returncode == 0, trusted.stderr
    assert marker.exists() and "evil__echo" in offered
    assert not alive(read_pid(pidfile))


async def test_cancelling_a_task_mid_call_leaves_the_server_up(project: Path) -> None:
    pidfile = project.parent / "pid"
    script = [
        Say(calls=[Call("t__slow", {"seconds": 60})]),
        Say(calls=[Call("t__echo", {"text": "still here"})]),
        Say("It answered."),
    ]
    with FakeOpenAI(script) as server:
        settings = make_settings(server.base_url)
        settings.mcp.servers["t"] = stdio_settings(pidfile, approval="allow")
        session = await open_session(project, settings)
        try:
            thread = await session.new_thread("t")
            events = session.subscribe()
            await session.send(SendMessage(thread.id, "wait"))
            await collect_until(events, lambda e: isinstance(e, ToolCallStarted))
            await session.send(Cancel(thread.id))
            cancelled = await collect_until(events, task_ended(thread.id))
            pid = read_pid(pidfile)
            await session.send(SendMessage(thread.id, "again"))
            again = await collect_until(events, task_ended(thread.id))
        finally:
            await session.close()
    assert cancelled[-1].outcome == "cancelled"  # type: ignore[attr-defined]
    (echoed,) = of_type(again, ToolCallFinished)
    assert echoed.ok and echoed.output == "echo: still here"
    assert read_pid(pidfile) == pid  # the same server process answered
    assert not alive(pid)

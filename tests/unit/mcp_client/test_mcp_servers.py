"""McpManager against real servers: the SDK test server over stdio, streamable HTTP and SSE on
127.0.0.1, and the reference time server from the package index. Faults are real too: a
server that exits mid-call, one killed between calls, one too slow, one that never answers."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from rigtui.config import Settings
from rigtui.mcp.manager import CallFailed, McpManager
from rigtui.mcp.settings import McpServerSettings
from rigtui.protocol import Event, McpServerChanged, Notice
from tests.support.mcp_helpers import HttpServer, alive, read_pid, stdio_settings
from tests.support.mcp_server import PNG


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event) -> None:
        self.events.append(event)

    def notices(self) -> list[str]:
        told = [e.notice for e in self.events if isinstance(e, McpServerChanged) and e.notice]
        return told + [e.text for e in self.events if isinstance(e, Notice)]


def manager_for(root: Path, **servers: McpServerSettings) -> tuple[McpManager, Recorder]:
    settings = Settings()
    settings.mcp.servers.update(servers)
    recorder = Recorder()
    return McpManager(root, settings, emit=recorder), recorder


async def test_a_stdio_server_is_started_listed_called_and_stopped(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    manager, recorder = manager_for(tmp_path, t=stdio_settings(pidfile, tools=["echo", "add", "image", "fail", "audio_and_link"]))  # fmt: skip
    try:
        await manager.start()
        (status,) = manager.status()
        assert status.state == "up" and status.error == ""
        assert status.tools == ("echo", "add", "image", "fail", "audio_and_link")  # allow list
        assert status.prompts == ("review",) and 100 < status.tokens < 1000
        assert status.where.startswith(f"stdio: {sys.executable}")
        names = [t.name for t in manager.tools()]
        assert names == ["t__echo", "t__add", "t__image", "t__fail", "t__audio_and_link"]
        echo = manager.tools()[0]
        assert echo.description == "Say the text back."  # the first paragraph only
        assert echo.parameters["required"] == ["text"] and echo.approval == "ask"

        assert (await manager.call("t__add", {"a": 2, "b": 40})).text == "42"
        image = await manager.call("t__image", {})
        (blob,) = image.blobs
        assert (
            blob.data == PNG
            and blob.mime_type == "image/png"
            and blob.file_name(1) == "1-image.png"
        )
        assert image.with_files(["/x/1-image.png"]) == f"[image image/png, {len(PNG)} bytes: saved as /x/1-image.png]"  # fmt: skip
        failed = await manager.call("t__fail", {"message": "no such issue"})
        assert failed.is_error and "no such issue" in failed.text
        mixed = await manager.call("t__audio_and_link", {})
        assert [b.kind for b in mixed.blobs] == ["audio", "resource"]
        assert "[resource link: readme file:///srv/README.md]" in mixed.text
        with pytest.raises(CallFailed, match="no MCP tool 't__slow'"):  # not in the allow list
            await manager.call("t__slow", {"seconds": 0})
        bad = await manager.call("t__add", {"a": "two"})  # the server checks the arguments
        assert bad.is_error and "a" in bad.text

        messages = await manager.get_prompt("t", "review", {"path": "app.py"})
        assert messages[0] == ("user", "Review app.py, looking for bugs.")
        assert [role for role, _ in messages] == ["user", "assistant", "user"]
        pid = read_pid(pidfile)
        assert alive(pid)
    finally:
        await manager.close()
    assert not alive(pid)
    assert manager.status()[0].state == "stopped" and manager.tools() == []
    states = [e.state for e in recorder.events if isinstance(e, McpServerChanged)]
    assert states == ["starting", "up", "stopped"] and recorder.notices() == []


async def test_a_streamable_http_server_gets_its_headers_with_variables_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_TOKEN", "s3cret")
    with HttpServer() as server:
        spec = McpServerSettings(url=server.url, headers={"X-Team": "Bearer ${TEAM_TOKEN}"})
        manager, _ = manager_for(tmp_path, web=spec)
        try:
            await manager.start()
            (status,) = manager.status()
            assert status.state == "up" and status.where == f"http: {server.url}"
            result = await manager.call("web__header", {"name": "X-Team"})
            assert result.text == "Bearer s3cret"
            assert (await manager.call("web__echo", {"text": "hi"})).text == "echo: hi"
        finally:
            await manager.close()
        assert alive(server.pid)  # a server rigtui did not start is not rigtui's to stop


async def test_an_sse_only_server_is_reached_over_sse(tmp_path: Path) -> None:
    with HttpServer(sse=True) as server:
        manager, _ = manager_for(tmp_path, old=McpServerSettings(url=server.url))
        try:
            await manager.start()
            assert manager.status()[0].where.startswith("sse: ")
            assert (await manager.call("old__add", {"a": 1, "b": 1})).text == "2"
        finally:
            await manager.close()


async def test_the_reference_time_server_from_the_package_index(tmp_path: Path) -> None:
    spec = McpServerSettings(
        command=sys.executable, args=["-m", "mcp_server_time", "--local-timezone", "UTC"]
    )
    manager, _ = manager_for(tmp_path, time=spec)
    try:
        await manager.start()
        (status,) = manager.status()
        assert status.state == "up", status.error
        assert set(status.tools) == {"get_current_time", "convert_time"}
        result = await manager.call("time__get_current_time", {"timezone": "Europe/Paris"})
        assert not result.is_error and '"timezone": "Europe/Paris"' in result.text
        converted = await manager.call(
            "time__convert_time",
            {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
        )
        assert "21:00" in converted.text
        wrong = await manager.call("time__get_current_time", {"timezone": "Mars/Olympus"})
        assert wrong.is_error and "Mars/Olympus" in wrong.text
    finally:
        await manager.close()


async def test_a_server_that_exits_mid_call_is_told_once_and_started_again_on_next_use(
    tmp_path: Path,
) -> None:
    pidfile = tmp_path / "pid"
    manager, recorder = manager_for(tmp_path, t=stdio_settings(pidfile))
    try:
        await manager.start("thread-1")
        first = read_pid(pidfile)
        with pytest.raises(CallFailed, match="MCP server t stopped during a call to die") as info:
            await manager.call("t__die", {}, "thread-1")
        assert info.value.server_down and not alive(first)
        assert manager.tools() == [] and manager.status()[0].state == "failed"
        (told,) = recorder.notices()
        assert told.startswith("MCP server t failed: stopped during a call to die")
        assert "left out" in told
        assert [e.thread_id for e in recorder.events if isinstance(e, Notice)] == ["thread-1"]

        assert (await manager.call("t__echo", {"text": "back"})).text == "echo: back"
        second = read_pid(pidfile)
        assert second != first and alive(second) and manager.counts() == (1, 1)
    finally:
        await manager.close()
    assert not alive(second)


async def test_a_server_killed_between_calls_is_noticed_at_the_next_call(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    manager, recorder = manager_for(tmp_path, t=stdio_settings(pidfile))
    try:
        await manager.start()
        first = read_pid(pidfile)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(CallFailed, match="stopped during a call to add"):
            await manager.call("t__add", {"a": 1, "b": 1})
        assert len(recorder.notices()) == 1
        await manager.start()  # what the next task does first
        assert manager.counts() == (1, 1) and read_pid(pidfile) != first
    finally:
        await manager.close()
    assert not alive(read_pid(pidfile))


async def test_a_slow_server_times_out_and_is_stopped(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    # Each call is bounded by `timeout`; the start by `start_timeout` (the SDK server takes
    # ~2 s to import on a slow machine), so a short call limit never fails the start.
    manager, recorder = manager_for(tmp_path, t=stdio_settings(pidfile, timeout=1.0))
    try:
        await manager.start()
        pid = read_pid(pidfile)
        assert (await manager.call("t__slow", {"seconds": 0.1})).text == "waited 0.1s"
        with pytest.raises(CallFailed, match="MCP server t did not answer slow within 1s"):
            await manager.call("t__slow", {"seconds": 60})
        assert not alive(pid) and manager.status()[0].state == "failed"
        (told,) = recorder.notices()
        assert "did not answer slow within 1s" in told
    finally:
        await manager.close()


async def test_a_server_that_never_answers_or_cannot_start_fails_and_is_told_once(
    tmp_path: Path,
) -> None:
    pidfile = tmp_path / "hung.pid"
    hung = McpServerSettings(
        command=sys.executable,
        args=["-c", f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(120)"],
        start_timeout=1.0,
    )  # fmt: skip
    noisy = McpServerSettings(
        command=sys.executable,
        args=["-c", "import sys; print('GITHUB_TOKEN is not set', file=sys.stderr); sys.exit(2)"],
    )
    manager, recorder = manager_for(
        tmp_path, hung=hung, missing=McpServerSettings(command="no-such-mcp-server"), noisy=noisy,
        off=McpServerSettings(command="no-such-either", enabled=False),
    )  # fmt: skip
    try:
        await manager.start()
        status = {s.name: s for s in manager.status()}
        assert status["hung"].state == "failed"
        assert status["hung"].error == "did not start within 1s (timeout)"
        assert not alive(read_pid(pidfile))
        assert status["missing"].error == "no-such-mcp-server: no such program (check command and PATH)"  # fmt: skip
        assert status["noisy"].error.startswith(
            "it closed the connection before answering (its last words on stderr:"
            " GITHUB_TOKEN is not set; the log: "
        )
        assert status["off"].state == "disabled" and manager.counts() == (0, 3)
        assert len(recorder.notices()) == 3
        await manager.start()  # tried again; the same failures are not told again
        assert len(recorder.notices()) == 3 and manager.tools() == []
    finally:
        await manager.close()

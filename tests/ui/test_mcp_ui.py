"""MCP servers in the workbench: started after the first paint, counted in the status bar,
listed in the palette's screen, a failure told once, and a server's prompt used from the
message box; real servers, the scripted model on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from rigtui import protocol as ev
from rigtui.mcp.settings import McpServerSettings
from rigtui.ui.app import RigtuiApp
from rigtui.ui.mcp_screen import McpServersScreen
from tests.support.fake_openai import FakeOpenAI, Say
from tests.support.mcp_helpers import alive, read_pid, stdio_settings
from tests.support.recorder import recorder


def with_servers(app: RigtuiApp, pidfile: Path) -> RigtuiApp:
    app.settings.mcp.servers["t"] = stdio_settings(pidfile, approval="allow")
    app.settings.mcp.servers["gone"] = McpServerSettings(command="no-such-mcp-server")
    return app


async def test_servers_start_after_the_first_paint_and_show_in_status_and_palette(
    make_app, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pid"
    app = with_servers(make_app(), pidfile)
    async with app.run_test(size=(160, 40)) as pilot:
        session = await app.opened_session()
        await session.mcp.start()  # the start the workbench began after painting, shared
        await pilot.pause()
        assert "│ mcp: 1/2" in str(app.query_one("#status").render())
        (told,) = [n.message for n in app._notifications if "MCP server gone" in n.message]
        assert "no-such-mcp-server: no such program" in told and "left out" in told

        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        await titles["MCP servers"].callback()
        await pilot.pause()
        assert isinstance(app.screen, McpServersScreen)
        shown = str(app.screen.query_one("#mcp-servers").render())
        assert "t  up" in shown and "echo, add, slow" in shown and "prompts: /t:review" in shown
        assert "gone  failed" in shown and "last error: no-such-mcp-server" in shown
        await pilot.press("escape")
        pid = read_pid(pidfile)
        assert alive(pid)
    assert not alive(pid)  # the session closed with the workbench, and the server with it


async def test_a_servers_prompt_is_sent_as_the_message(make_app, tmp_path: Path) -> None:
    with FakeOpenAI([Say("Reviewed.")]) as server:
        app = with_servers(make_app(), tmp_path / "pid")
        profile = app.settings.model.profiles["default"]
        profile.base_url, profile.model = server.base_url, "fake"
        app.settings.index.enabled = False
        async with app.run_test(size=(160, 40)) as pilot:
            await (await app.opened_session()).mcp.start()
            ended = recorder(app).next(ev.TaskEnded)
            await pilot.press(*'/t:review app.py focus="error handling"', "enter")
            await ended
            sent = server.requests[0]["messages"][-1]
            await pilot.press(*"/t:nosuch x", "enter")
            await pilot.pause()
            (said,) = [n.message for n in app._notifications if "no prompt" in n.message]
            box = app.query_one("#message").value  # type: ignore[attr-defined]
    assert sent["role"] == "user"
    assert sent["content"] == (
        "Review app.py, looking for error handling.\n\n"
        "(assistant) Which parts matter most?\n\nAll of it."
    )
    assert said == "MCP server t has no prompt 'nosuch'; it offers: /t:review"
    assert box == "/t:nosuch x"  # the words are not lost
    assert len(server.requests) == 1  # nothing was sent for the bad one

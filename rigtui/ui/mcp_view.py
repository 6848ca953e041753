"""The workbench's view of MCP servers: the status bar's count, the palette's list of servers
(state, where, tools, prompts, token cost, last error; r starts the failed ones again), and
`/server:prompt args` from the message box expanded to the prompt's text before it is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.widgets import Input

if TYPE_CHECKING:
    from rigtui.mcp.manager import McpManager


def status_segment(manager: McpManager) -> str:
    """` │ mcp: 1/2` (servers up, of those enabled); '' when none is configured."""
    up, total = manager.counts()
    return f" │ mcp: {up}/{total}" if total else ""


async def expand_prompt(app: App[object], manager: McpManager, text: str) -> str | None:
    """The text to send for what the user typed: a server's prompt expanded, anything else
    as it is; None (said in a notification, the words put back in the box) when it names a
    prompt that cannot be used."""
    from rigtui.mcp.prompts import PromptError, expand

    try:
        expanded = await expand(manager, text)
    except PromptError as exc:
        app.notify(str(exc), title="MCP prompt", severity="error", timeout=10)
        box = app.query_one("#message", Input)
        if not box.value:
            box.value = text
        return None
    return text if expanded is None else expanded


class McpActions:
    """The workbench's MCP actions, mixed into the app: the servers start after the first
    paint (their tools are offered once up), and the palette's list of them."""

    @work(group="mcp")
    async def start_mcp(self) -> None:
        await self.session_required().mcp.start()  # type: ignore[attr-defined]

    def action_show_mcp_servers(self) -> None:
        from rigtui.ui.mcp_screen import McpServersScreen  # loaded on use, not before painting

        manager = self.session_required().mcp  # type: ignore[attr-defined]
        self.push_screen(McpServersScreen(manager))  # type: ignore[attr-defined]

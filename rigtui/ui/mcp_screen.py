"""The palette's list of MCP servers (state, where, tools, prompts, token cost, last error;
r starts the failed ones again): loaded when it is first opened (rigtui.ui.mcp_view)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from rigtui.display import safe_line
from rigtui.ui.modals import MODAL_CSS

if TYPE_CHECKING:
    from rigtui.mcp.manager import McpManager

STATE_STYLES = {"up": "green", "failed": "red", "starting": "yellow"}


def servers_text(manager: McpManager) -> Text:
    text = Text()
    statuses = manager.status()
    if not statuses:
        text.append("No MCP servers configured: add [mcp.servers.NAME] to your config.toml.")
    for status in statuses:
        text.append(f"{status.name}", style="bold")
        text.append(f"  {status.state}", style=STATE_STYLES.get(status.state, "dim"))
        if status.where:
            text.append(f"  {safe_line(status.where)}", style="dim")
        text.append("\n")
        if status.tools:
            text.append(f"  tools (~{status.tokens} tokens a request): ")
            text.append(", ".join(map(safe_line, status.tools)) + "\n")
        if status.prompts:
            names = ", ".join(f"/{status.name}:{safe_line(p)}" for p in status.prompts)
            text.append(f"  prompts: {names}\n")
        if status.error:
            text.append(f"  last error: {safe_line(status.error)}\n", style="red")
    return text


class McpServersScreen(ModalScreen[None]):
    """Every configured server; r starts the ones that are not up (again); Esc closes."""

    DEFAULT_CSS = MODAL_CSS.format(name="McpServersScreen").replace("width: 64", "width: 96")
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Close"),
        Binding("r", "restart", "Start again"),
    ]

    def __init__(self, manager: McpManager) -> None:
        super().__init__()
        self.manager = manager

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("MCP servers")
            with VerticalScroll():
                yield Static(servers_text(self.manager), id="mcp-servers")
            yield Static("r start the failed ones again · Esc close", classes="hint")

    @work(group="mcp-restart", exclusive=True)
    async def action_restart(self) -> None:
        self.notify("starting the MCP servers that are not up…")
        await self.manager.start()
        self.query_one("#mcp-servers", Static).update(servers_text(self.manager))

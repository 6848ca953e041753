"""The one-time question when a project's `.rigtui.toml` asks for settings that need trust:
exactly what it asks for, y to trust this version of the file, n (or Esc) to ignore them.
The app records the answer (rigtui.trust) and asks again only when the file changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from rigtui.trust import ProjectTrust


class TrustScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    TrustScreen { align: center middle; }
    TrustScreen > Vertical {
        width: 88; max-width: 100%; height: auto; max-height: 90%; border: round $warning;
        background: $surface; padding: 0 1;
    }
    TrustScreen #asks { height: auto; max-height: 16; background: $boost; padding: 0 1;
        margin: 1 0; }
    TrustScreen .hint { color: $text-muted; }
    """
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("y", "answer(True)", "Trust them"),
        Binding("n,escape", "answer(False)", "Ignore them"),
    ]

    def __init__(self, trust: ProjectTrust) -> None:
        super().__init__()
        self.trust = trust

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self.trust.file} asks for settings that need your trust:")
            with VerticalScroll(id="asks"):
                yield Static("\n".join(a.line for a in self.trust.asks), markup=False)
            yield Static(
                "They send data (your API key, your code) to a server, or let commands and"
                " edits run without asking you. Without your trust they are ignored, and the"
                " file's checks run only when you ask.",
            )
            yield Static(
                "y trust this version of the file · n/Esc ignore them (asked again when the file"
                " changes; `rigtui trust` trusts it later)",
                classes="hint",
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

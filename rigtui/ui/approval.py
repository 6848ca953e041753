"""The modal that asks whether the model may run a command.

Wiring (app): on `CommandApprovalRequested` (any thread) push
`CommandApprovalScreen(event)` with a callback that sends
`DecideCommand(event.thread_id, event.request_id, approved, comment)`; the screen dismisses
with `(approved, comment)`. y approves, n or Esc declines, c declines with a comment typed in
the box (the model reads it). A request that needs a person says so in a line of its own."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from rigtui.display import safe_line
from rigtui.protocol import CommandApprovalRequested

Answer = tuple[bool, str]


class CommandApprovalScreen(ModalScreen[Answer]):
    DEFAULT_CSS = """
    CommandApprovalScreen { align: center middle; }
    CommandApprovalScreen > Vertical {
        width: 72; max-width: 100%; height: auto; border: round $warning;
        background: $surface; padding: 0 1;
    }
    CommandApprovalScreen #command { background: $boost; padding: 0 1; margin: 1 0; }
    CommandApprovalScreen .hint { color: $text-muted; }
    CommandApprovalScreen .outside { color: $error; text-style: bold; }
    CommandApprovalScreen #needs-person { color: $warning; text-style: bold; }
    """
    AUTO_FOCUS = ""  # keys go to the screen's bindings until the comment box is clicked
    BINDINGS = [
        Binding("y", "approve", "Run it"),
        Binding("n,escape", "decline", "Decline"),
    ]

    def __init__(self, request: CommandApprovalRequested) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical():
            where = self.request.cwd + (
                f", sandbox {self.request.sandbox}" if self.request.sandbox else ""
            )
            yield Label(f"The model wants to run a command in {where}:")
            yield Static(safe_line(self.request.command), id="command", markup=False)
            if self.request.needs_person:
                yield Static(
                    "⚠ needs a person: no setting can approve this command, only you",
                    id="needs-person",
                )
            if self.request.outside_paths:
                outside = ", ".join(self.request.outside_paths)
                yield Static(f"⚠ outside the project: {outside}", classes="outside", markup=False)
            if self.request.reason:
                yield Static(f"why: {self.request.reason}", markup=False)
            yield Input(
                placeholder="comment for the model (optional), Enter declines with it", id="comment"
            )
            yield Static(
                "y run · n/Esc decline · type a comment and Enter to decline with it",
                classes="hint",
            )

    def action_approve(self) -> None:
        self.dismiss((True, ""))

    def action_decline(self) -> None:
        self.dismiss((False, self.query_one("#comment", Input).value.strip()))

    @on(Input.Submitted, "#comment")
    def _comment(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss((False, event.value.strip()))

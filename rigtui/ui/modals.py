"""Small modal screens: a one-line prompt, a yes/no confirmation, and the key map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

if TYPE_CHECKING:
    from textual.widgets import DataTable

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 64; max-width: 100%; height: auto; max-height: 90%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} .hint {{ color: $text-muted; }}
"""


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; Enter confirms, Escape cancels (dismisses with None)."""

    DEFAULT_CSS = MODAL_CSS.format(name="PromptScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(self.value, id="prompt-input")
            yield Static("Enter to confirm · Esc to cancel", classes="hint")

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: y or Enter confirms, n or Escape declines."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Static("y / Enter: yes · n / Esc: no", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class KeyMapScreen(ModalScreen[None]):
    """Every key and what it does, grouped by where it works."""

    DEFAULT_CSS = MODAL_CSS.format(name="KeyMapScreen").replace("width: 64", "width: 76")
    BINDINGS = [Binding("escape,q,question_mark,f1", "app.pop_screen", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Keys  (Esc to close; every action is also in ctrl+p)")
            from textual.widgets import DataTable  # loaded when the key map opens

            table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
            table.add_columns("key", "action", "where")
            for row in self.rows:
                table.add_row(*row)
            yield table


class ChooseScreen(ModalScreen[str | None]):
    """Pick one of several options (a model profile, a message to fork from, a thread);
    dismisses with the option's id, or None on Escape."""

    DEFAULT_CSS = MODAL_CSS.format(name="ChooseScreen").replace("width: 64", "width: 80")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = options  # (id, label)

    def compose(self) -> ComposeResult:
        from textual.widgets import OptionList
        from textual.widgets.option_list import Option

        with Vertical():
            yield Label(self.title_text)
            yield OptionList(*[Option(label, id=key) for key, label in self.options])
            yield Static("↑↓ choose · Enter pick · Esc cancel", classes="hint")

    def on_option_list_option_selected(self, event: object) -> None:
        option = getattr(event, "option", None)
        self.dismiss(getattr(option, "id", None))

    def action_cancel(self) -> None:
        self.dismiss(None)

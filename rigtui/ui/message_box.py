"""The message box and its completion menu. Typing `@` offers the project's files (fuzzy) and
symbols, typing `/` at the start offers the commands and prompts; ↑ ↓ choose, Tab or Enter
put the choice in, Esc closes the menu. The completions come from the session's Completer
(rigtui.session.completion): the box never reads the project itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from rigtui.display import safe_line

if TYPE_CHECKING:
    from rigtui.session.completion import Completer, Completion

_WORD_START = re.compile(r'(?:^|\s)(@"[^"]*|\S*)$')


@dataclass(frozen=True)
class Typing:
    """The word being completed: where it starts in the box, and what is asked."""

    start: int
    kind: str  # mention | command
    query: str


def word_at_cursor(value: str, cursor: int) -> Typing | None:
    """An `@word` ending at the cursor, or a `/command` that is the box's first word."""
    before = value[:cursor]
    if before.startswith("/") and not any(c.isspace() for c in before) and "//" not in before:
        return Typing(0, "command", before[1:])
    match = _WORD_START.search(before)
    word = match[1] if match else ""
    if not word.startswith("@"):
        return None
    query = word[2:] if word.startswith('@"') else word[1:]
    return Typing(cursor - len(word), "mention", query)


class CompletionMenu(OptionList):
    """The choices for the word being typed, above the message box (never focused)."""

    DEFAULT_CSS = """
    CompletionMenu { height: auto; max-height: 8; display: none; border: none;
                     background: $surface; padding: 0 1; }
    CompletionMenu.-open { display: block; }
    """
    can_focus = False

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.completions: list[Completion] = []

    @property
    def is_open(self) -> bool:
        return self.has_class("-open") and bool(self.completions)

    def show(self, completions: list[Completion]) -> None:
        self.completions = completions
        self.clear_options()
        self.add_options([Option(_row(c)) for c in completions])
        self.set_class(bool(completions), "-open")
        if completions:
            self.highlighted = 0

    def close(self) -> None:
        self.completions = []
        self.remove_class("-open")

    def chosen(self) -> Completion | None:
        index = self.highlighted
        return self.completions[index] if self.is_open and index is not None else None


def _row(completion: Completion) -> Text:
    row = Text(safe_line(completion.label))
    row.append(f"  {safe_line(completion.detail)}", style="dim")
    return row


class MessageInput(Input):
    """The message box: an Input that completes `@` and `/` words through its menu."""

    BINDINGS = [
        Binding("tab", "accept", "Complete", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("escape", "close_menu", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.completer: Completer | None = None  # set once the session is open
        self._no_menu = CompletionMenu()  # never mounted: always closed
        self._typing: Typing | None = None

    @property
    def menu(self) -> CompletionMenu:
        """The completion menu; until the workbench mounts it (after its first frame, as the
        session opens) a closed one, so keys pressed that early do what they always do."""
        try:
            return self.screen.query_one(CompletionMenu)
        except NoMatches:
            return self._no_menu

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is not self:
            return
        self._typing = word_at_cursor(self.value, self.cursor_position)
        if self._typing is None or self.completer is None:
            self.menu.close()
            return
        self._complete(self._typing)

    @work(exclusive=True, group="message-completion")
    async def _complete(self, typing: Typing) -> None:
        assert self.completer is not None
        if typing.kind == "command":
            found = await self.completer.commands(typing.query)
        else:
            found = await self.completer.mentions(typing.query)
        if typing == self._typing:  # still the word being typed
            self.menu.show(found)

    # --- keys while the menu is open (each falls through to its usual meaning when not) ---

    def action_accept(self) -> None:
        chosen = self.menu.chosen()
        if chosen is None or self._typing is None:
            raise SkipAction()
        if word_at_cursor(self.value, self.cursor_position) != self._typing:
            self.menu.close()  # the cursor moved off the word: the choices were for another
            raise SkipAction()
        start, end = self._typing.start, self.cursor_position
        insert = chosen.insert + " "
        self.value = self.value[:start] + insert + self.value[end:]
        self.cursor_position = start + len(insert)
        self._typing = None
        self.menu.close()

    def action_move(self, step: int) -> None:
        menu = self.menu
        if not menu.is_open:
            raise SkipAction()
        count = len(menu.completions)
        menu.highlighted = ((menu.highlighted or 0) + step) % count

    def action_close_menu(self) -> None:
        if not self.menu.is_open:
            raise SkipAction()
        self._typing = None
        self.menu.close()

    async def action_submit(self) -> None:
        """Enter takes the highlighted choice, unless the word typed is that choice already
        (a whole path typed out): then it sends, as it does with the menu closed."""
        chosen, typing = self.menu.chosen(), self._typing
        here = word_at_cursor(self.value, self.cursor_position)
        if chosen is not None and typing is not None and here == typing:
            if self.value[typing.start : self.cursor_position] != chosen.insert:
                self.action_accept()
                return
        self._typing = None
        self.menu.close()
        await super().action_submit()

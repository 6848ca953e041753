"""A search screen over the code index: symbols first, then full-text hits, as you type.

Use it from the app:

    def action_search(self) -> None:
        def jump(location: Location | None) -> None:
            if location is not None:
                self.open_file(self.root / location.path, location.line)
        self.push_screen(SearchScreen(self.index), jump)

It dismisses with the chosen `Location` (path relative to the project root, 1-based line), or
None on Escape. Queries run in an exclusive worker, so typing never waits on the index.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rigtui.display import safe_line, safe_name
from rigtui.index import CodeIndex, Location, SearchHit, Symbol


class SearchScreen(ModalScreen[Location | None]):
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical {
        width: 100; max-width: 100%; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    SearchScreen #search-results { height: 1fr; border: none; }
    SearchScreen #search-status { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, index: CodeIndex, query: str = "", *, limit: int = 30) -> None:
        super().__init__()
        self.index = index
        self.initial_query = query
        self.limit = limit
        self.locations: list[Location] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(self.initial_query, placeholder="symbol or text…", id="search-input")
            yield OptionList(id="search-results")
            yield Static("type to search · ↑↓ choose · Enter jump · Esc close", id="search-status")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.initial_query:
            self.run_query(self.initial_query)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self.run_query(event.value)

    @work(exclusive=True, group="index-search")
    async def run_query(self, text: str) -> None:
        text = text.strip()
        if not text:
            self._show([], [], "")
            return
        symbols = await self.index.afind_symbol(text, limit=self.limit) if _symbolish(text) else []
        hits = await self.index.asearch(text, limit=self.limit, prefix=True)
        self._show(symbols, hits, text)

    def _show(self, symbols: list[Symbol], hits: list[SearchHit], text: str) -> None:
        results = self.query_one(OptionList)
        results.clear_options()
        self.locations = []
        options: list[Option] = []
        for s in symbols:
            label = Text.assemble(
                (f"{s.kind:<9} ", "bold"), safe_line(s.qualname), (f"  {_where(s.location)}", "dim")
            )
            options.append(Option(label))
            self.locations.append(s.location)
        for h in hits:
            options.append(
                Option(Text.assemble((f"{_where(h.location)}  ", "dim"), safe_line(h.snippet)))
            )
            self.locations.append(h.location)
        results.add_options(options)
        if options:
            results.highlighted = 0
        status = self.query_one("#search-status", Static)
        if text:
            status.update(f"{len(symbols)} symbols, {len(hits)} text matches for {text!r}")

    def action_move(self, step: int) -> None:
        results = self.query_one(OptionList)
        if results.option_count:
            current = results.highlighted or 0
            results.highlighted = max(0, min(results.option_count - 1, current + step))

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None and highlighted < len(self.locations):
            self.dismiss(self.locations[highlighted])

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_index < len(self.locations):
            self.dismiss(self.locations[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


def _symbolish(text: str) -> bool:
    """Only a single identifier-like word (maybe `Class.method`) is looked up as a symbol."""
    return " " not in text and any(c.isalnum() or c == "_" for c in text)


def _where(location: Location) -> str:
    return f"{safe_name(location.path)}:{location.line}"

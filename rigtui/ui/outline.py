"""A file's outline from the code index: its definitions, indented by nesting.

    outline = Outline(index)            # compose it beside the tree
    outline.show_path("src/app.py")     # loads in a worker; relative or absolute path

Choosing an entry posts `Outline.SymbolChosen(location)` for the app to open the code view at
that line. With no index (None) the widget just says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from rigtui.display import safe_line, safe_name

if TYPE_CHECKING:  # the index package loads tree-sitter: not needed to draw an empty outline
    from rigtui.index import CodeIndex, Location, Symbol

KIND_MARKS = {
    "class": "C", "struct": "S", "interface": "I", "enum": "E", "module": "M", "namespace": "N",
    "function": "ƒ", "method": "m", "constructor": "m", "constant": "k", "type": "T",
}  # fmt: skip


class Outline(OptionList):
    DEFAULT_CSS = """
    Outline { height: 1fr; border: none; }
    """

    class SymbolChosen(Message):
        def __init__(self, location: Location) -> None:
            super().__init__()
            self.location = location

    def __init__(self, index: CodeIndex | None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.index = index
        self.path: str | None = None
        self.symbols: list[Symbol] = []

    def show_path(self, path: str | Path) -> None:
        """Show `path`'s outline (loaded in a worker; the latest call wins)."""
        self._load(path)

    @work(exclusive=True, group="outline")
    async def _load(self, path: str | Path) -> None:
        await self.load(path)

    async def load(self, path: str | Path) -> None:
        """Load and show `path`'s outline now (what the worker runs; tests await it)."""
        symbols = await self.index.aoutline(path) if self.index is not None else []
        self.path = str(path)
        self.symbols = symbols
        self.clear_options()
        if self.index is None:
            self.add_option(Option("(no code index)", disabled=True))
        elif not symbols:
            self.add_option(
                Option(Text(f"no symbols in {safe_name(Path(path).name)}"), disabled=True)
            )
        else:
            self.add_options([Option(_label(s)) for s in symbols])
            self.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_index < len(self.symbols):
            self.post_message(self.SymbolChosen(self.symbols[event.option_index].location))


def _label(symbol: Symbol) -> Text:
    mark = KIND_MARKS.get(symbol.kind, "·")
    return Text.assemble(
        "  " * symbol.depth,
        (f"{mark} ", "bold"),
        safe_line(symbol.name),
        (f"  {symbol.line}", "dim"),
    )

"""Pilot tests of the index's search screen and outline widget, each in a tiny app over a
real index of a small project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, OptionList

from rigtui.index import CodeIndex, Location
from rigtui.ui.outline import Outline
from rigtui.ui.search_screen import SearchScreen

FILES = {
    "app/config.py": (
        "class ConfigLoader:\n"
        "    def parse_config(self, path):\n"
        "        return path\n\n"
        "def load_settings():\n"
        "    return ConfigLoader().parse_config('x')\n"
    ),
    "web/client.js": "function parseConfig(text) {\n  return JSON.parse(text);\n}\n",
}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[CodeIndex]:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    with CodeIndex.open(tmp_path) as idx:
        idx.update()
        yield idx


class SearchApp(App[None]):
    def __init__(self, index: CodeIndex) -> None:
        super().__init__()
        self.index = index
        self.results: list[Location | None] = []

    def on_mount(self) -> None:
        self.push_screen(SearchScreen(self.index), self.results.append)


async def type_and_wait(pilot, screen: SearchScreen, text: str) -> OptionList:  # type: ignore[no-untyped-def]
    await pilot.press(*text)
    await screen.workers.wait_for_complete()
    await pilot.pause()
    return screen.query_one(OptionList)


async def test_search_lists_symbols_then_text_and_jumps(index: CodeIndex) -> None:
    app = SearchApp(index)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        assert app.focused is screen.query_one(Input)
        results = await type_and_wait(pilot, screen, "parse_config")
        assert results.option_count >= 3
        assert screen.locations[0] == Location("app/config.py", 2)  # the symbol comes first
        assert {loc.path for loc in screen.locations} == {"app/config.py", "web/client.js"}
        await pilot.press("down")
        second = screen.locations[results.highlighted or 0]
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [second]


async def test_search_qualified_symbol_and_escape(index: CodeIndex) -> None:
    app = SearchApp(index)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await type_and_wait(pilot, screen, "ConfigLoader.parse_config")
        assert screen.locations[0] == Location("app/config.py", 2)
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_search_with_no_match_shows_nothing(index: CodeIndex) -> None:
    app = SearchApp(index)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        results = await type_and_wait(pilot, screen, "zebra")
        assert results.option_count == 0
        await pilot.press("enter")  # nothing to jump to: stays open
        await pilot.pause()
        assert app.screen is screen
    assert app.results == []


class OutlineApp(App[None]):
    def __init__(self, index: CodeIndex | None) -> None:
        super().__init__()
        self.index = index
        self.chosen: list[Location] = []

    def compose(self) -> ComposeResult:
        yield Outline(self.index)

    def on_outline_symbol_chosen(self, message: Outline.SymbolChosen) -> None:
        self.chosen.append(message.location)


async def test_outline_shows_nesting_and_posts_the_chosen_symbol(index: CodeIndex) -> None:
    app = OutlineApp(index)
    async with app.run_test(size=(60, 20)) as pilot:
        outline = app.query_one(Outline)
        outline.show_path(index.root / "app/config.py")  # absolute paths work too
        await outline.workers.wait_for_complete()
        await pilot.pause()
        labels = [str(outline.get_option_at_index(i).prompt) for i in range(outline.option_count)]
        assert labels == ["C ConfigLoader  1", "  m parse_config  2", "ƒ load_settings  5"]
        outline.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.chosen == [Location("app/config.py", 2)]


async def test_outline_without_symbols_or_index(index: CodeIndex) -> None:
    app = OutlineApp(None)
    async with app.run_test(size=(60, 20)):
        outline = app.query_one(Outline)
        await outline.load("app/config.py")
        assert str(outline.get_option_at_index(0).prompt) == "(no code index)"
    app = OutlineApp(index)
    async with app.run_test(size=(60, 20)):
        outline = app.query_one(Outline)
        await outline.load("README.md")
        assert str(outline.get_option_at_index(0).prompt) == "no symbols in README.md"

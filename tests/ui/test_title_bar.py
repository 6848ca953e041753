"""The workbench's top line (one widget in place of Textual's four-widget Header): the icon, the
title and sub-title centred, following changes; the icon opens the command palette, a click
elsewhere toggles the three-line bar."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.command import CommandPalette

from rigtui.ui.title_bar import ICON_WIDTH, TitleBar


class Bar(App[None]):
    TITLE = "rigtui"

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="◆")


def line(bar: TitleBar, y: int = 0) -> str:
    return bar.render_line(y).text


async def test_the_icon_and_the_title_centred_between_it_and_the_clock_space() -> None:
    app = Bar()
    async with app.run_test(size=(60, 10)) as pilot:
        app.sub_title = "demo"
        await pilot.pause()
        text = line(app.query_one(TitleBar))
        assert len(text) == 60
        assert text.startswith(" ◆ " + " " * 5)
        title = "rigtui — demo"
        # centred in the 42 cells between the icon's 8 and the clock's 10, as Header does
        assert text.index(title) == ICON_WIDTH + (60 - ICON_WIDTH - 10 - len(title)) // 2
        assert text.endswith(" " * 10)


async def test_the_title_follows_the_app_and_the_screen_and_is_cut_with_an_ellipsis() -> None:
    app = Bar()
    async with app.run_test(size=(40, 10)) as pilot:
        bar = app.query_one(TitleBar)
        app.sub_title = "project · zoomed: z returns"
        await pilot.pause()
        assert "rigtui — project · zo…" in line(bar)  # 22 cells between icon and clock
        app.screen.title = "Screen"
        app.screen.sub_title = ""
        await pilot.pause()
        assert line(bar).strip() == "◆" + " " * 14 + "Screen"


async def test_the_icon_opens_the_palette_and_a_click_elsewhere_toggles_a_tall_bar() -> None:
    app = Bar()
    async with app.run_test(size=(60, 10)) as pilot:
        bar = app.query_one(TitleBar)
        await pilot.click(TitleBar, offset=(30, 0))
        await pilot.pause()
        assert bar.tall and bar.size.height == 3
        assert "rigtui" in line(bar, 0) and line(bar, 1).strip() == "◆"  # as Header has them
        await pilot.click(TitleBar, offset=(30, 1))
        await pilot.pause()
        assert not bar.tall and bar.size.height == 1
        await pilot.hover(TitleBar, offset=(2, 0))
        assert bar.tooltip == "Open the command palette"
        await pilot.hover(TitleBar, offset=(30, 0))
        assert bar.tooltip is None
        await pilot.click(TitleBar, offset=(2, 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)

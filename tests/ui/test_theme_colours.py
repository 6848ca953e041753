"""Diffs and code blocks take the theme's colours: the light theme shows light code blocks and
light diff backgrounds, not the dark ones, and a theme file may set its own."""

from __future__ import annotations

from pathlib import Path

from rich.style import Style
from textual.app import App, ComposeResult
from textual.theme import Theme

from rigtui.edits.palette import DARK, LIGHT
from rigtui.ui.diff_review import HunkView
from rigtui.ui.themes import follow_theme, palette_for, register_themes
from rigtui.ui.thread_pane import Reply
from tests.support.pilot import settle_until
from tests.ui.test_widths import open_review

MONOKAI_BG = Style.parse("on #272822").bgcolor


def backgrounds(widget: object) -> set[str]:
    found = set()
    for y in range(widget.size.height):  # type: ignore[attr-defined]
        for segment in widget.render_line(y):  # type: ignore[attr-defined]
            if segment.style and segment.style.bgcolor:
                found.add(segment.style.bgcolor.name)
    return found


class ReplyApp(App[None]):
    def __init__(self, theme: str) -> None:
        super().__init__()
        register_themes(self)
        self.theme = theme

    def compose(self) -> ComposeResult:
        yield Reply("Try:\n\n```python\nprint('hi')\n```\n")

    def on_mount(self) -> None:
        follow_theme(self)


def test_palettes_follow_dark_and_theme_variables() -> None:
    assert palette_for(Theme("d", primary="#fff", dark=True)) == DARK
    assert palette_for(Theme("l", primary="#000", dark=False)) == LIGHT
    own = Theme(
        "o", primary="#000", dark=False,
        variables={"diff-added-background": "#ccffcc", "code-theme": "friendly"},
    )  # fmt: skip
    palette = palette_for(own)
    assert palette.added_bg == "on #ccffcc" and palette.syntax == "friendly"
    assert palette.removed_bg == LIGHT.removed_bg


async def test_a_code_block_in_a_reply_follows_the_theme() -> None:
    app = ReplyApp("rigtui-light")
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        reply = app.query_one(Reply)
        assert MONOKAI_BG.name not in backgrounds(reply)  # no dark block on the light theme
        app.theme = "rigtui-dark"
        await settle_until(pilot, lambda: MONOKAI_BG.name in backgrounds(reply))


async def test_the_review_uses_the_light_themes_diff_colours(make_app, demo_project: Path) -> None:
    app = make_app(theme="rigtui-light")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        review = await open_review(app, pilot, demo_project)
        hunk = review.query_one(HunkView)
        light = Style.parse(LIGHT.added_bg).bgcolor.name  # type: ignore[union-attr]
        dark = Style.parse(DARK.added_bg).bgcolor.name  # type: ignore[union-attr]
        assert light in backgrounds(hunk) and dark not in backgrounds(hunk)
        app.theme = "rigtui-dark"
        await settle_until(pilot, lambda: dark in backgrounds(review.query_one(HunkView)))

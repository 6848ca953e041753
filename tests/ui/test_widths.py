"""The workbench at 80x24, 120x40 and 200x50: zoom (z), the review taking the whole width by
itself under 140 columns, side by side only where each side gets 60 columns (else unified,
saying why), and long lines scrolling sideways instead of wrapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import ContentSwitcher, Input

from rigtui.ui.app import RigtuiApp
from rigtui.ui.diff_review import SIDE_MIN, DiffReview, HunkView
from tests.support.pilot import settle_until

SIZES = [(80, 24), (120, 40), (200, 50)]
LONG = "x" * 150
PATCH = f"""*** Begin Patch
*** Update File: src/demo/parser.py
@@ class ConfigParser:
     def parse_line(self, line: str) -> tuple[str, str]:
-        key, _, value = line.partition(self.separator)
+        key, _, value = line.expandtabs().partition(self.separator)  # {LONG}
*** End Patch
"""


def shown(app: RigtuiApp) -> list[str]:
    return [name for name in ("left", "thread", "right") if app.query_one(f"#{name}").display]


async def open_review(app: RigtuiApp, pilot, demo_project: Path) -> DiffReview:
    (demo_project / "wide.patch").write_text(PATCH)
    await app.opened_session()
    app.action_review_patch_file()
    await pilot.pause()
    await pilot.press(*"wide.patch", "enter")
    await settle_until(pilot, lambda: bool(app.query(HunkView)))
    await pilot.pause()
    return app.query_one(DiffReview)


@pytest.mark.parametrize("size", SIZES)
async def test_z_zooms_the_focused_pane_and_back(make_app, size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.opened_session()
        for key, pane in (("ctrl+e", "left"), ("ctrl+g", "right")):
            await pilot.press(key)
            before = shown(app)
            await pilot.press("z")
            await pilot.pause()
            assert shown(app) == [pane]
            assert app.query_one(f"#{pane}").outer_size.width == size[0]
            assert "z returns" in app.sub_title
            await pilot.press("z")
            await pilot.pause()
            assert shown(app) == before
        # In the message box z is a letter, not zoom.
        await pilot.press("ctrl+t", "z")
        assert app.query_one("#message", Input).value == "z"
        assert not app.zoomed


@pytest.mark.parametrize("size", SIZES)
async def test_a_review_takes_the_whole_width_under_140_columns(
    make_app, demo_project: Path, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        before = shown(app)
        await open_review(app, pilot, demo_project)
        if size[0] < 140:
            assert shown(app) == ["right"] and app.auto_zoomed
            assert app.query_one("#right").outer_size.width == size[0]
        else:
            assert shown(app) == before and not app.zoomed
        await pilot.press("escape")  # the review closes: the panes come back
        await settle_until(pilot, lambda: not app.query(DiffReview))
        assert shown(app) == before and not app.zoomed
        assert app.query_one("#right", ContentSwitcher).current == "diff-empty"


async def test_z_gives_an_automatic_review_zoom_back_and_keeps_the_review(
    make_app, demo_project: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        review = await open_review(app, pilot, demo_project)
        assert app.auto_zoomed
        await pilot.press("z")
        await pilot.pause()
        assert set(shown(app)) >= {"thread", "right"}
        assert app.query_one("#right", ContentSwitcher).current == "review"
        assert review.is_mounted
        await pilot.resize_terminal(110, 40)  # a resize keeps the user's choice
        await pilot.pause()
        assert not app.zoomed
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert not app.zoomed


@pytest.mark.parametrize("size", SIZES)
async def test_side_by_side_only_where_each_side_gets_60_columns(
    make_app, demo_project: Path, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        review = await open_review(app, pilot, demo_project)
        await pilot.press("t")
        await pilot.pause()
        status = str(review.query_one("#review-status").render())
        if review.size.width >= 2 * SIDE_MIN + 19:
            assert review.shown_mode == "split"
            assert "[split]" in status
        else:  # too narrow: unified, and the status bar says why
            assert review.shown_mode == "unified"
            assert f"side by side needs {review.split_width()} columns" in status
        if size[0] >= 140:  # a wide terminal: zoom gives the review room for both sides
            await pilot.press("z")
            await settle_until(pilot, lambda: review.shown_mode == "split")


@pytest.mark.parametrize("size", SIZES)
async def test_long_lines_scroll_sideways_instead_of_wrapping(
    make_app, demo_project: Path, size: tuple[int, int]
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        review = await open_review(app, pilot, demo_project)
        hunk = review.query_one(HunkView)
        pane = review.query_one("#review-hunks")
        assert hunk.size.height == 3  # three diff lines: nothing wrapped
        assert hunk.size.width > pane.size.width > 0
        assert pane.max_scroll_x > 0
        await pilot.press("right", "right")
        await pilot.pause()
        assert pane.scroll_x == 16
        await pilot.press("left")
        await pilot.pause()
        assert pane.scroll_x == 8


@pytest.mark.parametrize("size", SIZES)
async def test_the_code_view_scrolls_long_lines_and_zooms(
    make_app, demo_project: Path, size: tuple[int, int]
) -> None:
    from rigtui.ui.code_view import CodeView

    (demo_project / "long.py").write_text(f"short = 1\nlong = '{LONG * 2}'\n")
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await app.opened_session()
        app.open_file(demo_project / "long.py")
        await pilot.pause()
        code = app.query_one(CodeView)
        code.focus()
        await pilot.press("z")  # a read-only view takes no letters: z zooms it
        await pilot.pause()
        assert shown(app) == ["right"] and code.outer_size.width == size[0] - 2
        assert code.wrapped_document.height == code.document.line_count  # nothing wrapped
        assert code.max_scroll_x > 0
        await pilot.press("down", "end")  # the long line's end: the view follows sideways
        await pilot.pause()
        assert code.scroll_x > 0
        await pilot.press("z")
        await pilot.pause()
        assert "thread" in shown(app)


async def test_going_to_a_pane_the_zoom_hides_gives_the_width_back(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.opened_session()
        await pilot.press("ctrl+g", "z")
        await pilot.pause()
        assert shown(app) == ["right"]
        await pilot.press("ctrl+g")  # the zoomed pane itself: stays zoomed
        assert app.zoomed == "right"
        await pilot.press("ctrl+e")  # the tree, hidden by the zoom: as tmux, unzoom
        await pilot.pause()
        assert not app.zoomed and app.query_one("#tree").has_focus
        await pilot.press("z", "ctrl+p")  # a dialog open: z is not for the panes behind it
        await pilot.pause()
        await pilot.press("z")
        assert app.zoomed == "left"


async def test_a_resize_fits_an_open_review_to_the_new_width(make_app, demo_project: Path) -> None:
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        await open_review(app, pilot, demo_project)
        assert not app.zoomed
        await pilot.resize_terminal(120, 40)  # the tmux pane was split
        await pilot.pause()
        assert app.auto_zoomed and shown(app) == ["right"]
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert not app.zoomed and "thread" in shown(app)

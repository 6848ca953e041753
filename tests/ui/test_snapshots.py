"""Snapshots of the main screen at a roomy size and at 80x24 (pytest-textual-snapshot).
Update deliberately with `pytest tests/ui/test_snapshots.py --snapshot-update`."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from rigtui.sandbox import local
from rigtui.ui.message_box import MessageInput
from tests.support.pilot import settle_until


@pytest.fixture(autouse=True)
def same_sandbox_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """The status bar names the sandbox; pin it so the picture is the same on every machine
    (whether bubblewrap works there or not)."""
    monkeypatch.setattr(local, "bwrap_status", lambda: (False, "pinned for snapshots"))


async def _settle(pilot: Pilot[object]) -> None:
    app = pilot.app
    # The message box's cursor blinks from the moment it has the focus: a steady one, so the
    # picture does not depend on how long the start took.
    app.query_one(MessageInput).cursor_blink = False
    await (await app.opened_session()).runtime.index_ready.wait()  # type: ignore[attr-defined]
    status = app.status.facts  # type: ignore[attr-defined]
    # the index's news and the sandbox's name shown (events reach the bar after the fact)
    await settle_until(
        pilot, lambda: status.index.endswith("up to date") and status.sandbox != "none"
    )
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def test_main_screen_120x40(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=_settle)


def test_main_screen_80x24(snap_compare, make_app) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_settle)


def test_main_screen_light_theme_with_tree_at_80x24(snap_compare, make_app) -> None:
    async def show_tree(pilot: Pilot[object]) -> None:
        await _settle(pilot)
        await pilot.press("ctrl+b")
        await _settle(pilot)

    assert snap_compare(
        make_app(theme="rigtui-light"), terminal_size=(80, 24), run_before=show_tree
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
def test_review_in_the_workbench_at_each_width(snap_compare, make_app, demo_project, size) -> None:
    """Under 140 columns the review takes the whole width by itself; at 200 it keeps its
    pane. Its long line is cut at the edge (it scrolls sideways), never wrapped."""
    from rigtui.ui.diff_review import HunkView
    from tests.ui.test_widths import PATCH

    (demo_project / "wide.patch").write_text(PATCH)  # before the index reads the project

    async def review(pilot: Pilot[object]) -> None:
        await _settle(pilot)
        app = pilot.app
        app.action_review_patch_file()  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press(*"wide.patch", "enter")
        await settle_until(pilot, lambda: bool(app.query(HunkView)))
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=review)

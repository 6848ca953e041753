"""The task board in the workbench: f6 shows it, n starts an isolated task, its row goes live
(queued, running, needs review) while the project stays untouched, the user is told (a notice
and the bell), and Enter opens its review; accepting applies it and the row says applied."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from rigtui import protocol as ev
from rigtui.protocol import PatchApplied, PatchProposed
from rigtui.ui.diff_review import DiffReview
from rigtui.ui.task_board import TaskBoard
from tests.support.fake_openai import Call, FakeOpenAI, Say
from tests.support.recorder import recorder
from tests.ui.test_app_model import PATCH


def is_state(state: str):  # noqa: ANN201
    return lambda e: e.state == state


async def test_the_board_runs_a_task_isolated_and_enter_reviews_it(
    make_app, demo_project: Path
) -> None:
    script = [Say(calls=[Call("apply_patch", {"patch": PATCH})]), Say("sorted it")]
    before = (demo_project / "src/demo/cli.py").read_bytes()
    with FakeOpenAI(script) as server:
        app = make_app()
        profile = app.settings.model.profiles["default"]
        profile.base_url, profile.model, profile.timeout = server.base_url, "fake", 10.0
        app.settings.index.enabled = False
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await app.opened_session()
            await pilot.press("f6")
            await pilot.pause()
            assert isinstance(app.screen, TaskBoard)
            assert "none yet" in str(app.screen.query_one("#board-title").render())
            ready = recorder(app).next(ev.IsolatedTaskChanged, is_state("needs review"))
            await pilot.press("n")
            await pilot.press(*"sort the cli output", "enter")
            changed = await ready
            await pilot.pause()
            assert (demo_project / "src/demo/cli.py").read_bytes() == before  # untouched
            assert bells == [1]  # told without looking
            board = app.screen
            assert isinstance(board, TaskBoard)
            await board.reload()
            table = board.query_one(DataTable)
            row = table.get_row(changed.task_id)
            assert row[1] == "needs review" and row[6] == "1"
            proposed = recorder(app).next(PatchProposed, lambda e: e.origin == "task")
            await pilot.press("enter")
            await proposed
            await pilot.pause()
            assert not isinstance(app.screen, TaskBoard)
            applied = recorder(app).next(PatchApplied)
            done = recorder(app).next(ev.IsolatedTaskChanged, is_state("applied"))
            app.query_one(DiffReview).focus()
            await pilot.press("y", "enter")
            await applied
            await done
            assert (demo_project / "src/demo/cli.py").read_bytes() != before
            await pilot.press("f6")
            await pilot.pause()
            assert isinstance(app.screen, TaskBoard)
            assert app.screen.query_one(DataTable).get_row(changed.task_id)[1] == "applied"


async def test_the_board_is_in_the_palette_and_fits_80x24(make_app) -> None:
    from rigtui.ui import keymap

    titles = [title for title, _, _ in keymap.commands()]
    assert "Task board" in titles and "New isolated task" in titles
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.opened_session()
        await pilot.press("f6")
        await pilot.pause()
        board = app.screen
        assert isinstance(board, TaskBoard)
        hint = str(board.query_one("#board-hint").render())
        assert "Enter: review" in hint and board.query_one("#board-hint").region.bottom <= 24
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TaskBoard)

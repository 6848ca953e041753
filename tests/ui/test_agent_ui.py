"""Pilot tests of the agent's widgets: the live plan checklist and command approval."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from rigtui import protocol as ev
from rigtui.protocol import CommandApprovalRequested
from rigtui.ui.approval import CommandApprovalScreen
from rigtui.ui.plan_view import PlanView

STEPS = [
    {"step": "read the parser", "status": "completed"},
    {"step": "fix tabs", "status": "in_progress"},
    {"step": "run tests", "status": "pending"},
]


class PlanApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PlanView(id="plan")


async def test_plan_view_shows_live_steps_and_the_outcome() -> None:
    app = PlanApp()
    async with app.run_test() as pilot:
        view = app.query_one(PlanView)
        assert view.has_class("-empty") and not view.display
        view.show_plan(ev.PlanUpdated(thread_id="t", task_id="k1", steps=STEPS))
        await pilot.pause()
        assert view.display
        text = str(view.render())
        assert "Plan 1/3" in text and "✓ read the parser" in text and "▸ fix tabs" in text
        view.finish(ev.TaskEnded(thread_id="t", task_id="k1", outcome="done"))
        assert "· done" in str(view.render())
        view.restore([ev.TaskStarted(thread_id="t", task_id="k2", goal="new")])
        await pilot.pause()
        assert not view.display  # a new task without a plan yet shows nothing


class ApprovalApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[tuple[bool, str]] = []

    def ask(self, *, needs_person: bool = False) -> None:
        request = CommandApprovalRequested(
            thread_id="t", request_id="r1", command="pytest -q", cwd=".", reason="verify",
            needs_person=needs_person,
        )  # fmt: skip
        self.push_screen(CommandApprovalScreen(request), self.answers.append)


async def test_command_approval_round_trips() -> None:
    app = ApprovalApp()
    async with app.run_test() as pilot:
        app.ask()
        await pilot.pause()
        assert isinstance(app.screen, CommandApprovalScreen)
        assert "pytest -q" in str(app.screen.query_one("#command").render())
        await pilot.press("y")
        app.ask()
        await pilot.pause()
        await pilot.press("escape")
        app.ask()
        await pilot.pause()
        await pilot.click("#comment")
        await pilot.press(*"use make test", "enter")
        await pilot.pause()
        assert app.answers == [(True, ""), (False, ""), (False, "use make test")]


async def test_a_command_that_needs_a_person_says_so_and_y_still_approves_it() -> None:
    app = ApprovalApp()
    async with app.run_test() as pilot:
        app.ask()
        await pilot.pause()
        assert not app.screen.query("#needs-person")  # an ordinary request has no such line
        await pilot.press("n")
        app.ask(needs_person=True)
        await pilot.pause()
        line = str(app.screen.query_one("#needs-person", Static).render())
        assert "needs a person" in line and "only you" in line
        await pilot.press("y")
        await pilot.pause()
        assert app.answers == [(False, ""), (True, "")]

"""The checks panel under Pilot, in a small app that records what the panel posts."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Log, OptionList

from rigtui.checks.parsers import parse_locations
from rigtui.checks.spec import Check
from rigtui.protocol import CheckFinished, CheckOutput, CheckQueued, CheckStarted
from rigtui.ui.checks_panel import ChecksPanel

SAMPLE = (Path(__file__).parents[1] / "unit" / "checks" / "samples" / "pytest_long.txt").read_text()
CHECKS = [Check("tests", "pytest -x -q"), Check("lint", "ruff check .", confirmed=False)]


class PanelApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.posted: list[object] = []

    def compose(self) -> ComposeResult:
        yield ChecksPanel(CHECKS, id="checks")

    def on_checks_panel_jump_to(self, message: ChecksPanel.JumpTo) -> None:
        self.posted.append(("jump", message.path, message.line))

    def on_checks_panel_send_to_model(self, message: ChecksPanel.SendToModel) -> None:
        self.posted.append(("send", message.check, message.text))

    def on_checks_panel_rerun_requested(self, message: ChecksPanel.RerunRequested) -> None:
        self.posted.append(("rerun", message.check))


def run_events(run_id: str, state: str, output: str, check: str = "tests") -> list:
    command = "pytest -x -q"
    locations = (
        [loc.to_dict() for loc in parse_locations(output, command)] if state == "failed" else []
    )
    return [
        CheckQueued(run_id=run_id, check=check, command=command, paths=["test_calc.py"]),
        CheckStarted(run_id=run_id, check=check, command=command, sandbox="local"),
        CheckOutput(run_id=run_id, check=check, stream="stdout", text=output[:40]),
        CheckOutput(run_id=run_id, check=check, stream="stdout", text=output[40:]),
        CheckFinished(
            run_id=run_id, check=check, command=command, state=state, duration=1.25,
            exit_code=1 if state == "failed" else 0, output=output, locations=locations,
        ),
    ]  # fmt: skip


def row(app: PanelApp, index: int) -> str:
    return str(app.query_one("#check-list", OptionList).get_option_at_index(index).prompt)


async def test_states_durations_and_streamed_output_render():
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(ChecksPanel)
        assert "idle" in row(app, 0) and "(suggested)" in row(app, 1)
        queued, started, *outputs, finished = run_events("r1", "failed", SAMPLE)
        panel.apply(queued)
        await pilot.pause()
        assert "queued" in row(app, 0)
        panel.apply(started)
        await pilot.pause()
        assert "running" in row(app, 0)
        for event in outputs:
            panel.apply(event)
        await pilot.pause()
        log = app.query_one("#check-output", Log)
        assert any("test_calc.py:9: AssertionError" in line for line in log.lines)
        panel.apply(finished)
        await pilot.pause()
        assert "failed" in row(app, 0) and "1.2s" in row(app, 0) and "1 location" in row(app, 0)
        locations = app.query_one("#check-locations", OptionList)
        assert locations.display and locations.option_count == 1
        assert "test_calc.py:9" in str(locations.get_option_at_index(0).prompt)


async def test_enter_on_a_location_jumps_and_m_sends_the_failure_to_the_model():
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(ChecksPanel)
        for event in run_events("r1", "failed", SAMPLE):
            panel.apply(event)
        await pilot.pause()
        app.query_one("#check-locations", OptionList).focus()
        await pilot.press("enter")
        await pilot.press("m")
        await pilot.press("r")
        await pilot.pause()
        assert app.posted[0] == ("jump", "test_calc.py", 9)
        kind, check, text = app.posted[1]
        assert (kind, check) == ("send", "tests")
        assert "test_calc.py:9" in text and "assert 3 == 4" in text
        assert app.posted[2] == ("rerun", "tests")


async def test_nothing_is_sent_for_a_passing_check_and_stale_runs_are_ignored():
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(ChecksPanel)
        for event in run_events("r1", "passed", "1 passed in 0.1s\n"):
            panel.apply(event)
        newer = CheckQueued(run_id="r2", check="tests", command="pytest -x -q")
        panel.apply(newer)
        stale = CheckFinished(run_id="r1", check="tests", command="x", state="failed", duration=1)
        panel.apply(stale)
        await pilot.pause()
        assert "queued" in row(app, 0)  # the newer run, not the stale failure
        app.query_one("#check-list", OptionList).focus()
        await pilot.press("m")
        await pilot.pause()
        assert not any(p[0] == "send" for p in app.posted)


async def test_selecting_another_check_shows_its_output():
    app = PanelApp()
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(ChecksPanel)
        for event in run_events("r1", "passed", "tests output here\n"):
            panel.apply(event)
        for event in run_events("r2", "failed", "mod.py:1:8: F401 unused\n", check="lint"):
            panel.apply(event)
        await pilot.pause()
        log = app.query_one("#check-output", Log)
        assert any("tests output here" in line for line in log.lines)
        app.query_one("#check-list", OptionList).focus()
        await pilot.press("down")
        await pilot.pause()
        assert panel.selected == "lint"
        assert any("F401" in line for line in log.lines)
        assert not any("tests output here" in line for line in log.lines)

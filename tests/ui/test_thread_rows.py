"""The thread list and the thread search say when each thread was last active and the states
of its tasks."""

from __future__ import annotations

import time

import pytest
from rich.console import Console
from textual.widgets import OptionList

from rigtui import protocol as ev
from rigtui.session import Thread
from rigtui.ui.modals import ChooseScreen
from rigtui.ui.thread_pane import ThreadList
from rigtui.ui.thread_rows import age, task_facts, thread_label, thread_row
from tests.support.fake_openai import Fail, FakeOpenAI, Say
from tests.support.pilot import settle_until
from tests.support.recorder import recorder

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(5, "now"), (59, "now"), (60, "1m"), (3599, "59m"), (3600, "1h"), (86399, "23h"),
     (86400, "1d"), (6 * 86400, "6d")],
)  # fmt: skip
def test_age_in_few_columns(seconds: float, shown: str) -> None:
    assert age(NOW - seconds, NOW) == shown
    assert age(NOW + 30, NOW) == "now"  # a clock that went back
    assert age(NOW - 30 * 86400, NOW) == time.strftime(
        "%b %d", time.localtime(NOW - 30 * 86400)
    ).replace(" 0", " ")


def test_task_facts() -> None:
    states = {"done": 2, "failed": 1, "cancelled": 1, "running": 2, "needs-review": 1}
    assert task_facts(states, running=True).plain == (
        "✓2 ✗1 stopped 1 interrupted 1 needs-review 1 "
    )
    assert task_facts({"running": 1}, running=False).plain == "interrupted 1 "
    assert task_facts({}, running=False).plain == ""


def test_a_row_keeps_its_facts_and_cuts_a_long_title_at_80_columns() -> None:
    thread = Thread("t", "p", "a very long title " * 8, NOW - 7200, NOW - 300)
    console = Console(width=40, record=True, color_system=None)
    console.print(thread_row(thread, {"done": 3, "failed": 1}, running=False, now=NOW))
    line = console.export_text().rstrip("\n")
    assert "\n" not in line and line.endswith("✓3 ✗1 5m") and "…" in line
    assert str(thread_row(thread, {}, running=True, now=NOW)).startswith("● a very long")
    assert thread_label(thread, {"done": 3}, False, NOW) == f"{thread.title}  · ✓3 5m"


def list_text(thread_list: ThreadList) -> list[str]:
    return [
        "".join(segment.text for segment in thread_list.render_line(y)).strip()
        for y in range(thread_list.option_count)
    ]


async def test_the_list_and_the_search_show_last_activity_and_task_states(
    make_app, demo_project
) -> None:
    script = [Say("All done."), Fail(400, "scripted failure")]
    with FakeOpenAI(script) as server:
        app = make_app()
        profile = app.settings.model.profiles["default"]
        profile.base_url, profile.model, profile.max_retries = server.base_url, "fake", 0
        app.settings.index.enabled = False
        async with app.run_test(size=(80, 24)) as pilot:
            await app.opened_session()
            for text in ("first", "second"):
                ended = recorder(app).next(ev.TaskEnded)
                await pilot.press(*text, "enter")
                await ended
            thread_list = app.query_one(ThreadList)
            await settle_until(pilot, lambda: "✓1 ✗1" in " ".join(list_text(thread_list)))
            await pilot.press("ctrl+l")
            await pilot.pause()
            row = list_text(thread_list)[0]
            assert row.startswith("Thread 1") and row.endswith("✓1 ✗1 now")
            app.action_search_threads()
            await pilot.pause()
            await pilot.press(*"second", "enter")
            await settle_until(pilot, lambda: isinstance(app.screen, ChooseScreen))
            options = app.screen.query_one(OptionList)
            assert str(options.get_option_at_index(0).prompt) == "Thread 1  · ✓1 ✗1 now"

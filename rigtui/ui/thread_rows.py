"""How a thread is listed (the thread list, the thread search): its title, when it was last
active and the states of its tasks, e.g. `● Fix the parser    ✓2 ✗1 5m`. The title gives
way (cut with …) before the facts do, so they stay readable at 80 columns."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from rigtui.display import safe_line

if TYPE_CHECKING:
    from rigtui.session import Thread

# Task statuses as shown, in this order; "running" in the store but not in the session: the
# process that ran it ended (a crash, a quit) before the task did.
STATES = (("done", "✓", "green"), ("failed", "✗", "red"), ("cancelled", "stopped ", "dim"))


def age(then: float, now: float | None = None) -> str:
    """`now`, `5m`, `3h`, `2d`, then a date: how long ago, in as few columns as it takes."""
    seconds = max(0.0, (time.time() if now is None else now) - then)
    if seconds < 60:
        return "now"
    for unit, size in (("m", 60), ("h", 3600), ("d", 86400)):
        if seconds < size * {"m": 60, "h": 24, "d": 7}[unit]:
            return f"{int(seconds // size)}{unit}"
    return time.strftime("%b %d", time.localtime(then)).replace(" 0", " ")


def task_facts(states: dict[str, int], running: bool) -> Text:
    """`✓2 ✗1 stopped 1 interrupted 1`: each task state with its count (a running one is
    the title's `●`)."""
    out = Text()
    for status, mark, style in STATES:
        if count := states.get(status, 0):
            out.append(f"{mark}{count} ", style=style)
    interrupted = states.get("running", 0) - (1 if running else 0)
    if interrupted > 0:
        out.append(f"interrupted {interrupted} ", style="yellow")
    others = sorted(set(states) - {s for s, _, _ in STATES} - {"running"})
    for status in others:  # a state added later (e.g. needs review) still shows
        out.append(f"{safe_line(status)} {states[status]} ", style="yellow")
    return out


def facts(thread: Thread, states: dict[str, int], running: bool, now: float | None) -> Text:
    out = task_facts(states, running)
    out.append(age(thread.updated_at, now), style="dim")
    return out


class ThreadRow:
    """A thread's row: title (as text, never markup) on the left, its facts on the right.
    As a string it is its title, as the list showed it before it had facts."""

    def __init__(self, title: Text, facts: Text) -> None:
        self.title, self.facts = title, facts

    def __str__(self) -> str:
        return self.title.plain

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        row = Table.grid(expand=True, padding=(0, 1))
        row.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        row.add_column(justify="right", no_wrap=True)
        row.add_row(self.title, self.facts)
        yield row


def thread_row(
    thread: Thread, states: dict[str, int], running: bool, now: float | None = None
) -> ThreadRow:
    title = Text(("● " if running else "") + safe_line(thread.title))
    return ThreadRow(title, facts(thread, states, running, now))


def thread_label(
    thread: Thread, states: dict[str, int], running: bool, now: float | None = None
) -> str:
    """The same on one line of plain text (a chooser's entry)."""
    return f"{safe_line(thread.title)}  · {facts(thread, states, running, now).plain.strip()}"

"""A live checklist of the running task's plan (from `PlanUpdated` events).

Wiring (app): mount one `PlanView` above the thread's messages; on `PlanUpdated` for the
current thread call `plan_view.show_plan(event)`; on `TaskEnded` call `plan_view.finish(event)`;
when switching threads call `plan_view.restore(history)` with the thread's stored events.
It hides itself while there is no plan."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from rigtui import protocol as ev

MARKS = {"completed": ("✓", "green"), "in_progress": ("▸", "bold yellow"), "pending": ("○", "dim")}


def render_plan(steps: list[dict[str, str]], explanation: str = "", outcome: str = "") -> Text:
    done = sum(s.get("status") == "completed" for s in steps)
    head = f"Plan {done}/{len(steps)}" + (f" · {outcome}" if outcome else "")
    text = Text(head, style="bold")
    if explanation:
        text.append(f"\n{explanation}", style="italic dim")
    for step in steps:
        mark, style = MARKS.get(step.get("status", ""), ("?", ""))
        text.append(f"\n {mark} ", style=style)
        text.append(
            step.get("step", ""), style="dim strike" if step.get("status") == "completed" else ""
        )
    return text


class PlanView(Static):
    DEFAULT_CSS = """
    PlanView { height: auto; max-height: 12; padding: 0 1; border-left: thick $accent; }
    PlanView.-empty { display: none; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.add_class("-empty")
        self.steps: list[dict[str, str]] = []
        self.task_id = ""

    def show_plan(self, event: ev.PlanUpdated) -> None:
        self.steps, self.task_id = list(event.steps), event.task_id
        self.update(render_plan(self.steps, event.explanation))
        self.remove_class("-empty")

    def finish(self, event: ev.TaskEnded) -> None:
        if event.task_id == self.task_id and self.steps:
            self.update(render_plan(self.steps, outcome=event.outcome))

    def clear_plan(self) -> None:
        self.steps, self.task_id = [], ""
        self.update("")
        self.add_class("-empty")

    def restore(self, history: list[ev.Event]) -> None:
        """Show the latest task's plan from a stored log (after a switch or a restart)."""
        self.clear_plan()
        for event in history:
            if isinstance(event, ev.TaskStarted):
                self.clear_plan()
            elif isinstance(event, ev.PlanUpdated):
                self.show_plan(event)
            elif isinstance(event, ev.TaskEnded):
                self.finish(event)

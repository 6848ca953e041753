"""The checks panel: each check's state (queued, running, passed, failed, cancelled) with its
duration, the selected check's streamed output, and its failure locations.

Feeding it: give it the checks (`ChecksPanel(checks)` or `set_checks`) and pass every check
event to `apply(event)` on the app's loop, e.g. from an async worker:

    async for event in runner.subscribe():
        panel.apply(event)

It posts, for the app to act on:
    ChecksPanel.JumpTo(path, line, col)      enter on a location: open it in the code view
    ChecksPanel.SendToModel(text, ...)       m: post the trimmed failure to the thread
    ChecksPanel.RerunRequested(check)        r: run the selected check now (runner.run_now)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from rigtui import protocol as ev

if TYPE_CHECKING:
    from textual.widgets import Log

    from rigtui.checks.parsers import Location
    from rigtui.checks.spec import Check

MAX_OUTPUT_CHARS = 200_000  # per check, in the panel; the tail is kept
STYLES = {
    "idle": ("·", "dim"),
    "queued": ("…", "yellow"),
    "running": ("▶", "cyan"),
    "passed": ("✓", "green"),
    "failed": ("✗", "bold red"),
    "cancelled": ("⊘", "dim"),
}


@dataclass
class CheckView:
    """What the panel knows about one check."""

    name: str
    command: str = ""
    suggested: bool = False
    state: str = "idle"
    run_id: str = ""
    duration: float | None = None
    change_set_id: str = ""
    output: list[str] = field(default_factory=list)
    finished: ev.CheckFinished | None = None

    @property
    def locations(self) -> list[Location]:
        if self.finished is None or self.finished.run_id != self.run_id:
            return []
        from rigtui.checks.parsers import Location  # with the first result, not at start

        return [Location.from_dict(d) for d in self.finished.locations]

    def row(self) -> Text:
        icon, style = STYLES.get(self.state, ("?", ""))
        text = Text.assemble((f"{icon} ", style), (f"{self.name:<14}", "bold"), (self.state, style))
        if self.duration is not None and self.state in ("passed", "failed", "cancelled"):
            text.append(f"  {self.duration:.1f}s", "dim")
        if self.finished and self.state == "failed" and self.locations:
            text.append(f"  {len(self.locations)} location(s)", "dim")
        if self.suggested:
            text.append("  (suggested)", "italic dim")
        if self.change_set_id:
            text.append(f"  after {self.change_set_id}", "dim")
        return text


class ChecksPanel(Vertical):
    DEFAULT_CSS = """
    ChecksPanel { height: 1fr; }
    ChecksPanel > #check-list { height: auto; max-height: 8; border: none; }
    ChecksPanel > #check-locations { height: auto; max-height: 8; border: none; }
    ChecksPanel > #check-locations.-empty { display: none; }
    ChecksPanel > #check-output { height: 1fr; border-top: solid $panel; }
    """
    BINDINGS = [
        Binding("m", "send_to_model", "Send to model"),
        Binding("r", "rerun", "Re-run"),
        Binding("j", "jump", "Jump", show=False),
    ]

    class JumpTo(Message):
        def __init__(self, path: str, line: int, col: int | None = None) -> None:
            super().__init__()
            self.path, self.line, self.col = path, line, col

    class SendToModel(Message):
        def __init__(self, text: str, check: str, run_id: str, change_set_id: str = "") -> None:
            super().__init__()
            self.text, self.check, self.run_id = text, check, run_id
            self.change_set_id = change_set_id

    class RerunRequested(Message):
        def __init__(self, check: str | None) -> None:
            super().__init__()
            self.check = check

    def __init__(
        self,
        checks: Sequence[Check] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.views: dict[str, CheckView] = {}
        self._initial = list(checks)

    def compose(self) -> ComposeResult:
        yield OptionList(id="check-list")
        yield OptionList(id="check-locations", classes="-empty")
        from textual.widgets import Log  # the panel mounts after the first frame; so does this

        yield Log(id="check-output", max_lines=5000, auto_scroll=True)

    def on_mount(self) -> None:
        self.border_title = "Checks"
        self.set_checks(self._initial)

    # --- feeding ----------------------------------------------------------------------------

    def set_checks(self, checks: Sequence[Check]) -> None:
        """The checks to show, in order (state of checks already known is kept)."""
        old = self.views
        self.views = {}
        for check in checks:
            view = old.get(check.name) or CheckView(check.name)
            view.command, view.suggested = check.command, not check.confirmed
            self.views[check.name] = view
        self._refresh_list()
        if not checks:
            self._log.clear()
            self._log.write_line("No checks configured. " 'Add [checks] tests = "pytest -x -q" to .rigtui.toml.')  # fmt: skip

    def apply(self, event: ev.Event) -> None:
        """Render one check event (other events are ignored)."""
        if not isinstance(
            event, ev.CheckQueued | ev.CheckStarted | ev.CheckOutput | ev.CheckFinished
        ):
            return
        view = self.views.get(event.check)
        if view is None:
            view = self.views[event.check] = CheckView(event.check)
        if isinstance(event, ev.CheckQueued):
            view.run_id, view.state, view.output = event.run_id, "queued", []
            view.command, view.change_set_id = event.command, event.change_set_id
            if view.name == self.selected:
                self._log.clear()
        elif event.run_id != view.run_id:
            return  # a stale run's late news: the newer run is what the panel shows
        elif isinstance(event, ev.CheckStarted):
            view.state = "running"
        elif isinstance(event, ev.CheckOutput):
            self._add_output(view, event.text)
            return
        else:
            self._finish(view, event)
        self._refresh_row(view)

    def _add_output(self, view: CheckView, text: str) -> None:
        from rigtui.checks.parsers import strip_ansi

        text = strip_ansi(text)
        view.output.append(text)
        if sum(len(t) for t in view.output) > MAX_OUTPUT_CHARS:
            view.output = ["".join(view.output)[-MAX_OUTPUT_CHARS // 2 :]]
        if view.name == self.selected:
            self._log.write(text)

    def _finish(self, view: CheckView, event: ev.CheckFinished) -> None:
        view.state, view.duration, view.finished = event.state, event.duration, event
        if not view.output and event.output:
            self._add_output(view, event.output)
        if view.name == self.selected:
            self._show_locations(view)

    # --- rendering --------------------------------------------------------------------------

    @property
    def _list(self) -> OptionList:
        return self.query_one("#check-list", OptionList)

    @property
    def _log(self) -> Log:
        from textual.widgets import Log

        return self.query_one("#check-output", Log)

    @property
    def _locations(self) -> OptionList:
        return self.query_one("#check-locations", OptionList)

    @property
    def selected(self) -> str | None:
        index = self._list.highlighted
        names = list(self.views)
        return names[index] if index is not None and index < len(names) else None

    def _refresh_list(self) -> None:
        highlighted = self._list.highlighted
        self._list.clear_options()
        self._list.add_options([Option(v.row(), id=name) for name, v in self.views.items()])
        if self.views:
            self._list.highlighted = min(highlighted or 0, len(self.views) - 1)
            self._show_selected()

    def _refresh_row(self, view: CheckView) -> None:
        try:
            self._list.replace_option_prompt(view.name, view.row())
        except OptionDoesNotExist:  # a check the list has not seen yet: rebuild it
            self._refresh_list()

    def _show_selected(self) -> None:
        view = self.views.get(self.selected or "")
        self._log.clear()
        if view is not None:
            self._log.write("".join(view.output))
            self._show_locations(view)

    def _show_locations(self, view: CheckView) -> None:
        locations = self._locations
        locations.clear_options()
        found = view.locations
        locations.add_options([Option(Text(str(loc)[:200])) for loc in found])
        locations.set_class(not found, "-empty")
        if found:
            locations.highlighted = 0

    @on(OptionList.OptionHighlighted, "#check-list")
    def _check_highlighted(self) -> None:
        self._show_selected()

    @on(OptionList.OptionSelected, "#check-locations")
    def _location_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._jump(event.option_index)

    @on(OptionList.OptionSelected, "#check-list")
    def _check_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._jump(0)

    # --- actions ----------------------------------------------------------------------------

    def _jump(self, index: int) -> None:
        view = self.views.get(self.selected or "")
        found = view.locations if view else []
        if 0 <= index < len(found):
            loc = found[index]
            self.post_message(self.JumpTo(loc.path, loc.line, loc.col))

    def action_jump(self) -> None:
        index = self._locations.highlighted if self._locations.has_focus else 0
        self._jump(index or 0)

    def action_send_to_model(self) -> None:
        view = self.views.get(self.selected or "")
        finished = view.finished if view else None
        if view is None or finished is None or view.state != "failed":
            self.notify("Nothing to send: the selected check has not failed.", severity="warning")
            return
        from rigtui.checks.feedback import failure_message

        text = failure_message(finished)
        self.post_message(
            self.SendToModel(text, view.name, finished.run_id, finished.change_set_id)
        )

    def action_rerun(self) -> None:
        self.post_message(self.RerunRequested(self.selected))

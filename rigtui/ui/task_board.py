"""The task board: the project's isolated tasks, one row each (state, elapsed time, tokens and
cost, checks, files, goal), kept live from the session's `IsolatedTaskChanged` events. Enter
opens a task's review when its change set waits (rebased on the project, in the diff pane),
else its thread; `n` starts a new isolated task, `d` discards one. A task that needs review
or failed is told as a notice, with the terminal bell when `[tasks] bell` is on, wherever the
user is (`task_changed`)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from rigtui import protocol as ev

if TYPE_CHECKING:
    from textual.widgets import DataTable

RigtuiApp = Any  # the workbench (rigtui.ui.app imports this module)
COLUMNS = ("task", "state", "time", "tokens", "cost", "checks", "files", "goal")


def _elapsed(task: Any) -> str:
    if not task.started_at:
        return "-"
    seconds = int((task.ended_at or time.time()) - task.started_at)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _row(task: Any) -> tuple[str, ...]:
    tokens = f"{task.input_tokens}/{task.output_tokens}" if task.input_tokens else "-"
    cost = f"{task.cost:.4f}" if task.cost is not None else "-"
    files = str(len(task.files)) if task.files else "-"
    return (task.id, task.state, _elapsed(task), tokens, cost, task.checks or "-", files,
            task.goal.splitlines()[0][:60] if task.goal else "")  # fmt: skip


class TaskBoard(Screen[None]):
    DEFAULT_CSS = """
    TaskBoard { background: $surface; }
    TaskBoard #board-title { padding: 0 1; text-style: bold; }
    TaskBoard #board-hint { padding: 0 1; color: $text-muted; }
    TaskBoard DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "open", "Open / review", priority=True),
        Binding("n", "new_task", "New task"),
        Binding("d", "discard", "Discard"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.tasks: dict[str, Any] = {}
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield Static("Isolated tasks", id="board-title")
        from textual.widgets import DataTable  # loaded when the board opens, not at start

        yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
        yield Static(
            "Enter: review (or open the thread) · n: new isolated task · d: discard · Esc: back",
            id="board-hint",
        )
        yield Footer()

    async def on_mount(self) -> None:
        table = self._table()
        for name in COLUMNS:
            table.add_column(name, key=name)
        await self.reload()
        self.set_interval(1.0, self._tick)  # the elapsed time of running tasks
        table.focus()

    def _table(self) -> DataTable[str]:
        from textual.widgets import DataTable

        return self.query_one("#board", DataTable)

    @property
    def rigtui(self) -> RigtuiApp:
        return self.app  # type: ignore[return-value]

    async def reload(self) -> None:
        session = await self.rigtui.opened_session()
        tasks = await session.isolated.tasks()
        self.tasks = {t.id: t for t in tasks}
        table = self._table()
        chosen = self._chosen_id()
        table.clear()
        for task in reversed(tasks):  # newest first
            table.add_row(*_row(task), key=task.id)
        if chosen in self.tasks:
            table.move_cursor(row=table.get_row_index(chosen))
        self.query_one("#board-title", Static).update(
            f"Isolated tasks ({len(tasks)})" if tasks else "Isolated tasks: none yet (n starts one)"
        )

    def _tick(self) -> None:
        """Running tasks' time each second; their tokens and checks from the store every 5."""
        from rigtui.protocol.isolated import RUNNING  # loaded with the events (after painting)

        self._ticks += 1
        running = [t for t in self.tasks.values() if t.state == RUNNING]
        if running and self._ticks % 5 == 0:
            self.run_worker(self.reload(), group="task-board", exclusive=True)
            return
        table = self._table()
        for task in running:
            if task.id in table.rows:
                table.update_cell(task.id, "time", _elapsed(task))

    def _chosen_id(self) -> str | None:
        table = self._table()
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    # --- actions ---------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    async def action_open(self) -> None:
        task = self.tasks.get(self._chosen_id() or "")
        if task is None:
            return
        from rigtui.protocol.isolated import REVIEWABLE

        app = self.rigtui
        self.dismiss(None)
        await app.switch_thread(task.thread_id)
        if task.state in REVIEWABLE and task.files:
            app.send_op(ev.ReviewIsolated(task.thread_id, task.id), refused="cannot review: ")

    def action_new_task(self) -> None:
        start_isolated_task(self.rigtui)

    def action_discard(self) -> None:
        task = self.tasks.get(self._chosen_id() or "")
        if task is None:
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                self.rigtui.send_op(
                    ev.DiscardIsolated(task.thread_id, task.id), refused="cannot discard: "
                )

        from rigtui.ui.modals import ConfirmScreen  # loaded on use

        self.app.push_screen(
            ConfirmScreen(f"Discard task {task.id} and its workspace? ({task.state})"), answered
        )

    async def on_data_table_row_selected(self, _: DataTable.RowSelected) -> None:
        await self.action_open()


def start_isolated_task(app: RigtuiApp) -> None:
    """Ask for the goal, then run it in a workspace of its own, in a new thread."""

    async def start(goal: str | None) -> None:
        if not goal:
            return
        session = await app.opened_session()
        title = goal.splitlines()[0][:60]
        thread = await session.new_thread(f"isolated: {title}")
        app.send_op(ev.StartIsolated(thread.id, goal), refused="cannot start: ")

    from rigtui.ui.modals import PromptScreen  # loaded on use

    app.push_screen(PromptScreen("Task to run isolated (in a workspace of its own)"), start)


def task_changed(app: RigtuiApp, event: ev.IsolatedTaskChanged) -> None:
    """Keep an open board live; tell the user about a task that needs them, anywhere."""
    from rigtui.protocol.isolated import FAILED, TELL_USER

    for screen in app.screen_stack:
        if isinstance(screen, TaskBoard):
            screen.run_worker(screen.reload(), group="task-board", exclusive=True)
    if event.state not in TELL_USER:
        return
    what = f"task {event.task_id} {event.state}"
    if event.files:
        what += f": {len(event.files)} file{'s' if len(event.files) > 1 else ''} to review"
    app.notify(
        f"{what} (f6: task board)",
        title="Isolated task",
        severity="error" if event.state == FAILED else "information",
        timeout=10,
    )
    # Away from the terminal: the bell and a desktop notice, as `[ui] notify` says; here, the
    # bell alone when `[tasks] bell` asks for it.
    told = app.notifier.attention(f"rigtui: {what}", event.summary)
    if app.settings.tasks.bell and not told:
        app.bell()


class TaskBoardActions:
    """The app's actions for the board (mixed into RigtuiApp)."""

    def action_show_task_board(self) -> None:
        app: Any = self
        if not isinstance(app.screen, TaskBoard):
            app.push_screen(TaskBoard())

    def action_start_isolated_task(self) -> None:
        start_isolated_task(self)  # type: ignore[arg-type]

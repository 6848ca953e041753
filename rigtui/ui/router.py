"""Session events to the widgets that show them: the app posts each event as a
`SessionEvent` message, in order, and hands it here; dispatch is by the event's type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.message import Message

from rigtui import protocol as ev
from rigtui.protocol import (
    CheckFinished,
    CheckOutput,
    CheckQueued,
    CheckStarted,
    CommandApprovalRequested,
    DecideCommand,
    IndexProgress,
    IndexReady,
    IndexUpdated,
    McpServerChanged,
    PatchApplied,
    PatchDecided,
    PatchProposed,
    PatchRecovered,
    PatchRedone,
    PatchRefused,
    PatchUndone,
    UsageUpdated,
)
from rigtui.ui.approval import CommandApprovalScreen
from rigtui.ui.checks_panel import ChecksPanel
from rigtui.ui.outline import Outline
from rigtui.ui.plan_view import PlanView
from rigtui.ui.review_pane import ReviewPane
from rigtui.ui.right_pane import RightPane
from rigtui.ui.status_bar import StatusBar
from rigtui.ui.task_board import task_changed
from rigtui.ui.thread_pane import ThreadPane
from rigtui.ui.threads import Threads

if TYPE_CHECKING:
    from rigtui.session import Session


class SessionEvent(Message):
    """One event from the session, to render (posted in order by the app's event pump)."""

    def __init__(self, event: ev.Event) -> None:
        super().__init__()
        self.event = event


class EventRouter:
    def __init__(self, app: App[int], session: Session, threads: Threads) -> None:
        self.app, self.session, self.threads = app, session, threads
        self.thread_pane = app.query_one(ThreadPane)  # looked up once: used per delta
        self.status = app.query_one(StatusBar)
        self.review = app.query_one(ReviewPane)
        self.right = app.query_one(RightPane)
        self._failures_told: set[str] = set()  # check runs whose failure was notified

    async def route(self, event: ev.Event) -> None:
        pane, current = self.thread_pane, self.threads.current_id
        if isinstance(event, ev.MessageDelta | ev.ToolCallDelta):  # by the thousand: short
            if (view := pane.view(event.thread_id)) is not None:
                await view.add_event(event)
            return
        view = pane.view(event.thread_id) if event.thread_id else None
        if view is not None and not isinstance(event, ev.ThreadDeleted):
            await view.add_event(event)
        match event:
            case ev.ThreadCreated() | ev.ThreadDeleted() | ev.TaskStarted():
                await self.threads.refresh()
            case ev.ThreadRenamed(thread_id=tid, title=title):
                await self.threads.renamed(tid)
                await self.threads.refresh()
                if tid == current:
                    self.status.show(thread=title)
                    pane.border_title = f"Thread: {title}"
            case ev.PlanUpdated() if event.thread_id == current:
                self.app.query_one(PlanView).show_plan(event)
            case ev.TaskEnded(thread_id=tid, outcome=outcome):
                if outcome in ("done", "failed"):
                    await self._attention(tid, f"task {outcome}", event.summary)
                if tid == current:
                    self.app.query_one(PlanView).finish(event)
                if outcome == "cancelled":
                    self._withdraw(tid)
                await self.threads.refresh()
            case UsageUpdated(thread_id=tid) if tid == current:
                self.status.show(usage=event)
            case CommandApprovalRequested(thread_id=tid, command=command):
                self.ask_command(event)
                await self._attention(tid, "approval needed", f"run `{command}`?")
            case PatchProposed(change_set_id=cs_id, thread_id=tid):
                if self.review.show(cs_id) and event.origin == "model":
                    await self._attention(tid, "review needed", f"{len(event.files)} file(s)")
            case PatchDecided(change_set_id=cs_id) | PatchApplied(change_set_id=cs_id):
                self.review.close(cs_id)
            case PatchRefused(change_set_id=cs_id, can_rebase=can_rebase):
                self.review.close(cs_id)
                if can_rebase:
                    self.review.offer_rebase(event)
            case PatchUndone(paths=paths) | PatchRedone(paths=paths):
                done = "undo" if isinstance(event, PatchUndone) else "redo"
                self.app.notify(f"{done} done: {', '.join(paths)}")
                self.right.reload_file()
            case PatchRecovered(change_set_ids=ids):
                for cs_id in ids:
                    text = f"change set {cs_id} was interrupted by a crash and rolled back"
                    self.app.notify(text)
            case McpServerChanged(notice=notice):
                self.status.take(event)
                if notice:  # a server that failed, told once
                    self.app.notify(notice, title="MCP", severity="warning", timeout=15)
            case IndexProgress() | IndexReady() | IndexUpdated():
                self.status.take(event)
                if isinstance(event, IndexReady):
                    self.app.query_one(Outline).index = self.session.runtime.index
            case CheckQueued() | CheckStarted() | CheckOutput() | CheckFinished():
                self.app.query_one(ChecksPanel).apply(event)
                if isinstance(event, CheckFinished) and event.failed:
                    self._tell_failure(event)
            case ev.IsolatedTaskChanged():
                task_changed(self.app, event)  # type: ignore[arg-type]
            case ev.Notice(thread_id="", text=text):
                self.app.notify(text)
            case ev.Error(thread_id="", message=message, fix=fix):
                self.app.notify(f"{message}: {fix}", severity="warning")

    async def _attention(self, thread_id: str, what: str, body: str) -> None:
        """Ring when the user is elsewhere (rigtui.ui.notify): `rigtui: <thread>: <what>`."""
        thread = await self.session.find_thread(thread_id) if thread_id else None
        title = f"rigtui: {thread.title}: {what}" if thread else f"rigtui: {what}"
        self.app.notifier.attention(title, body)  # type: ignore[attr-defined]

    def _withdraw(self, thread_id: str) -> None:
        """A cancelled task answers nothing: its review and its question close."""
        self.review.withdraw(thread_id)
        screen = self.app.screen
        if isinstance(screen, CommandApprovalScreen) and screen.request.thread_id == thread_id:
            self.app.pop_screen()

    def _tell_failure(self, event: CheckFinished) -> None:
        if event.run_id not in self._failures_told:  # a tool's run comes twice: told once
            self._failures_told.add(event.run_id)
            self.app.notify(f"check {event.check} failed: ctrl+r shows it", severity="error")

    def ask_command(self, event: CommandApprovalRequested) -> None:
        async def answer(result: tuple[bool, str] | None) -> None:
            approved, comment = result if result is not None else (False, "")
            op = DecideCommand(event.thread_id, event.request_id, approved, comment)
            await self.session.send(op)

        self.app.push_screen(CommandApprovalScreen(event), answer)

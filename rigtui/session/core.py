"""The core's front door: one `Session` per open project. Front ends (the TUI, `rigtui exec`,
the CLI's undo/redo/apply) send ops in and read events out; every thread event is stored in
the thread's log before it is handed out (DESIGN.md rule 2). The session owns the project's
runtime (rigtui.session.runtime), its change sets (the only writer, rigtui.session.changes)
and its tasks (rigtui.session.tasks).

    session = await Session.open(root)
    await session.start()                 # watcher, live index, checks (front ends that stay)
    events = session.subscribe()
    await session.send(SendMessage(thread_id, "fix the tests"))
    await session.close()
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.agent.approvals import Approvals, CommandDecision, ReviewRequest
from rigtui.config import Settings, load_settings
from rigtui.edits import engine
from rigtui.edits.journal import JournalEntry
from rigtui.errors import RigtuiError
from rigtui.fanout import Fanout
from rigtui.protocol import (
    Cancel,
    CheckFinished,
    CompactThread,
    ConfirmChecks,
    DecideCommand,
    DecidePatch,
    DeleteThread,
    DiscardIsolated,
    Error,
    Event,
    ForkThread,
    ModelChanged,
    Note,
    Notice,
    Op,
    PatchApplied,
    PatchDecided,
    PatchProposed,
    PatchRefused,
    ProposePatch,
    Recover,
    Redo,
    RenameThread,
    ReviewIsolated,
    ReviewLeftover,
    RunChecks,
    SendMessage,
    SetThreadModel,
    StartIsolated,
    ThreadCreated,
    ThreadDeleted,
    ThreadForked,
    ThreadRenamed,
    Undo,
)
from rigtui.session.background import Background
from rigtui.session.changes import ChangeSets
from rigtui.session.facts import ModelStatus, check_store, launch_folder, model_status  # noqa: F401
from rigtui.session.runtime import ProjectRuntime
from rigtui.store import Project, Store, Thread

if TYPE_CHECKING:
    from rigtui.agent.client import RetryPolicy
    from rigtui.mcp.manager import McpManager
    from rigtui.session.completion import Completer
    from rigtui.session.followup import CheckFollowUp
    from rigtui.session.isolated import IsolatedTasks
    from rigtui.session.tasks import Tasks


ISOLATED_BUSY = (
    "not sent: this thread's task runs isolated; send it once the task has ended (f6 shows"
    " the task board). Your message: "
)


class Session:
    """Open with `await Session.open(root)`; close with `await session.close()`."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        store: Store,
        project: Project,
        *,
        profile: str | None = None,
        retry: RetryPolicy | None = None,
        working_dir: Path | None = None,
    ) -> None:
        self.root = root
        self.settings = settings
        self.store = store
        self.project = project
        self.profile = profile  # this run's --profile/--model/--base-url: wins over a thread's
        self.retry = retry
        self.working_dir = working_dir
        self.approvals = Approvals()
        self._events: Fanout[Event] = Fanout()
        self._owns_store = False
        self._background = Background()
        self.runtime = ProjectRuntime(root, settings, self._from_runtime)
        self.runtime.on_sandbox_note = self._sandbox_note
        self.changes = ChangeSets(root, self.runtime, self.approvals, self._emit, self._is_thread)
        # Made on first use, like the tasks: a command that only applies, undoes or lists
        # never loads the MCP client, the check follow-up or the message box's completion.
        self._followup: CheckFollowUp | None = None
        self._mcp: McpManager | None = None
        self._completer: Completer | None = None
        self._tasks: Tasks | None = None  # made with the first message (the agent loads then)
        self._isolated: IsolatedTasks | None = None

    @property
    def followup(self) -> CheckFollowUp:
        """What follows a change set's check run (stored in its thread, auto-fix rounds)."""
        if self._followup is None:
            from rigtui.session.followup import CheckFollowUp

            self._followup = CheckFollowUp(self.settings, self.root, self._emit, self._message)
        return self._followup

    @property
    def mcp(self) -> McpManager:
        """The project's MCP servers (each starts on first use; closed with the runtime)."""
        if self._mcp is None:
            from rigtui.mcp.manager import McpManager

            self._mcp = McpManager(self.root, self.settings, emit=self._emit)
            self.runtime.own(self._mcp)
        return self._mcp

    @property
    def completer(self) -> Completer:
        """The message box's @ and / completion."""
        if self._completer is None:
            from rigtui.session.completion import Completer

            self._completer = Completer(self.root, self.runtime, self.mcp)
        return self._completer

    @property
    def tasks(self) -> Tasks:
        """The threads' task queue. Made on first use: a command that only applies, undoes or
        lists (rigtui apply, undo, history) never loads the agent, its tools or the model SDK."""
        if self._tasks is None:
            from rigtui.session.tasks import Tasks, TaskSetup

            setup = TaskSetup(
                self.root, self.settings, self.store, self.runtime, self.changes,
                self.approvals, profile=self.profile, retry=self.retry,
                working_dir=self.working_dir, mcp=self.mcp,
            )  # fmt: skip
            self._tasks = Tasks(setup, self._emit, self.followup.task_ended)
        return self._tasks

    @property
    def isolated(self) -> IsolatedTasks:
        """The project's isolated tasks (each in a workspace of its own)."""
        if self._isolated is None:
            from rigtui.session.isolated import IsolatedTasks

            self._isolated = IsolatedTasks(self)
        return self._isolated

    @classmethod
    async def open(
        cls,
        root: Path,
        *,
        settings: Settings | None = None,
        store: Store | None = None,
        profile: str | None = None,
        retry: RetryPolicy | None = None,
        working_dir: Path | None = None,
    ) -> Session:
        root = Path(root).resolve()
        settings = settings or load_settings(root)
        own = store is None
        store = store or await Store.open()
        try:
            project = await store.project_for(root)
        except BaseException:
            if own:  # its connection's thread would keep the process alive
                await store.close()
            raise
        session = cls(
            root, settings, store, project, profile=profile, retry=retry, working_dir=working_dir
        )
        session._owns_store = own
        return session

    async def start(self, *, watch: bool = True) -> None:
        """Bring the project up for a front end that stays: what a crash interrupted is put
        back first, then the watcher, the checks and the live index (rigtui.session.runtime)."""
        try:
            await self.changes.recover()
        except RigtuiError as exc:
            self._events.publish(Error(message=exc.message, fix=exc.fix or ""))
        try:  # isolated tasks a dead rigtui left: interrupted, their workspaces removed
            await self.isolated.recover()
        except RigtuiError as exc:
            self._events.publish(Error(message=exc.message, fix=exc.fix or ""))
        await self.runtime.start(watch=watch)

    async def close(self) -> None:
        if self._isolated is not None:
            await self._isolated.close()
        if self._tasks is not None:
            await self._tasks.close()
        await self.changes.close()
        await self._background.finish(cancel=False)  # results stored, rounds started
        await self.runtime.close()
        self._events.close()
        if self._owns_store:
            await self.store.close()

    # --- events out ------------------------------------------------------------------------

    def subscribe(self) -> AsyncIterator[Event]:
        """Everything that happens from now on, in order, until the session closes."""
        return self._events.subscribe()

    async def _emit(self, event: Event, *, persist: bool = True) -> None:
        """Store a thread event (when it belongs to a thread) and hand it to every subscriber."""
        if persist and event.thread_id:
            await self.store.append(event)
        self._events.publish(event)

    def _from_runtime(self, event: Event) -> None:
        """The runtime's events (index, checks; called on the loop). A check run a change set
        caused belongs to that change set's thread: stored there, and followed up."""
        if isinstance(event, CheckFinished) and event.thread_id:
            self._background.spawn(self.followup.finished(event))
        else:
            self._events.publish(event)

    async def _sandbox_note(self, thread_id: str, note: str) -> None:
        if thread_id:
            await self._emit(Notice(thread_id=thread_id, text=note))

    def _message(self, thread_id: str, text: str) -> None:
        self.tasks.start(thread_id, text)

    # --- threads ---------------------------------------------------------------------------

    async def threads(self) -> list[Thread]:
        return await self.store.threads(self.project.id)

    async def task_states(self) -> dict[str, dict[str, int]]:
        """Per thread id: how many of its tasks are running, done, failed, cancelled (a task
        stored as running that no task of this session runs was interrupted)."""
        return await self.store.task_states(self.project.id)

    async def new_thread(self, title: str = "New thread") -> Thread:
        thread = await self.store.create_thread(self.project.id, title)
        await self._emit(ThreadCreated(thread_id=thread.id, title=title))
        return thread

    async def history(self, thread_id: str) -> list[Event]:
        return await self.store.events(thread_id)

    async def count_events(self, thread_id: str) -> int:
        return await self.store.count_events(thread_id)

    async def history_rows(self, thread_id: str) -> list[tuple[int, Event]]:
        """The log with sequence numbers (what `ForkThread(seq=...)` takes)."""
        return await self.store.event_rows(thread_id)

    async def thread(self, thread_id: str) -> Thread:
        """The thread of this project, or a clear error."""
        thread = await self.store.thread(thread_id)
        if thread is None or thread.project_id != self.project.id:
            raise RigtuiError(
                f"no thread {thread_id!r} in {self.root}",
                fix="run `rigtui threads` to list this project's threads",
                exit_code=2,
            )
        return thread

    async def find_thread(self, thread_id: str) -> Thread | None:
        """The thread of this project, or None."""
        thread = await self.store.thread(thread_id) if thread_id else None
        return thread if thread is not None and thread.project_id == self.project.id else None

    async def _is_thread(self, thread_id: str) -> bool:
        return await self.find_thread(thread_id) is not None

    async def search_threads(self, query: str) -> list[Thread]:
        """Threads whose title or messages contain `query` (case-insensitive), newest first."""
        needle = query.casefold()
        found = []
        for thread in await self.threads():
            if needle in thread.title.casefold():
                found.append(thread)
                continue
            for event in await self.store.events(thread.id):
                text = getattr(event, "text", None)
                if isinstance(text, str) and needle in text.casefold():
                    found.append(thread)
                    break
        return found

    async def fork_thread(
        self, thread_id: str, *, message_id: str = "", seq: int = 0, title: str = ""
    ) -> Thread:
        parent = await self.thread(thread_id)
        rows = await self.store.event_rows(thread_id)
        from rigtui.agent.forks import fork_events  # the agent's module: loaded when used

        upto, copied = fork_events(rows, message_id=message_id, seq=seq)
        new_title = title or f"{parent.title} (fork)"
        thread = await self.store.create_thread(
            self.project.id, new_title, parent_id=thread_id, forked_at=upto
        )
        head: list[Event] = [
            ThreadCreated(thread_id=thread.id, title=new_title),
            ThreadForked(thread_id=thread.id, parent_id=thread_id, forked_at=upto),
        ]
        body = [dataclasses.replace(e, thread_id=thread.id) for e in copied]
        await self.store.append_many(head + body)
        if parent.model_profile:
            await self.store.set_thread_model(thread.id, parent.model_profile)
        await self._emit(head[0], persist=False)
        return thread

    def running(self, thread_id: str | None = None) -> bool:
        if thread_id is None and self._isolated is not None and self._isolated.running():
            return True
        return self._tasks is not None and self._tasks.running(thread_id)

    async def wait_idle(self, thread_id: str | None = None) -> None:
        """Until the thread's tasks (every thread's, when None) have ended, and what follows
        them has: the checks their change sets triggered, the auto-fix rounds those started
        (with a thread, checks the watcher started on its own are not waited for)."""
        while True:
            if self._tasks is not None:
                await self._tasks.wait_idle(thread_id)
            if self._isolated is not None and thread_id is None:
                await self._isolated.wait_idle()
            await self.runtime.wait_checks(thread_id)
            await self._background.wait()
            if not self.running(thread_id):
                return

    # --- reviews ---------------------------------------------------------------------------

    def review_request(self, change_set_id: str) -> ReviewRequest | None:
        """The open review of a change set: its proposal, for a front end to render."""
        return self.approvals.review(change_set_id)

    def review_requests(self, thread_id: str | None = None) -> list[ReviewRequest]:
        return self.approvals.reviews(thread_id)

    async def change_history(self) -> list[JournalEntry]:
        """The project's change sets from its journal, newest first."""
        return await asyncio.to_thread(engine.history, self.root)

    async def leftover(self, thread_id: str) -> PatchProposed | None:
        """The thread's last change set proposed and never decided (an earlier run left it
        pending): what `ReviewLeftover` opens again."""
        open_ = {r.key for r in self.approvals.reviews(thread_id)}
        proposed: dict[str, PatchProposed] = {}
        for event in await self.history(thread_id):
            match event:
                case PatchProposed(change_set_id=cs_id, patch=patch) if patch:
                    proposed[cs_id] = event
                case PatchDecided(change_set_id=cs_id) | PatchApplied(change_set_id=cs_id):
                    proposed.pop(cs_id, None)
                case PatchRefused(change_set_id=cs_id):
                    proposed.pop(cs_id, None)
        left = [e for cs_id, e in proposed.items() if cs_id not in open_]
        return left[-1] if left else None

    # --- ops in ----------------------------------------------------------------------------

    async def send(self, op: Op) -> None:
        """Carry out an op. One that cannot be done at all (nothing to undo, a patch that does
        not fit) raises RigtuiError and changes nothing; every outcome is an event."""
        match op:
            case SendMessage(thread_id=tid, text=text):
                if self._isolated is not None and self._isolated.busy(tid):
                    await self._emit(Notice(thread_id=tid, text=ISOLATED_BUSY + text))
                else:
                    self.tasks.start(tid, text)
            case CompactThread(thread_id=tid):
                await self.thread(tid)  # a clear error for a thread of another project
                self.tasks.compact(tid)
            case Cancel(thread_id=tid):
                if self._tasks is not None:
                    self._tasks.cancel(tid)
            case RenameThread(thread_id=tid, title=title):
                await self.store.rename_thread(tid, title)
                await self._emit(ThreadRenamed(thread_id=tid, title=title))
            case DeleteThread(thread_id=tid):
                if self._tasks is not None:
                    await self._tasks.drop(tid)
                await self.store.delete_thread(tid)
                await self.runtime.close_thread(tid)
                await self._emit(ThreadDeleted(thread_id=tid), persist=False)
            case Note(thread_id=tid, text=text):
                await self._emit(Notice(thread_id=tid, text=text))
            case ForkThread(thread_id=tid, message_id=mid, seq=seq, title=title):
                await self.fork_thread(tid, message_id=mid, seq=seq, title=title)
            case SetThreadModel(thread_id=tid, profile=name):
                chosen = self.settings.model_profile(name)  # a clear error for an unknown one
                await self.store.set_thread_model(tid, name)
                await self._emit(ModelChanged(thread_id=tid, profile=name, model=chosen.model))
            case DecideCommand(thread_id=tid, request_id=rid, approved=ok, comment=comment, by=by):
                if not self.approvals.resolve(rid, CommandDecision(ok, comment, by)):
                    await self._nothing_waiting(tid, f"command request {rid}")
            case DecidePatch(thread_id=tid, change_set_id=cs_id, decision=decision):
                if not self.approvals.resolve(cs_id, decision):
                    await self._nothing_waiting(tid, f"change set {cs_id}")
            case ProposePatch(thread_id=tid, patch=text, strip=strip, origin=origin):
                await self.changes.propose_text(text, thread_id=tid, strip=strip, origin=origin)
            case ReviewLeftover(thread_id=tid):
                await self._review_leftover(tid)
            case Undo(thread_id=tid, change_set_id=cs_id, force=force):
                await self.changes.undo(cs_id, force=force, asked_in=tid)
            case Redo(thread_id=tid, change_set_id=cs_id, force=force):
                await self.changes.redo(cs_id, force=force, asked_in=tid)
            case StartIsolated(thread_id=tid, text=text):
                await self.isolated.start(tid, text)
            case ReviewIsolated(task_id=task_id):
                await self.isolated.review(task_id)
            case DiscardIsolated(task_id=task_id):
                await self.isolated.discard(task_id)
            case Recover():
                await self.changes.recover()
            case RunChecks(names=names):
                await self.runtime.run_checks(names)
            case ConfirmChecks(thread_id=tid):
                await self._confirm_checks(tid)
            case _:
                raise TypeError(f"unknown op {op!r}")

    async def _nothing_waiting(self, thread_id: str, what: str) -> None:
        await self._emit(
            Notice(thread_id=thread_id, text=f"{what} is no longer waiting for a decision"),
            persist=False,
        )

    async def _review_leftover(self, thread_id: str) -> None:
        left = await self.leftover(thread_id)
        if left is None:
            raise RigtuiError("no change set is waiting for review")
        try:
            await self.changes.propose_text(
                left.patch, thread_id=thread_id, origin="pending", change_set_id=left.change_set_id
            )
        except RigtuiError as exc:
            raise RigtuiError(
                f"change set {left.change_set_id} no longer applies: {exc}", fix=exc.fix
            ) from exc

    async def _confirm_checks(self, thread_id: str) -> None:
        path, trusted = await self.runtime.confirm_suggested_checks()
        if trusted:
            text = f"checks saved to {path.name}; they now re-run as files change"
        else:
            text = (
                f"checks saved to {path.name}; this project's settings are not trusted, so they"
                " run only when you ask (ctrl+r) until you run `rigtui trust`"
            )
        await self._emit(Notice(thread_id=thread_id, text=text))

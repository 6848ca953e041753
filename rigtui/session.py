"""The core's front door: one `Session` per open project. Front ends (the TUI, `rigtui exec`)
send ops in and read events out; the store appends every thread event (DESIGN.md rule 2).

A `SendMessage` starts a task as its own asyncio task, keyed by thread: several threads run at
once, and a second message to a busy thread waits for the first task to end. `Cancel` stops
the thread's task at once and leaves its log consistent. Approvals are futures the front end
resolves with `DecideCommand` / `DecidePatch`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rigtui.agent.approvals import Approvals
from rigtui.agent.client import ModelClient, RetryPolicy, resolve_endpoint
from rigtui.agent.context import instructions, system_prompt
from rigtui.agent.events import CommandApprovalRequested, CommandDecided, ModelChanged
from rigtui.agent.forks import fork_events
from rigtui.agent.loop import TaskLoop, UsageTotals
from rigtui.agent.services import Services
from rigtui.agent.tools import CommandDecision, PatchDecision, TaskRecord, ToolContext
from rigtui.agent.tools.mcp import McpTools
from rigtui.config import Settings, load_settings
from rigtui.errors import RigtuiError
from rigtui.events import (
    Error,
    Event,
    MessageNotSent,
    Notice,
    PlanUpdated,
    TaskEnded,
    TaskStarted,
    ThreadCreated,
    ThreadDeleted,
    ThreadRenamed,
    UserMessage,
)
from rigtui.fanout import Fanout
from rigtui.mcp.manager import McpManager
from rigtui.ops import (
    Cancel,
    DecideCommand,
    DecidePatch,
    DeleteThread,
    ForkThread,
    Op,
    RenameThread,
    SendMessage,
    SetThreadModel,
)
from rigtui.store import Project, Store, Thread, new_id


@dataclass(frozen=True)
class ModelStatus:
    """What the status bar shows about the model, and why it cannot be used yet."""

    profile: str
    model: str
    base_url: str | None
    configured: bool
    how_to_configure: str


def model_status(settings: Settings, profile: str | None = None) -> ModelStatus:
    name = profile or settings.model.default
    chosen = settings.model_profile(name)
    base_url = chosen.base_url or os.environ.get("OPENAI_BASE_URL")
    has_key = bool(os.environ.get(chosen.api_key_env))
    configured = has_key or bool(base_url)
    how = (
        f"set {chosen.api_key_env} for OpenAI, or set base_url for a local"
        " server (Ollama, vLLM, llama.cpp, LM Studio) under [model.profiles."
        f"{name}] in your config.toml, or pass --base-url"
    )
    return ModelStatus(name, chosen.model, base_url, configured, "" if configured else how)


def launch_folder(root: Path) -> Path | None:
    """The folder the user started rigtui from, when it is inside the project: AGENTS.md files
    are read from the root down to it."""
    cwd = Path.cwd().resolve()
    return cwd if cwd.is_relative_to(Path(root).resolve()) else None


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
        self.profile = profile  # this run's --profile/--model/--base-url: wins over a thread's own
        self.retry = retry
        self.working_dir = working_dir
        self.approvals = Approvals()
        self.services = Services(root, settings)
        self.services.on_note = self._sandbox_note
        self.proposals: dict[str, Any] = {}  # change set id -> Proposal awaiting review
        self._events: Fanout[Event] = Fanout()
        self._owns_store = False
        self._tasks: dict[str, list[asyncio.Task[None]]] = {}
        # messages whose task has not started their turn yet: (thread id, text) by task
        self._unsent: dict[asyncio.Task[None], tuple[str, str]] = {}
        self._clients: dict[str, ModelClient] = {}
        self._totals: dict[str, UsageTotals] = {}
        self._closing = False
        self.mcp = McpManager(root, settings, emit=self.emit)  # MCP servers (rigtui.mcp)

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

    async def _sandbox_note(self, thread_id: str, note: str) -> None:
        if thread_id:
            await self.emit(Notice(thread_id=thread_id, text=note))

    async def close(self) -> None:
        self._closing = True
        running = [t for tasks in self._tasks.values() for t in tasks]
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
        await self._report_unsent()
        await self.mcp.close()
        for client in self._clients.values():
            with contextlib.suppress(Exception):
                await client.close()
        await self.services.close()
        self._events.close()
        if self._owns_store:
            await self.store.close()

    # --- events out ------------------------------------------------------------------------

    def subscribe(self) -> AsyncIterator[Event]:
        """Everything that happens from now on, in order, until the session closes."""
        return self._events.subscribe()

    async def emit(self, event: Event, *, persist: bool = True) -> None:
        """Store a thread event (when it belongs to a thread) and hand it to every subscriber."""
        if persist and event.thread_id:
            await self.store.append(event)
        self._events.publish(event)

    # --- threads ---------------------------------------------------------------------------

    async def threads(self) -> list[Thread]:
        return await self.store.threads(self.project.id)

    async def new_thread(self, title: str = "New thread") -> Thread:
        thread = await self.store.create_thread(self.project.id, title)
        await self.emit(ThreadCreated(thread_id=thread.id, title=title))
        return thread

    async def history(self, thread_id: str) -> list[Event]:
        return await self.store.events(thread_id)

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
        upto, copied = fork_events(rows, message_id=message_id, seq=seq)
        new_title = title or f"{parent.title} (fork)"
        thread = await self.store.create_thread(
            self.project.id, new_title, parent_id=thread_id, forked_at=upto
        )
        from rigtui.agent.events import ThreadForked

        head: list[Event] = [
            ThreadCreated(thread_id=thread.id, title=new_title),
            ThreadForked(thread_id=thread.id, parent_id=thread_id, forked_at=upto),
        ]
        body = [dataclasses.replace(e, thread_id=thread.id) for e in copied]
        await self.store.append_many(head + body)
        if parent.model_profile:
            await self.store.set_thread_model(thread.id, parent.model_profile)
        await self.emit(head[0], persist=False)
        return thread

    def running(self, thread_id: str | None = None) -> bool:
        return any(
            not t.done()
            for tid, tasks in self._tasks.items()
            if thread_id in (None, tid)
            for t in tasks
        )

    async def wait_idle(self, thread_id: str | None = None) -> None:
        """Until the thread's tasks (every thread's, when None) have ended."""
        while pending := [
            t
            for tid, ts in self._tasks.items()
            if thread_id in (None, tid)
            for t in ts
            if not t.done()
        ]:
            await asyncio.wait(pending)

    # --- ops in ----------------------------------------------------------------------------

    async def send(self, op: Op) -> None:
        match op:
            case SendMessage(thread_id=tid, text=text):
                self._start_task(tid, text)
            case Cancel(thread_id=tid):
                for task in self._tasks.get(tid, []):
                    task.cancel()
            case RenameThread(thread_id=tid, title=title):
                await self.store.rename_thread(tid, title)
                await self.emit(ThreadRenamed(thread_id=tid, title=title))
            case DeleteThread(thread_id=tid):
                for task in self._tasks.pop(tid, []):
                    self._unsent.pop(task, None)  # its thread is going: nowhere to keep it
                    task.cancel()
                    await asyncio.wait([task])
                await self.store.delete_thread(tid)
                await self.services.close_thread(tid)
                await self.emit(ThreadDeleted(thread_id=tid), persist=False)
            case ForkThread(thread_id=tid, message_id=mid, seq=seq, title=title):
                await self.fork_thread(tid, message_id=mid, seq=seq, title=title)
            case SetThreadModel(thread_id=tid, profile=name):
                chosen = self.settings.model_profile(name)  # a clear error for an unknown one
                await self.store.set_thread_model(tid, name)
                await self.emit(ModelChanged(thread_id=tid, profile=name, model=chosen.model))
            case DecideCommand(thread_id=tid, request_id=rid, approved=ok, comment=comment, by=by):
                if not self.approvals.resolve(rid, CommandDecision(ok, comment, by)):
                    await self._nothing_waiting(tid, f"command request {rid}")
            case DecidePatch() as decision:
                if not self.approvals.resolve(decision.change_set_id, _patch_decision(decision)):
                    await self._nothing_waiting(
                        decision.thread_id, f"change set {decision.change_set_id}"
                    )
            case _:
                raise TypeError(f"unknown op {op!r}")

    async def _nothing_waiting(self, thread_id: str, what: str) -> None:
        await self.emit(
            Notice(thread_id=thread_id, text=f"{what} is no longer waiting for a decision"),
            persist=False,
        )

    # --- tasks -----------------------------------------------------------------------------

    def _start_task(self, thread_id: str, text: str) -> None:
        if self._closing:
            return
        tasks = [t for t in self._tasks.get(thread_id, []) if not t.done()]
        before = tasks[-1] if tasks else None
        task = asyncio.create_task(self._queued(thread_id, text, before), name=f"task {thread_id}")
        self._unsent[task] = (thread_id, text)
        self._tasks[thread_id] = [*tasks, task]
        task.add_done_callback(lambda t: self._forget(thread_id, t))

    def _forget(self, thread_id: str, task: asyncio.Task[None]) -> None:
        tasks = self._tasks.get(thread_id)
        if tasks and task in tasks:
            tasks.remove(task)
            if not tasks:
                del self._tasks[thread_id]

    async def _queued(self, thread_id: str, text: str, before: asyncio.Task[None] | None) -> None:
        me = asyncio.current_task()
        if before is not None:
            await self.emit(
                Notice(thread_id=thread_id, text="queued: sent when the running task ends"),
                persist=False,
            )
            try:
                await asyncio.wait([before])
            except asyncio.CancelledError:
                if self._unsent.pop(me, None) is not None:  # type: ignore[arg-type]
                    await self.emit(MessageNotSent(thread_id=thread_id, text=text))
                return
        self._unsent.pop(me, None)  # type: ignore[arg-type]
        await self._run_task(thread_id, text)

    async def _report_unsent(self) -> None:
        """Messages whose task was cancelled before it even started (the session closed at
        once): kept as MessageNotSent like the others."""
        unsent, self._unsent = list(self._unsent.values()), {}
        for thread_id, text in unsent:
            await self.emit(MessageNotSent(thread_id=thread_id, text=text))

    async def _run_task(self, thread_id: str, text: str) -> None:
        task_id = ""
        record = TaskRecord()
        outcome, summary = "failed", ""
        try:
            await self.emit(UserMessage(thread_id=thread_id, text=text, message_id=new_id("m")))
            client = await self._client_for(thread_id)
            task = await self.store.create_task(thread_id, text)
            task_id = task.id
            await self.emit(TaskStarted(thread_id=thread_id, task_id=task_id, goal=text))
            await self.mcp.start(thread_id)  # (again, after a failure): their tools are offered
            loop = TaskLoop(
                thread_id=thread_id,
                task_id=task_id,
                client=client,
                tools=self._tool_context(thread_id, task_id, record),
                emit=self.emit,
                load_events=lambda: self.store.events(thread_id),
                system=await self._system_prompt(),
                totals=await self._usage_totals(thread_id),
            )
            outcome, summary = await loop.run()
        except asyncio.CancelledError:
            outcome, summary = "cancelled", "cancelled before the model answered"
            await self.emit(Notice(thread_id=thread_id, text="■ cancelled"))
        except RigtuiError as exc:
            await self.emit(Error(thread_id=thread_id, message=exc.message, fix=exc.fix or ""))
            summary = exc.message
        except Exception as exc:  # a bug: say so in the thread, keep the session alive
            summary = f"internal error: {type(exc).__name__}: {exc}"
            await self.emit(
                Error(
                    thread_id=thread_id,
                    message=summary,
                    fix="please report this; the thread can go on",
                )
            )
        if task_id:
            await self.store.update_task(task_id, status=outcome, summary=summary)
            await self.emit(
                TaskEnded(
                    thread_id=thread_id,
                    task_id=task_id,
                    outcome=outcome,
                    summary=summary,
                    changed_files=record.changed_files,
                    change_sets=record.change_sets,
                    checks=record.checks,
                )
            )

    async def _client_for(self, thread_id: str) -> ModelClient:
        thread = await self.store.thread(thread_id)
        # --profile/--model/--base-url for this run win; then the thread's own choice.
        name = (
            self.profile
            or (thread.model_profile if thread else None)
            or self.settings.model.default
        )
        if name not in self._clients:
            endpoint = resolve_endpoint(self.settings, name)  # raises with the fix when unusable
            self._clients[name] = ModelClient(
                endpoint, self.settings.model_profile(name), self.retry
            )
        return self._clients[name]

    async def _system_prompt(self) -> str:
        agents = await asyncio.to_thread(
            instructions, self.root, self.working_dir, self.settings.instructions.max_bytes
        )
        return system_prompt(self.root, agents, await self.services.repo_map())

    async def _usage_totals(self, thread_id: str) -> UsageTotals:
        if thread_id not in self._totals:
            self._totals[thread_id] = UsageTotals.from_events(await self.store.events(thread_id))
        return self._totals[thread_id]

    def _tool_context(self, thread_id: str, task_id: str, record: TaskRecord) -> ToolContext:
        async def emit(event: Event) -> None:
            if isinstance(event, PlanUpdated):
                await self.store.update_task(task_id, plan=event.steps)
            await self.emit(event)

        async def ask_command(
            command: str,
            cwd: str,
            reason: str,
            *,
            sandbox: str = "",
            outside_paths: list[str] | None = None,
            needs_person: bool = False,
        ) -> CommandDecision:
            request_id = new_id("r")
            future = self.approvals.register(request_id, thread_id)
            await self.emit(
                CommandApprovalRequested(
                    thread_id=thread_id,
                    request_id=request_id,
                    command=command,
                    cwd=cwd,
                    reason=reason,
                    sandbox=sandbox,
                    outside_paths=list(outside_paths or []),
                    needs_person=needs_person,
                )
            )
            decision: CommandDecision = await self.approvals.wait(request_id, future)
            await self.emit(
                CommandDecided(
                    thread_id=thread_id,
                    request_id=request_id,
                    approved=decision.approved,
                    by=decision.by,
                    comment=decision.comment,
                )
            )
            return decision

        async def ask_patch(proposal: Any) -> PatchDecision:
            from rigtui.edits.decision import proposed_event

            if self.settings.approval.patches == "auto-apply":
                await self.emit(proposed_event(proposal, thread_id=thread_id))
                return PatchDecision(None, [], policy="auto-apply")
            future = self.approvals.register(proposal.id, thread_id)
            self.proposals[proposal.id] = proposal
            try:
                await self.emit(proposed_event(proposal, thread_id=thread_id))
                return await self.approvals.wait(proposal.id, future)
            finally:
                self.proposals.pop(proposal.id, None)

        return ToolContext(
            root=self.root,
            settings=self.settings,
            thread_id=thread_id,
            task_id=task_id,
            record=record,
            emit=emit,
            ask_command=ask_command,
            ask_patch=ask_patch,
            services=self.services,
            more_tools=McpTools(self.mcp),
        )


def _patch_decision(op: DecidePatch) -> PatchDecision:
    return PatchDecision(
        accepted=None if op.accepted is None else list(op.accepted),
        rejected=list(op.rejected),
        comment=op.comment,
        comments=dict(op.comments),
        edited=dict(op.edited),
        pending=op.pending,
    )

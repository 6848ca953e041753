"""Tasks: a `SendMessage` starts one as its own asyncio task, keyed by thread. Several threads
run at once; a second message to a busy thread waits for the first task to end; `Cancel`
stops the thread's task at once and leaves its log consistent. A task runs the model loop
(rigtui.agent.loop) with the tools given what the session owns: the runtime's sandboxes,
index and checks, the change sets (the only writer), and the approval requests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.agent import compaction
from rigtui.agent.approvals import Approvals, CommandRequest
from rigtui.agent.client import ModelClient, RetryPolicy, cost_of, resolve_endpoint
from rigtui.agent.context import CHARS_PER_TOKEN, instructions, system_prompt
from rigtui.agent.loop import WINDOW_SHARE, TaskLoop, UsageTotals
from rigtui.agent.tools import CommandDecision, TaskRecord, ToolContext
from rigtui.agent.tools.mcp import McpTools
from rigtui.agent.wire import Reply
from rigtui.config import Settings
from rigtui.errors import RigtuiError
from rigtui.mcp.manager import McpManager
from rigtui.protocol import (
    CommandApprovalRequested,
    CommandDecided,
    Error,
    Event,
    MessageNotSent,
    Notice,
    PlanUpdated,
    TaskEnded,
    TaskStarted,
    UsageUpdated,
    UserMessage,
)
from rigtui.session.changes import ChangeSets
from rigtui.session.mentions import MAX_TOTAL_BYTES, Mentions, mentioned, resolve
from rigtui.session.runtime import ProjectRuntime
from rigtui.store import Store, new_id

if TYPE_CHECKING:
    from rigtui.index.api import CodeIndex

Emit = Callable[..., Awaitable[None]]  # emit(event, persist=True)
NOTHING_TO_COMPACT = "nothing to compact yet: the latest turn is always kept as it is"
ATTACH_SHARE = 0.25  # of the profile's window that a message's attachments may fill
INDEX_WAIT = 10.0  # seconds a message with @mentions waits for the index's first run


@dataclass
class TaskSetup:
    """What every task of a session shares."""

    root: Path
    settings: Settings
    store: Store
    runtime: ProjectRuntime
    changes: ChangeSets
    approvals: Approvals
    profile: str | None = None  # this run's --profile/--model/--base-url: wins over a thread's
    retry: RetryPolicy | None = None
    working_dir: Path | None = None
    mcp: McpManager | None = None  # the MCP servers whose tools a task is offered


class Tasks:
    def __init__(
        self, setup: TaskSetup, emit: Emit, on_ended: Callable[[TaskEnded], Awaitable[None]]
    ) -> None:
        self.setup = setup
        self._emit = emit
        self._on_ended = on_ended
        self._tasks: dict[str, list[asyncio.Task[None]]] = {}
        # messages whose task has not started their turn yet: (thread id, text) by task
        self._unsent: dict[asyncio.Task[None], tuple[str, str]] = {}
        self._clients: dict[str, ModelClient] = {}
        self._totals: dict[str, UsageTotals] = {}
        self.closing = False

    # --- the queue ------------------------------------------------------------------------

    def start(self, thread_id: str, text: str) -> None:
        self._enqueue(thread_id, lambda: self._run(thread_id, text), text)

    def compact(self, thread_id: str) -> None:
        """Summarise the thread's older turns, after the task running there (`/compact`)."""
        self._enqueue(thread_id, lambda: self._compact(thread_id), None)

    def _enqueue(
        self, thread_id: str, job: Callable[[], Awaitable[None]], text: str | None
    ) -> None:
        """Run `job` once the thread's earlier ones have ended; `text`: a message's words,
        kept as MessageNotSent if it never starts."""
        if self.closing:
            return
        tasks = [t for t in self._tasks.get(thread_id, []) if not t.done()]
        before = tasks[-1] if tasks else None
        task = asyncio.create_task(self._queued(thread_id, job, before), name=f"task {thread_id}")
        if text is not None:
            self._unsent[task] = (thread_id, text)
        self._tasks[thread_id] = [*tasks, task]
        task.add_done_callback(lambda t: self._forget(thread_id, t))

    def cancel(self, thread_id: str) -> None:
        for task in self._tasks.get(thread_id, []):
            task.cancel()

    async def drop(self, thread_id: str) -> None:
        """The thread is going: its tasks end, and its unsent messages have nowhere to go."""
        for task in self._tasks.pop(thread_id, []):
            self._unsent.pop(task, None)
            task.cancel()
            await asyncio.wait([task])

    def running(self, thread_id: str | None = None) -> bool:
        return any(not t.done() for t in self._pending(thread_id))

    def _pending(self, thread_id: str | None) -> list[asyncio.Task[None]]:
        return [
            t
            for tid, tasks in self._tasks.items()
            if thread_id in (None, tid)
            for t in tasks
            if not t.done()
        ]

    async def wait_idle(self, thread_id: str | None = None) -> None:
        """Until the thread's tasks (every thread's, when None) have ended."""
        while pending := self._pending(thread_id):
            await asyncio.wait(pending)

    def _forget(self, thread_id: str, task: asyncio.Task[None]) -> None:
        tasks = self._tasks.get(thread_id)
        if tasks and task in tasks:
            tasks.remove(task)
            if not tasks:
                del self._tasks[thread_id]

    async def _queued(
        self,
        thread_id: str,
        job: Callable[[], Awaitable[None]],
        before: asyncio.Task[None] | None,
    ) -> None:
        me = asyncio.current_task()
        assert me is not None
        if before is not None:
            await self._emit(
                Notice(thread_id=thread_id, text="queued: sent when the running task ends"),
                persist=False,
            )
            try:
                await asyncio.wait([before])
            except asyncio.CancelledError:
                if (unsent := self._unsent.pop(me, None)) is not None:
                    await self._emit(MessageNotSent(thread_id=thread_id, text=unsent[1]))
                return
        self._unsent.pop(me, None)
        await job()

    async def close(self) -> None:
        self.closing = True
        running = self._pending(None)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
        # Messages whose task was cancelled before it even started (the session closed at
        # once): kept as MessageNotSent like the others.
        unsent, self._unsent = list(self._unsent.values()), {}
        for thread_id, text in unsent:
            await self._emit(MessageNotSent(thread_id=thread_id, text=text))
        for client in self._clients.values():
            with contextlib.suppress(Exception):
                await client.close()

    # --- one task -------------------------------------------------------------------------

    async def _run(self, thread_id: str, text: str) -> None:
        store = self.setup.store
        task_id = ""
        record = TaskRecord()
        outcome, summary = "failed", ""
        try:
            await self._user_message(thread_id, text)
            client = await self._client_for(thread_id)
            task = await store.create_task(thread_id, text)
            task_id = task.id
            await self._emit(TaskStarted(thread_id=thread_id, task_id=task_id, goal=text))
            if self.setup.mcp is not None:  # started (or started again) before the model asks
                await self.setup.mcp.start(thread_id)
            loop = TaskLoop(
                thread_id=thread_id,
                task_id=task_id,
                client=client,
                tools=self._tool_context(thread_id, task_id, record),
                emit=self._emit,
                load_events=lambda: store.events(thread_id),
                system=await self._system_prompt(),
                totals=await self._usage_totals(thread_id),
            )
            outcome, summary = await loop.run()
        except asyncio.CancelledError:
            outcome, summary = "cancelled", "cancelled before the model answered"
            await self._emit(Notice(thread_id=thread_id, text="■ cancelled"))
        except RigtuiError as exc:
            await self._emit(Error(thread_id=thread_id, message=exc.message, fix=exc.fix or ""))
            summary = exc.message
        except Exception as exc:  # a bug: say so in the thread, keep the session alive
            summary = f"internal error: {type(exc).__name__}: {exc}"
            await self._emit(
                Error(
                    thread_id=thread_id,
                    message=summary,
                    fix="please report this; the thread can go on",
                )
            )
        if task_id:
            await store.update_task(task_id, status=outcome, summary=summary)
            ended = TaskEnded(
                thread_id=thread_id,
                task_id=task_id,
                outcome=outcome,
                summary=summary,
                changed_files=record.changed_files,
                change_sets=record.change_sets,
                checks=record.checks,
            )
            await self._emit(ended)
            await self._on_ended(ended)

    async def _compact(self, thread_id: str) -> None:
        """`/compact`: the older turns summarised now."""
        try:
            client = await self._client_for(thread_id)
            events = await self.setup.store.events(thread_id)
            chosen = compaction.plan(events)
            if chosen is None:
                await self._emit(Notice(thread_id=thread_id, text=NOTHING_TO_COMPACT))
                return
            window = await client.context_window()
            await self._emit(
                Notice(thread_id=thread_id, text="summarising older turns…"), persist=False
            )

            async def retrying(text: str) -> None:
                await self._emit(Notice(thread_id=thread_id, text=f"⟳ {text}"))

            budget = int(window.tokens * WINDOW_SHARE)
            started = time.perf_counter()
            reply, chars = await compaction.summarise(client, chosen.older, budget, retrying)
            await self._count(thread_id, client, reply, chars, time.perf_counter() - started)
            if not reply.text.strip():
                raise RigtuiError(
                    "the model returned an empty summary; nothing was compacted",
                    fix="try /compact again, or another model profile (/model)",
                )
            summary = reply.text.strip()
            await self._emit(compaction.compacted(thread_id, events, chosen, summary, "asked"))
        except asyncio.CancelledError:
            await self._emit(Notice(thread_id=thread_id, text="■ compaction cancelled"))
        except RigtuiError as exc:
            await self._emit(Error(thread_id=thread_id, message=exc.message, fix=exc.fix or ""))

    async def _count(
        self, thread_id: str, client: ModelClient, reply: Reply, chars: int, duration: float
    ) -> None:
        """The summary request's tokens in the thread's usage (estimated when not reported)."""
        estimated = not (reply.input_tokens or reply.output_tokens)
        if estimated:
            reply.input_tokens = chars // 4
            reply.output_tokens = max(1, len(reply.text) // 4)
        cost = cost_of(client.profile, reply.input_tokens, reply.output_tokens)
        totals = await self._usage_totals(thread_id)
        totals.input_tokens += reply.input_tokens
        totals.output_tokens += reply.output_tokens
        if cost is not None:
            totals.cost = (totals.cost or 0.0) + cost
        await self._emit(
            UsageUpdated(
                thread_id=thread_id, task_id="", model=client.endpoint.model,
                input_tokens=reply.input_tokens, output_tokens=reply.output_tokens,
                thread_input_tokens=totals.input_tokens,
                thread_output_tokens=totals.output_tokens,
                duration=duration, cost=cost, thread_cost=totals.cost, estimated=estimated,
            )
        )  # fmt: skip

    async def _user_message(self, thread_id: str, text: str) -> None:
        """The user's words, with the files and definitions their `@mentions` attach."""
        found = Mentions()
        if mentioned(text):
            cap = await self._attach_cap(thread_id)
            found = await resolve(self.setup.root, text, self._index_for_mentions, cap)
        await self._emit(
            UserMessage(
                thread_id=thread_id,
                text=text,
                message_id=new_id("m"),
                attachments=found.attachments,
            )
        )
        for note in found.notes:
            await self._emit(Notice(thread_id=thread_id, text=note))

    async def _attach_cap(self, thread_id: str) -> int:
        """Bytes a message may attach: a share of the profile's window (the message is kept
        even when the profile is unusable: that error comes after it)."""
        try:
            profile = self.setup.settings.model_profile(await self._profile_name(thread_id))
        except RigtuiError:
            return MAX_TOTAL_BYTES
        return int(profile.context_window * CHARS_PER_TOKEN * ATTACH_SHARE)

    async def _index_for_mentions(self) -> CodeIndex | None:
        """The code index for `@Symbol`, unless its first run takes too long (then a mention
        can still name a file)."""
        try:
            return await asyncio.wait_for(self.setup.runtime.code_index(), INDEX_WAIT)
        except TimeoutError:
            return None

    async def _profile_name(self, thread_id: str) -> str:
        """--profile/--model/--base-url for this run win; then the thread's own choice."""
        setup = self.setup
        thread = await setup.store.thread(thread_id)
        return (
            setup.profile
            or (thread.model_profile if thread else None)
            or setup.settings.model.default
        )

    async def _client_for(self, thread_id: str) -> ModelClient:
        setup = self.setup
        name = await self._profile_name(thread_id)
        if name not in self._clients:
            endpoint = resolve_endpoint(setup.settings, name)  # raises with the fix if unusable
            self._clients[name] = ModelClient(
                endpoint, setup.settings.model_profile(name), setup.retry
            )
        return self._clients[name]

    async def _system_prompt(self) -> str:
        setup = self.setup
        agents = await asyncio.to_thread(
            instructions, setup.root, setup.working_dir, setup.settings.instructions.max_bytes
        )
        return system_prompt(setup.root, agents, await setup.runtime.repo_map())

    async def _usage_totals(self, thread_id: str) -> UsageTotals:
        if thread_id not in self._totals:
            events = await self.setup.store.events(thread_id)
            self._totals[thread_id] = UsageTotals.from_events(events)
        return self._totals[thread_id]

    def _tool_context(self, thread_id: str, task_id: str, record: TaskRecord) -> ToolContext:
        setup = self.setup

        async def emit(event: Event) -> None:
            if isinstance(event, PlanUpdated):
                await setup.store.update_task(task_id, plan=list(event.steps))
            await self._emit(event)

        async def ask_command(
            command: str,
            cwd: str,
            reason: str,
            *,
            sandbox: str = "",
            outside_paths: list[str] | None = None,
            needs_person: bool = False,
        ) -> CommandDecision:
            request = CommandRequest(new_id("r"), thread_id)
            setup.approvals.open(request)
            await self._emit(
                CommandApprovalRequested(
                    thread_id=thread_id,
                    request_id=request.key,
                    command=command,
                    cwd=cwd,
                    reason=reason,
                    sandbox=sandbox,
                    outside_paths=list(outside_paths or []),
                    needs_person=needs_person,
                )
            )
            decision = await setup.approvals.wait(request)
            await self._emit(
                CommandDecided(
                    thread_id=thread_id,
                    request_id=request.key,
                    approved=decision.approved,
                    by=decision.by,
                    comment=decision.comment,
                )
            )
            return decision

        return ToolContext(
            root=setup.root,
            settings=setup.settings,
            thread_id=thread_id,
            task_id=task_id,
            record=record,
            emit=emit,
            ask_command=ask_command,
            services=setup.runtime,
            changes=setup.changes,
            more_tools=McpTools(setup.mcp) if setup.mcp is not None else None,
        )

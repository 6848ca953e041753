"""Isolated tasks: each runs the model loop in a workspace of its own (rigtui.workspace), so the
live project is never touched while it runs. Its patches apply there without asking, its
commands and checks run there (a container of its own with Docker), and when it ends what it
changed waits in the store as one change set. `review` proposes that change set in the task's
thread, rebased three-way on the project as it is then; what is accepted is applied through
the session's change sets (journaled, undoable) and the workspace goes. At most `[tasks]
max_parallel` run at once; the rest wait in a queue. A task whose rigtui died is found by the
next start (`recover`): marked interrupted, its changes kept for review, its workspace removed.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rigtui.display import safe_name
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare
from rigtui.errors import RigtuiError
from rigtui.paths import data_dir, project_key
from rigtui.protocol import (
    AUTO_APPLY,
    CheckFinished,
    Error,
    Event,
    Notice,
    TaskEnded,
    UsageUpdated,
)
from rigtui.protocol.isolated import (
    APPLIED,
    DISCARDED,
    FAILED,
    FINISHED,
    INTERRUPTED,
    NEEDS_REVIEW,
    QUEUED,
    REVIEWABLE,
    RUNNING,
    IsolatedTaskChanged,
)
from rigtui.session import owner
from rigtui.session.background import Background
from rigtui.session.changes import ChangeSets
from rigtui.session.runtime import ProjectRuntime
from rigtui.store import IsolatedTask, TaskFile, new_id
from rigtui.workspace import FileChange, Rebased, Workspace, collect, create, rebase, remove
from rigtui.workspace.snapshot import Collected

Emit = Callable[..., Awaitable[None]]

NO_MCP = (
    "MCP tools are not offered to an isolated task: their servers run on the live project,"
    " which the task must not touch"
)


class WorkspaceRuntime(ProjectRuntime):
    """A workspace's runtime: its own sandboxes and checks (on the workspace's files), and the
    project's code index for search and the repo map (the workspace starts as the project)."""

    def __init__(
        self, root: Path, settings: Any, publish: Callable[[Event], None], project: ProjectRuntime
    ) -> None:
        super().__init__(root, settings, publish)
        self._project = project

    async def code_index(self) -> Any:
        return await self._project.code_index()

    async def repo_map(self) -> str:
        return await self._project.repo_map()


def workspaces_dir() -> Path:
    return data_dir() / "workspaces"


def change_set_id(task_id: str) -> str:
    return f"cs-{task_id}"


class IsolatedTasks:
    def __init__(self, session: Any) -> None:  # the Session (core imports this module)
        self.session = session
        self._slots = asyncio.Semaphore(max(1, session.settings.tasks.max_parallel))
        self._running: dict[str, asyncio.Task[None]] = {}
        self._threads: dict[str, str] = {}  # task id -> thread id, while it is queued or runs
        self._reviewing: set[str] = set()  # task ids whose change set waits for a decision
        self._background = Background()

    @property
    def _store(self) -> Any:
        return self.session.store

    # --- asking ---------------------------------------------------------------------------

    async def tasks(self) -> list[IsolatedTask]:
        return await self._store.isolated_tasks(self.session.project.id)

    async def task(self, task_id: str) -> IsolatedTask:
        """The project's task, or a clear error."""
        task = await self._store.isolated_task(task_id)
        if task is None or task.project_id != self.session.project.id:
            raise RigtuiError(
                f"no isolated task {task_id!r} in {self.session.root}",
                fix="run `rigtui tasks` to list this project's tasks",
                exit_code=2,
            )
        return task

    async def preview(self, task_id: str) -> Rebased:
        """The task's change set against the project as it is now (nothing is written)."""
        task = await self.task(task_id)
        changes = [_change(f) for f in await self._store.task_files(task.id)]
        return await asyncio.to_thread(rebase, self.session.root, changes)

    def running(self) -> bool:
        return any(not t.done() for t in self._running.values())

    def busy(self, thread_id: str) -> bool:
        """Whether an isolated task of this thread is queued or running here."""
        return thread_id in self._threads.values()

    async def wait_idle(self) -> None:
        while pending := [t for t in self._running.values() if not t.done()]:
            await asyncio.wait(pending)
        await self._background.wait()

    # --- starting and running -------------------------------------------------------------

    async def start(self, thread_id: str, text: str) -> IsolatedTask:
        await self.session.thread(thread_id)  # a clear error for an unknown thread
        task = await self._store.create_isolated_task(
            new_id("t"), self.session.project.id, thread_id, text
        )
        await self._store.update_isolated_task(task.id, owner=owner.me())
        await self._changed(task, QUEUED)
        run = asyncio.create_task(self._run(task, text), name=f"isolated {task.id}")
        self._running[task.id] = run
        self._threads[task.id] = thread_id
        run.add_done_callback(lambda _: self._forget(task.id))
        return task

    def _forget(self, task_id: str) -> None:
        self._running.pop(task_id, None)
        self._threads.pop(task_id, None)

    async def _run(self, task: IsolatedTask, text: str) -> None:
        """Wait for a slot, run, and keep the result while still holding the slot (the next
        task starts once this one's result is safe)."""
        try:
            await self._slots.acquire()
        except asyncio.CancelledError:  # discarded (or the session closed) while queued
            await self._ended(task, None, "cancelled", "stopped while queued")
            raise
        try:
            await self._in_slot(task, text)
        finally:
            self._slots.release()

    async def _in_slot(self, task: IsolatedTask, text: str) -> None:
        ws: Workspace | None = None
        try:
            ws = await asyncio.to_thread(create, self.session.root, workspaces_dir() / task.id)
            await self._store.update_isolated_task(
                task.id, state=RUNNING, workspace=_ws_record(ws), started_at=time.time()
            )
            await self._changed(task, RUNNING)
            outcome, summary = await self._model_loop(task, ws, text)
        except asyncio.CancelledError:
            await self._ended(task, ws, "cancelled", "stopped before it ended")
            raise
        except Exception as exc:  # a workspace that could not be made: the task failed
            message = (
                exc.message if isinstance(exc, RigtuiError) else f"{type(exc).__name__}: {exc}"
            )
            await self._ended(task, ws, "failed", message)
            return
        await self._ended(task, ws, outcome, summary)

    async def _model_loop(self, task: IsolatedTask, ws: Workspace, text: str) -> tuple[str, str]:
        from rigtui.session.tasks import Tasks, TaskSetup  # the agent: with the first task

        session = self.session
        settings = copy.deepcopy(session.settings)
        settings.approval.patches = AUTO_APPLY  # into the workspace, without asking
        if settings.sandbox.mount == "capture":  # the workspace is the layer: its commands
            settings.sandbox.mount = "rw"  # write there, and all of it comes back at the end
        tracker = _Tracker(self, task)
        runtime = WorkspaceRuntime(ws.root, settings, tracker.from_runtime, session.runtime)
        runtime.on_sandbox_note = session._sandbox_note  # e.g. why Docker was not used
        changes = ChangeSets(ws.root, runtime, session.approvals, tracker.emit, session._is_thread)
        setup = TaskSetup(
            ws.root, settings, session.store, runtime, changes, session.approvals,
            profile=session.profile, retry=session.retry, mcp=None,
        )  # fmt: skip
        # MCP servers run rooted at the live project: a server's tool could write there, so an
        # isolated task is offered none (the live project is never touched while it runs).
        if any(server.enabled for server in settings.mcp.servers.values()):
            await session._emit(Notice(thread_id=task.thread_id, text=NO_MCP))
        ended: list[TaskEnded] = []

        async def on_ended(event: TaskEnded) -> None:
            ended.append(event)

        tasks = Tasks(setup, tracker.emit, on_ended)
        try:
            tasks.start(task.thread_id, text)
            await tasks.wait_idle(task.thread_id)
            await runtime.wait_checks()
        finally:
            await tasks.close()
            await changes.close()
            await runtime.close()  # its containers go now
            await tracker.flush()
        last = ended[-1] if ended else None
        if last is None:  # it never started its turn (no model configured, say)
            return "failed", tracker.error or "the task did not run"
        return last.outcome, last.summary

    async def _ended(
        self, task: IsolatedTask, ws: Workspace | None, outcome: str, summary: str
    ) -> None:
        """Keep what the workspace changed (in the store) and say how the task ended."""
        paths: list[str] = []
        if ws is not None:
            got, unreadable = await _read_back(ws)
            if unreadable:
                outcome, summary = "failed", unreadable
            await self._store.save_task_files(task.id, [_row(c) for c in got.changes])
            paths = [c.path for c in got.changes]
            if got.skipped:
                skipped = ", ".join(map(safe_name, got.skipped))
                summary += f" (not carried back, not regular files: {skipped})"
        if outcome == "cancelled" and (await self.task(task.id)).state == DISCARDED:
            state = DISCARDED
        elif outcome == "cancelled":
            state = INTERRUPTED if paths else DISCARDED
        elif outcome != "done":
            state = FAILED
        else:
            state = NEEDS_REVIEW if paths else DISCARDED
        if not paths and state == DISCARDED and outcome == "done":
            summary = f"{summary} (it changed no file: nothing to review)".strip()
        if not paths or state in (INTERRUPTED, DISCARDED):
            await self._remove_workspace(task.id, ws)  # what is kept is in the store
        await self._store.update_isolated_task(
            task.id, state=state, summary=summary, files=paths, ended_at=time.time()
        )
        await self._changed(task, state, summary=summary, files=paths)

    # --- review, apply, discard -----------------------------------------------------------

    async def review(self, task_id: str) -> Proposal:
        """Propose the task's change set in its thread; a person decides it with DecidePatch
        and what they accept is applied (then the task is `applied` and its workspace goes)."""
        task = await self.task(task_id)
        if task.state not in REVIEWABLE:
            raise RigtuiError(
                f"task {task.id} is {task.state}: there is no change set to review",
                fix="wait for it to end" if task.state in (QUEUED, RUNNING) else None,
            )
        if task.id in self._reviewing:  # one review per change set: a second would orphan it
            raise RigtuiError(
                f"task {task.id} is already open for review",
                fix="decide it in its thread's review first",
            )
        rebased = await self.preview(task.id)
        if not rebased.patch:
            what = "; ".join(f"{c.path}: {c.reason}" for c in rebased.conflicts)
            raise RigtuiError(
                f"task {task.id} has nothing left to apply" + (f" ({what})" if what else ""),
                fix=f"drop it with `rigtui task discard {task.id}`",
            )
        await self._say_rebase(task, rebased)
        root = self.session.root

        def prepared() -> Proposal:
            change_set = parse_patch(rebased.patch, root=root)
            change_set = dataclasses.replace(change_set, id=change_set_id(task.id))
            return prepare(root, change_set)

        proposal = await asyncio.to_thread(prepared)
        self._reviewing.add(task.id)
        self._background.spawn(self._review_and_apply(task, proposal))
        return proposal

    async def _say_rebase(self, task: IsolatedTask, rebased: Rebased) -> None:
        notes = []
        if rebased.merged:
            merged = ", ".join(map(safe_name, rebased.merged))
            notes.append(f"rebased on the project's changes: {merged}")
        for c in rebased.conflicts:
            where = "shown between conflict markers" if c.in_patch else "left out"
            notes.append(f"CONFLICT in {safe_name(c.path)}: {c.reason} ({where})")
        for text in notes:
            await self.session._emit(Notice(thread_id=task.thread_id, text=text))

    async def _review_and_apply(self, task: IsolatedTask, proposal: Proposal) -> None:
        try:
            await self._decide_and_apply(task, proposal)
        finally:
            self._reviewing.discard(task.id)

    async def _decide_and_apply(self, task: IsolatedTask, proposal: Proposal) -> None:
        changes = self.session.changes
        try:
            proposal, decision = await changes.review(
                proposal, thread_id=task.thread_id, origin="task"
            )
            if decision.pending:
                return
            if not decision.accepted:
                await self.session._emit(
                    Notice(
                        thread_id=task.thread_id,
                        text=f"nothing applied; task {task.id} still waits for review"
                        f" (drop it with `rigtui task discard {task.id}`)",
                    )
                )
                return
            await changes.apply(proposal, decision, thread_id=task.thread_id, origin="task")
        except RigtuiError as exc:  # refused: recorded in the thread; the task stays reviewable
            await self.session._emit(
                Notice(thread_id=task.thread_id, text=f"task {task.id} not applied: {exc}")
            )
            return
        await self._finish(task, APPLIED)

    async def discard(self, task_id: str) -> None:
        task = await self.task(task_id)
        if task.state in FINISHED:
            raise RigtuiError(f"task {task.id} is already {task.state}")
        run = self._running.get(task.id)
        if run is None and task.state in (QUEUED, RUNNING) and owner.alive(task.owner):
            raise RigtuiError(
                f"task {task.id} is {task.state} in another rigtui (pid {task.owner.split(':')[0]})",
                fix="discard it from that rigtui's task board, or stop that rigtui first",
            )
        if run is not None and not run.done():
            await self._store.update_isolated_task(task.id, state=DISCARDED)
            run.cancel()
            await asyncio.wait([run])
        await self._finish(task, DISCARDED)

    async def _finish(self, task: IsolatedTask, state: str) -> None:
        """Applied or discarded: the workspace and the kept files go."""
        fresh = await self.task(task.id)
        await self._remove_workspace(task.id, _ws_from(fresh))
        await self._store.drop_task_files(task.id)
        await self._store.update_isolated_task(
            task.id, state=state, ended_at=fresh.ended_at or time.time()
        )
        await self._changed(task, state, files=fresh.files)

    # --- after a crash --------------------------------------------------------------------

    async def recover(self) -> list[str]:
        """Tasks whose rigtui died (killed, crashed) are marked interrupted, their changes
        kept for review and their workspaces removed; a finished task's leftover workspace
        goes too. Returns the ids of the tasks marked interrupted."""
        marked: list[str] = []
        for task in await self.tasks():
            ws = _ws_from(task)
            if task.state in (QUEUED, RUNNING) and task.id not in self._running:
                if owner.alive(task.owner):
                    continue  # another rigtui runs it
                paths: list[str] = []
                if ws is not None:
                    got, _ = await _read_back(ws)
                    await self._store.save_task_files(task.id, [_row(c) for c in got.changes])
                    paths = [c.path for c in got.changes]
                await self._remove_workspace(task.id, ws)
                summary = "interrupted: the rigtui running it stopped"
                await self._store.update_isolated_task(
                    task.id, state=INTERRUPTED, files=paths, summary=summary, ended_at=time.time()
                )
                await self._changed(task, INTERRUPTED, summary=summary, files=paths)
                marked.append(task.id)
            elif task.state in FINISHED and ws is not None and ws.home.exists():
                await self._remove_workspace(task.id, ws)
        if marked and self.session.settings.sandbox.kind != "local":
            await asyncio.to_thread(_remove_dead_containers)
        return marked

    async def close(self) -> None:
        for run in list(self._running.values()):
            run.cancel()
        for run in list(self._running.values()):
            await asyncio.wait([run])
        await self._background.finish(cancel=True)

    # --- helpers --------------------------------------------------------------------------

    async def _remove_workspace(self, task_id: str, ws: Workspace | None) -> None:
        def gone() -> None:
            if ws is not None:
                remove(ws)
                # what the workspace's own change sets journaled (never the project's)
                shutil.rmtree(data_dir() / "projects" / project_key(ws.root), ignore_errors=True)
            shutil.rmtree(workspaces_dir() / task_id, ignore_errors=True)

        await asyncio.to_thread(gone)

    async def _changed(
        self, task: IsolatedTask, state: str, *, summary: str = "", files: list[str] | None = None
    ) -> None:
        await self.session._emit(
            IsolatedTaskChanged(
                thread_id=task.thread_id,
                task_id=task.id,
                state=state,
                goal=task.goal,
                summary=summary,
                files=list(files or []),
            )
        )


class _Tracker:
    """What a task's events tell its row: tokens and cost, and the state of its checks."""

    def __init__(self, owner_: IsolatedTasks, task: IsolatedTask) -> None:
        self.owner, self.task = owner_, task
        self.checks: dict[str, str] = {}
        self.error = ""  # the last error said in the task's thread
        self._background = Background()

    async def emit(self, event: Event, *, persist: bool = True) -> None:
        store = self.owner.session.store
        if isinstance(event, UsageUpdated) and event.thread_id == self.task.thread_id:
            await store.update_isolated_task(
                self.task.id,
                input_tokens=event.thread_input_tokens,
                output_tokens=event.thread_output_tokens,
                cost=event.thread_cost,
            )
        if isinstance(event, Error) and event.thread_id == self.task.thread_id:
            self.error = event.message
        if isinstance(event, CheckFinished):
            self.checks[event.check] = event.state
            text = ", ".join(f"{name} {state}" for name, state in sorted(self.checks.items()))
            await store.update_isolated_task(self.task.id, checks=text)
        await self.owner.session._emit(event, persist=persist)

    def from_runtime(self, event: Event) -> None:
        """The workspace runtime's events (its checks, its notes) go to the task's thread."""
        if not event.thread_id:
            event = dataclasses.replace(event, thread_id=self.task.thread_id)
        self._background.spawn(self.emit(event))

    async def flush(self) -> None:
        await self._background.wait()


async def _read_back(ws: Workspace) -> tuple[Collected, str]:
    """What the workspace changed, or nothing and why it could not be read (its git record
    broken, say): the task then fails and its workspace still goes."""
    try:
        return await asyncio.to_thread(collect, ws), ""
    except RigtuiError as exc:
        return Collected(), f"its changes could not be read back: {exc.message}"


def _remove_dead_containers() -> None:
    """The containers (and volumes) of rigtui processes that are gone, the dead task's among
    them; an engine that does not answer has nothing of ours to remove here."""
    try:
        from rigtui.sandbox import engine  # the docker SDK: only after a crash

        engine.clean_leftovers(engine.connect())
    except Exception:  # no engine, no SDK: nothing was started there
        return


def _ws_record(ws: Workspace) -> dict[str, str]:
    return {"kind": ws.kind, "project": str(ws.project), "home": str(ws.home), "base": ws.base}


def _ws_from(task: IsolatedTask) -> Workspace | None:
    rec = task.workspace
    if not rec.get("home"):
        return None
    return Workspace(rec["kind"], Path(rec["project"]), Path(rec["home"]), rec["base"])


def _row(change: FileChange) -> TaskFile:
    return TaskFile(change.path, change.before, change.after, change.before_mode, change.after_mode)


def _change(row: TaskFile) -> FileChange:
    return FileChange(row.path, row.before, row.after, row.before_mode, row.after_mode)

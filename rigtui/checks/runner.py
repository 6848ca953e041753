"""Runs checks as files change: debounced, one run per check at a time, a change during a run
cancels it (the sandbox kills the whole process tree) and queues a fresh one.

Only trusted checks (rigtui.checks.spec) follow changes, unless the user asked for exactly
that (`rigtui check --watch`: `follow_untrusted=True`); any check runs when asked (`run_now`).

Nothing here polls: a change arms a `call_later` timer, the timer starts a task, the task awaits
the sandbox. Idle, the runner is a few objects waiting on the watcher's queue.

    runner = CheckRunner(root, checks, sandbox, debounce_ms=settings.checks.debounce_ms)
    runner.add_listener(on_event)        # or: async for event in runner.subscribe()
    runner.attach(watcher)               # a ProjectWatcher that is started separately
    runner.changes_applied(change_set_id, paths)   # rigtui wrote these: link the run to it
    results = await runner.run_once()    # run every check now, wait for the results
    await runner.close()
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rigtui.checks.parsers import parse_locations, resolve_paths
from rigtui.checks.spec import Check
from rigtui.edits.atomic import TEMP_SUFFIX
from rigtui.fanout import Fanout
from rigtui.ignore import IgnoreRules
from rigtui.protocol import CheckFinished, CheckOutput, CheckQueued, CheckStarted, Event
from rigtui.sandbox.base import RunRequest, RunResult, Sandbox, Stream
from rigtui.watch import FileChange, ProjectWatcher

OUTPUT_KEEP = 64_000  # characters of output kept in CheckFinished (the tail, where failures are)
MAX_ECHOES = 10_000
ECHO_WINDOW = 5.0  # seconds during which the watcher's report of our own write is expected
Listener = Callable[[Event], None]
log = logging.getLogger(__name__)


def new_run_id() -> str:
    return os.urandom(6).hex()


@dataclass
class _Slot:
    """One check's scheduling state."""

    check: Check
    pending: set[str] = field(default_factory=set)
    change_set_id: str = ""
    reason: str = "change"
    queued_run_id: str = ""
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None
    running_run_id: str = ""
    running_since: float = 0.0
    running_change_set: str = ""
    thread_id: str = ""  # the thread of the change set that queued the next run, if any
    running_thread_id: str = ""
    output: list[str] = field(default_factory=list)
    cancelled_runs: set[str] = field(default_factory=set)


def _busy(slot: _Slot) -> bool:
    """Queued (its timer set) or running."""
    return slot.timer is not None or (slot.task is not None and not slot.task.done())


class CheckRunner:
    def __init__(
        self,
        root: Path,
        checks: Sequence[Check],
        sandbox: Sandbox,
        *,
        debounce_ms: int = 300,
        timeout: float | None = 600.0,
        output_limit: int = 1_000_000,
        thread_id: str = "",
        follow_untrusted: bool = False,
    ) -> None:
        self.root = Path(root).resolve()
        self.follow_untrusted = follow_untrusted
        self.sandbox = sandbox
        self.debounce = max(0, debounce_ms) / 1000
        self.timeout = timeout
        self.output_limit = output_limit
        self.thread_id = thread_id
        self._slots = {c.name: _Slot(c) for c in checks}
        self._listeners: list[Listener] = []
        self._events: Fanout[Event] = Fanout()
        self._echoes: dict[str, tuple[tuple[int, int] | None, float]] = {}
        self._consumers: list[asyncio.Task[None]] = []
        self._idle = asyncio.Event()
        self._idle.set()
        self._progress = asyncio.Event()  # set whenever a run ends
        self.last: dict[str, CheckFinished] = {}  # the latest finished run of each check

    @property
    def checks(self) -> list[Check]:
        return [slot.check for slot in self._slots.values()]

    # --- events out -------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def subscribe(self) -> AsyncIterator[Event]:
        """Every event from now on, in order, until `close()`."""
        return self._events.subscribe()

    def _emit(self, event: Event) -> None:
        if isinstance(event, CheckFinished):
            self.last[event.check] = event
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken front end must not stop the checks
                log.exception("check event listener failed on %s", event.type)
        self._events.publish(event)

    # --- changes in -------------------------------------------------------------------------

    def attach(self, watcher: ProjectWatcher) -> None:
        """Consume the watcher's batches (subscribed now, so nothing after this is missed)."""
        batches = watcher.subscribe()
        self._consumers.append(asyncio.create_task(self._consume(batches)))

    async def _consume(self, batches: AsyncIterator[list[FileChange]]) -> None:
        async for batch in batches:
            paths = self._without_echoes(batch)
            if paths:
                self.on_changes(paths)

    def _without_echoes(self, batch: Iterable[FileChange]) -> list[str]:
        """Drop rigtui's own temp files and the watcher's reports of rigtui's own writes
        (already handled by `changes_applied`), unless the file changed again since."""
        now = time.monotonic()
        self._echoes = {p: e for p, e in self._echoes.items() if e[1] > now}
        out = []
        for change in batch:
            if change.path.endswith(TEMP_SUFFIX):
                continue
            echo = self._echoes.get(change.path)
            if echo is not None:
                if _signature(self.root / change.path) == echo[0]:
                    continue
                del self._echoes[change.path]
            out.append(change.path)
        return out

    def changes_applied(
        self, change_set_id: str, paths: Iterable[str], *, thread_id: str = ""
    ) -> None:
        """rigtui itself wrote `paths` (relative to the root) applying a change set: run the
        checks they trigger, linked to it (and to its thread, so the run's events belong to
        that thread), and ignore the watcher's echo of those writes."""
        paths = list(paths)
        if len(self._echoes) > MAX_ECHOES:
            self._echoes.clear()
        until = time.monotonic() + ECHO_WINDOW
        for path in paths:
            self._echoes[path] = (_signature(self.root / path), until)
        self.on_changes(paths, change_set_id=change_set_id, thread_id=thread_id)

    def on_changes(
        self, paths: Iterable[str], *, change_set_id: str = "", thread_id: str = ""
    ) -> None:
        """Files changed: queue every check they trigger (untrusted checks only with
        `follow_untrusted`). Leading edge: an idle check starts at once; one already running
        or queued is cancelled and starts again after the debounce, so a burst of saves ends
        in one run of the last state."""
        paths = list(paths)
        for slot in self._slots.values():
            if not (slot.check.trusted or self.follow_untrusted):
                continue
            triggered = slot.check.triggered_by(paths)
            if triggered:
                if change_set_id:
                    slot.thread_id = thread_id
                reason = "change_set" if change_set_id else "change"
                delay = self.debounce if _busy(slot) else 0.0
                self._queue(slot, triggered, change_set_id, reason, delay)

    def run_now(self, names: Iterable[str] | None = None) -> list[str]:
        """Run the named checks (all by default) right away; returns their run ids."""
        chosen = self._select(names)
        for slot in chosen:
            self._queue(slot, [], "", "manual", 0.0)
        return [slot.queued_run_id for slot in chosen]

    async def run_once(self, names: Iterable[str] | None = None) -> list[CheckFinished]:
        """Run the checks now and wait for them; results in the checks' order."""
        run_ids = set(self.run_now(names))
        finished: list[CheckFinished] = []

        def collect(event: Event) -> None:
            if isinstance(event, CheckFinished) and event.run_id in run_ids:
                finished.append(event)

        self.add_listener(collect)
        try:
            await self.wait_idle()
        finally:
            self._listeners.remove(collect)
        order = list(self._slots)
        return sorted(finished, key=lambda e: order.index(e.check))

    def trust_checks(self, names: Iterable[str]) -> None:
        """These checks are trusted now (the user confirmed them): they follow changes."""
        for name in names:
            if (slot := self._slots.get(name)) is not None:
                slot.check = replace(slot.check, trusted=True, confirmed=True)

    def _select(self, names: Iterable[str] | None) -> list[_Slot]:
        if names is None:
            return list(self._slots.values())
        return [self._slots[n] for n in names if n in self._slots]

    # --- scheduling -------------------------------------------------------------------------

    def _queue(
        self, slot: _Slot, paths: list[str], change_set_id: str, reason: str, delay: float
    ) -> None:
        self._idle.clear()
        self._cancel_running(slot)
        slot.pending.update(paths)
        if change_set_id:
            slot.change_set_id, slot.reason = change_set_id, reason
        elif not slot.queued_run_id:
            slot.reason = reason
        if not slot.queued_run_id:
            slot.queued_run_id = new_run_id()
            self._emit(
                CheckQueued(
                    thread_id=slot.thread_id or self.thread_id,
                    run_id=slot.queued_run_id,
                    check=slot.check.name,
                    command=slot.check.command,
                    reason=slot.reason,
                    paths=sorted(slot.pending),
                    change_set_id=slot.change_set_id,
                )
            )
        if slot.timer is not None:
            slot.timer.cancel()
        loop = asyncio.get_running_loop()
        slot.timer = loop.call_later(delay, self._start, slot)

    def _cancel_running(self, slot: _Slot) -> None:
        """Cancel the check's running run (if any) and report it cancelled at once, so its
        CheckFinished comes before the next run's CheckQueued."""
        task, run_id = slot.task, slot.running_run_id
        if task is None or task.done() or run_id in slot.cancelled_runs:
            return
        slot.cancelled_runs.add(run_id)
        task.cancel()
        self._emit(
            self._finished(
                slot, run_id, "cancelled", None, "".join(slot.output), slot.running_change_set
            )
        )

    def _start(self, slot: _Slot) -> None:
        slot.timer = None
        run_id, previous = slot.queued_run_id, slot.task
        change_set_id = slot.change_set_id
        slot.queued_run_id, slot.change_set_id, slot.reason = "", "", "change"
        slot.pending.clear()
        slot.running_run_id, slot.running_since = run_id, time.monotonic()
        slot.output, slot.running_change_set = [], change_set_id
        slot.running_thread_id, slot.thread_id = slot.thread_id or self.thread_id, ""
        slot.task = asyncio.create_task(self._run(slot, run_id, change_set_id, previous))
        slot.task.add_done_callback(lambda _t: self._check_idle())

    def _check_idle(self) -> None:
        self._progress.set()
        if not any(_busy(s) for s in self._slots.values()):
            self._idle.set()

    async def wait_idle(self, thread_id: str | None = None) -> None:
        """Until nothing is queued or running (with `thread_id`: no run linked to that thread's
        change sets; runs the watcher started on its own are not waited for)."""
        if thread_id is None:
            await self._idle.wait()
            return
        while self._busy_for(thread_id):
            self._progress.clear()
            await self._progress.wait()

    def _busy_for(self, thread_id: str) -> bool:
        return any(
            (slot.timer is not None and slot.thread_id == thread_id)
            or (
                slot.task is not None
                and not slot.task.done()
                and slot.running_thread_id == thread_id
            )
            for slot in self._slots.values()
        )

    # --- one run ----------------------------------------------------------------------------

    async def _run(
        self, slot: _Slot, run_id: str, change_set_id: str, previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # its process tree is gone before we start anew
        check, chunks = slot.check, slot.output
        slot.running_since = time.monotonic()
        self._emit(
            CheckStarted(
                thread_id=slot.running_thread_id,
                run_id=run_id,
                check=check.name,
                command=check.command,
                sandbox=getattr(self.sandbox, "name", ""),
                change_set_id=change_set_id,
            )
        )

        def on_output(stream: Stream, text: str) -> None:
            chunks.append(text)
            self._emit(
                CheckOutput(
                    thread_id=slot.running_thread_id,
                    run_id=run_id,
                    check=check.name,
                    stream=stream,
                    text=text,
                )
            )

        request = RunRequest(
            command=check.command,
            cwd=self.root,
            timeout=self.timeout,
            output_limit=self.output_limit,
        )
        try:
            result = await self.sandbox.run(request, on_output)
        except asyncio.CancelledError:
            if run_id not in slot.cancelled_runs:
                self._emit(self._finished(slot, run_id, "cancelled", None, "".join(chunks), change_set_id))  # fmt: skip
            raise
        except Exception as exc:  # the command could not run at all: say why, as a failure
            output = "".join(chunks) + f"\nrigtui: could not run `{check.command}`: {exc}\n"
            self._emit(self._finished(slot, run_id, "failed", None, output, change_set_id))
            return
        finally:
            slot.cancelled_runs.discard(run_id)
        self._emit(self._from_result(slot, run_id, result, "".join(chunks), change_set_id))

    def _from_result(
        self, slot: _Slot, run_id: str, result: RunResult, streamed: str, change_set_id: str
    ) -> CheckFinished:
        output = streamed or result.stdout + result.stderr
        state = "passed" if result.ok else "failed"
        event = self._finished(slot, run_id, state, result.exit_code, output, change_set_id)
        return replace(
            event,
            duration=result.duration,
            timed_out=result.timed_out,
            truncated=result.truncated or len(output) > OUTPUT_KEEP,
        )

    def _finished(
        self,
        slot: _Slot,
        run_id: str,
        state: str,
        exit_code: int | None,
        output: str,
        change_set_id: str = "",
    ) -> CheckFinished:
        locations = self._locations(slot.check, output) if state == "failed" else []
        return CheckFinished(
            thread_id=slot.running_thread_id,
            run_id=run_id,
            check=slot.check.name,
            command=slot.check.command,
            state=state,
            duration=time.monotonic() - slot.running_since,
            exit_code=exit_code,
            output=output[-OUTPUT_KEEP:],
            locations=[loc.to_dict() for loc in locations],
            change_set_id=change_set_id,
        )

    def _locations(self, check: Check, output: str) -> list:
        found = parse_locations(output, check.command, self.root)
        files = (p.as_posix() for p in itertools.islice(IgnoreRules(self.root).walk(), 50_000))
        return resolve_paths(found, self.root, files)

    # --- shutting down ----------------------------------------------------------------------

    async def close(self) -> None:
        """Stop consuming changes, cancel queued and running checks, end subscriptions."""
        for consumer in self._consumers:
            consumer.cancel()
        tasks = []
        for slot in self._slots.values():
            if slot.timer is not None:
                slot.timer.cancel()
                slot.timer = None
            slot.queued_run_id = ""
            if slot.task is not None and not slot.task.done():
                self._cancel_running(slot)
                tasks.append(slot.task)
        await asyncio.gather(*self._consumers, *tasks, return_exceptions=True)
        self._consumers.clear()
        self._idle.set()
        self._progress.set()
        self._events.close()


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)

"""Change sets, the session's only way to write the project's files: propose one for review
(the model's, a patch file's, one an earlier run left pending), decide it per hunk, apply it,
undo and redo it, and put back what a crash interrupted. Each step is an event in the thread
the change set belongs to (the journal keeps each change set's thread), and each write tells
the runtime (the index takes the files in, the checks they trigger run).

The patch engine (rigtui.edits.engine) is synchronous and holds the project's writer lock
across processes; it runs in a worker thread, and a wait for another rigtui's lock is said in
the thread as a Notice."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path

from rigtui.agent.approvals import Approvals, ReviewRequest
from rigtui.edits import engine
from rigtui.edits.engine import PatchConflict
from rigtui.edits.errors import PatchRefused
from rigtui.edits.journal import JournalEntry
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, file_mode_text, prepare
from rigtui.errors import RigtuiError
from rigtui.protocol import (
    AUTO_APPLY,
    Decision,
    Event,
    Notice,
    PatchApplied,
    PatchDecided,
    PatchProposed,
    PatchRecovered,
    PatchRedone,
    PatchUndone,
    ProposedFile,
)
from rigtui.protocol import (
    PatchRefused as PatchRefusedEvent,
)
from rigtui.session.background import Background
from rigtui.session.runtime import ProjectRuntime

Emit = Callable[[Event], Awaitable[None]]
Stored = Callable[[str], Awaitable[bool]]  # whether a thread id is one of this project's


def proposed_event(
    proposal: Proposal, *, thread_id: str = "", origin: str = "model"
) -> PatchProposed:
    files: list[ProposedFile] = [
        {
            "path": pf.source,
            "kind": pf.change.kind,
            "move_to": pf.change.move_to,
            "added": pf.change.added,
            "removed": pf.change.removed,
            "mode": file_mode_text(pf),  # "" unless the file's mode is set or changed
            "hunks": pf.hunk_ids,
        }
        for pf in proposal.files
    ]
    return PatchProposed(
        thread_id=thread_id,
        change_set_id=proposal.id,
        files=files,
        patch=proposal.change_set.source,
        origin=origin,
    )


class ChangeSets:
    def __init__(
        self,
        root: Path,
        runtime: ProjectRuntime,
        approvals: Approvals,
        emit: Emit,
        known_thread: Stored,
    ) -> None:
        self.root = root
        self.runtime = runtime
        self.approvals = approvals
        self._emit = emit
        self._known_thread = known_thread
        self._background = Background()

    @property
    def policy(self) -> str:
        return self.runtime.settings.approval.patches

    # --- review ---------------------------------------------------------------------------

    async def review(
        self, proposal: Proposal, *, thread_id: str, origin: str = "model", person: bool = False
    ) -> tuple[Proposal, Decision]:
        """Propose the change set in the thread and wait for its decision (the `auto-apply`
        policy decides the model's at once, unless `person` says a person must: a read-only
        project's captured writes). Returns the proposal with the person's edited hunks in it
        and the decision with every hunk accepted or rejected; a pending decision comes back as
        it is. A bad edit raises RigtuiError (nothing decided)."""
        if self.policy == AUTO_APPLY and origin == "model" and not person:
            await self._emit(proposed_event(proposal, thread_id=thread_id, origin=origin))
            decision = Decision(policy=AUTO_APPLY)
        else:
            request = ReviewRequest(proposal.id, thread_id, proposal=proposal, origin=origin)
            self.approvals.open(request)
            try:
                await self._emit(proposed_event(proposal, thread_id=thread_id, origin=origin))
                decision = await self.approvals.wait(request)
            finally:
                self.approvals.close(request)
        if decision.pending:
            return proposal, decision
        for hunk_id, text in decision.edited.items():
            try:
                proposal = proposal.with_edited_hunk(hunk_id, text)
            except RigtuiError as exc:
                raise RigtuiError(f"the user's edit of hunk {hunk_id} does not fit: {exc}") from exc
        every = proposal.hunk_ids()
        accepted = every if decision.accepted is None else list(decision.accepted)
        taken = set(accepted)  # a release diff has thousands of hunks: no list scans
        decision = dataclasses.replace(
            decision, accepted=accepted, rejected=[h for h in every if h not in taken]
        )
        await self._emit(
            PatchDecided(
                thread_id=thread_id,
                change_set_id=proposal.id,
                accepted=list(accepted),
                rejected=list(decision.rejected),
                comments=dict(decision.comments),
                edited=dict(decision.edited),
                policy=decision.policy,
            )
        )
        return proposal, decision

    def review_request(self, change_set_id: str) -> ReviewRequest | None:
        return self.approvals.review(change_set_id)

    async def propose_text(
        self, text: str, *, thread_id: str, strip: int | None = None, origin: str = "file",
        change_set_id: str = "",
    ) -> Proposal:  # fmt: skip
        """Prepare a patch for review in the thread; a person decides it with `DecidePatch`
        and it is applied then. Raises for a malformed patch or one that does not fit."""

        def prepared() -> Proposal:
            change_set = parse_patch(text, strip=strip, root=self.root)
            if change_set_id:  # reviewed again: the same change set as the thread knows it
                change_set = dataclasses.replace(change_set, id=change_set_id)
            return prepare(self.root, change_set)

        proposal = await asyncio.to_thread(prepared)
        self._background.spawn(self._review_and_apply(proposal, thread_id, origin))
        return proposal

    async def _review_and_apply(self, proposal: Proposal, thread_id: str, origin: str) -> None:
        """A person's review of a change set no task waits for: apply what they accept; when
        the files changed meanwhile but the hunks still match, ask once more (the request
        stays open with `rebase_offered`) and apply it re-based on a yes."""
        try:
            proposal, decision = await self.review(proposal, thread_id=thread_id, origin=origin)
        except RigtuiError as exc:
            await self._emit(Notice(thread_id=thread_id, text=f"not applied: {exc}"))
            return
        if decision.pending or not decision.accepted:
            return
        while True:
            try:
                await self.apply(proposal, decision, thread_id=thread_id, origin=origin)
                return
            except PatchConflict as exc:
                if exc.rebased is None or decision.rebase:
                    return
                offer = ReviewRequest(
                    proposal.id, thread_id, proposal=proposal, origin=origin, rebase_offered=True
                )
                self.approvals.open(offer)
                answer = await self.approvals.wait(offer)
                if not answer.rebase:
                    return
                decision = dataclasses.replace(decision, rebase=True)
            except RigtuiError:  # recorded in the thread as PatchRefused
                return

    # --- writes ---------------------------------------------------------------------------

    async def apply(
        self, proposal: Proposal, decision: Decision, *, thread_id: str, origin: str = "model"
    ) -> engine.ApplyResult:
        """Write the accepted hunks and journal them under the thread; PatchApplied, or
        PatchRefused (and the error raised) when nothing could be written. Once the write has
        started it finishes and is recorded, even if the caller is cancelled meanwhile."""
        accepted = None if decision.accepted is None else set(decision.accepted)
        notes = _WaitNotes(self._emit, thread_id)
        write = asyncio.ensure_future(
            asyncio.to_thread(
                engine.apply_proposal, proposal, accepted, thread_id=thread_id,
                allow_rebase=decision.rebase, on_wait=notes.on_wait,
            )
        )  # fmt: skip
        try:
            result = await asyncio.shield(write)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self._applied(await write, thread_id, origin)
            raise
        except PatchRefused as exc:
            await notes.flush()
            await self._emit(
                PatchRefusedEvent(
                    thread_id=thread_id,
                    change_set_id=proposal.id,
                    message=exc.message,
                    fix=exc.fix or "",
                    conflict_paths=list(getattr(exc, "paths", [])),
                    can_rebase=getattr(exc, "rebased", None) is not None,
                )
            )
            raise
        await notes.flush()
        await self._applied(result, thread_id, origin)
        return result

    async def _applied(self, result: engine.ApplyResult, thread_id: str, origin: str) -> None:
        await self._emit(
            PatchApplied(
                thread_id=thread_id,
                change_set_id=result.change_set_id,
                paths=result.paths,
                accepted=result.accepted,
                rejected=result.rejected,
                rebased=result.rebased,
                origin=origin,
            )
        )
        self.runtime.files_changed(result.change_set_id, result.paths, thread_id)

    async def undo(
        self, change_set_id: str | None = None, *, force: bool = False, asked_in: str = ""
    ) -> JournalEntry:
        """Restore the files of the last applied change set (or the one named); PatchUndone
        goes to the thread it belongs to. Raises (nothing changed) when it cannot."""
        return await self._swap(engine.undo, change_set_id, force, asked_in)

    async def redo(
        self, change_set_id: str | None = None, *, force: bool = False, asked_in: str = ""
    ) -> JournalEntry:
        return await self._swap(engine.redo, change_set_id, force, asked_in)

    async def _swap(
        self,
        action: Callable[..., JournalEntry],
        change_set_id: str | None,
        force: bool,
        asked_in: str,
    ) -> JournalEntry:
        notes = _WaitNotes(self._emit, asked_in)
        try:
            entry = await asyncio.to_thread(
                action, self.root, change_set_id, force=force, on_wait=notes.on_wait
            )
        finally:
            await notes.flush()
        kind = PatchUndone if action is engine.undo else PatchRedone
        thread_id = entry.thread_id if await self._known_thread(entry.thread_id) else ""
        await self._emit(
            kind(
                thread_id=thread_id,
                change_set_id=entry.id,
                paths=list(entry.paths),
                forced=force,
                kept_id=entry.kept_id,
            )
        )
        self.runtime.files_changed(entry.id, list(entry.paths), thread_id, checks=False)
        return entry

    async def recover(self) -> list[str]:
        """Put back what a crash interrupted (before anything reads the files); each thread
        whose change set it was learns it."""
        recovered = await asyncio.to_thread(engine.recover, self.root)
        if recovered:
            entries = {e.id: e for e in await asyncio.to_thread(engine.history, self.root)}
            by_thread: dict[str, list[str]] = {}
            for change_set_id in recovered:
                entry = entries.get(change_set_id)
                owner = entry.thread_id if entry is not None else ""
                owner = owner if await self._known_thread(owner) else ""
                by_thread.setdefault(owner, []).append(change_set_id)
            for thread_id, ids in by_thread.items():
                await self._emit(PatchRecovered(thread_id=thread_id, change_set_ids=ids))
        return recovered

    async def close(self) -> None:
        await self._background.finish(cancel=True)


class _WaitNotes:
    """What the writer lock says while another rigtui writes: told in the thread at once (a
    front end shows it while the write waits), from the worker thread the engine runs in."""

    def __init__(self, emit: Emit, thread_id: str) -> None:
        self._emit, self.thread_id = emit, thread_id
        self._loop = asyncio.get_running_loop()
        self._said: list[concurrent.futures.Future[None]] = []

    def on_wait(self, text: str) -> None:  # from the worker thread
        notice = Notice(thread_id=self.thread_id, text=text)
        self._said.append(asyncio.run_coroutine_threadsafe(self._emit(notice), self._loop))

    async def flush(self) -> None:
        """Until what was said is in the thread (before the outcome is)."""
        said, self._said = self._said, []
        for future in said:
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(future)

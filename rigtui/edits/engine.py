"""Apply, undo, redo and recover change sets: the journal plus atomic replacement.

    proposal = prepare(root, parse_patch(text))
    result = apply_proposal(proposal, accepted={"1.1", "2.1"})   # None: every hunk
    undo(root)            # the last applied change set, byte for byte
    redo(root)
    recover(root)         # call once at start: finishes what a crash interrupted

Everything is synchronous and quick (small files, one SQLite database); async callers run it
with `asyncio.to_thread`. Writers hold the project's writer lock (rigtui.edits.lock), so two
rigtui processes never interleave, and recovery never mistakes another's work for a crash.
`on_wait` is told once when another process holds the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from rigtui.display import safe_name
from rigtui.edits import atomic
from rigtui.edits.errors import PatchRefused
from rigtui.edits.fsops import Entry
from rigtui.edits.journal import Journal, JournalEntry, journal_path
from rigtui.edits.lock import writer_lock
from rigtui.edits.model import new_change_set_id
from rigtui.edits.prepare import FileWrite, Proposal, prepare

WaitCallback = Callable[[str], None] | None


class PatchConflict(PatchRefused):
    """Files changed since the change set was proposed (or since it was applied, for undo).
    `rebased` is a fresh proposal when every hunk still matches the new content."""

    def __init__(
        self,
        message: str,
        *,
        paths: list[str],
        rebased: Proposal | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.paths = paths
        self.rebased = rebased


@dataclass(frozen=True)
class ApplyResult:
    change_set_id: str
    paths: list[str]
    accepted: list[str]
    rejected: list[str]
    rebased: bool = False
    notes: list[str] = field(default_factory=list)


def changed_since_proposal(proposal: Proposal) -> list[str]:
    """Paths whose content or mode on disk is no longer what the proposal was made from.
    A file whose lstat is as it was when read is not read again."""
    moved = atomic.changed_signatures(proposal.root, proposal.snapshot)
    now = atomic.read_current(proposal.root, moved)
    return [
        path
        for path in moved
        if now[path].data != proposal.snapshot[path].data
        or now[path].mode != proposal.snapshot[path].mode
    ]


def rebase(proposal: Proposal) -> Proposal | None:
    """The same change set located afresh on the current files, or None if it no longer fits."""
    try:
        return prepare(proposal.root, proposal.change_set)
    except PatchRefused:
        return None


def apply_proposal(
    proposal: Proposal,
    accepted: set[str] | None = None,
    *,
    summary: str = "",
    thread_id: str = "",
    allow_rebase: bool = False,
    on_wait: WaitCallback = None,
) -> ApplyResult:
    """Apply the accepted hunks (all when None) atomically and journal them. Refuses, changing
    nothing, when a file changed since the proposal (`PatchConflict`, with `.rebased` set when
    the hunks still match: pass `allow_rebase=True` or apply `.rebased` to go ahead)."""
    with writer_lock(proposal.root, on_wait=on_wait):
        _recover(proposal.root)
        return _apply(proposal, accepted, summary, thread_id, allow_rebase)


def _apply(
    proposal: Proposal,
    accepted: set[str] | None,
    summary: str,
    thread_id: str,
    allow_rebase: bool,
) -> ApplyResult:
    root = proposal.root
    changed = changed_since_proposal(proposal)
    rebased = False
    if changed:
        fresh = rebase(proposal)
        if fresh is None or not allow_rebase:
            raise _conflict(changed, fresh)
        proposal, rebased = fresh, True
    all_ids = proposal.hunk_ids()
    chosen = set(all_ids) if accepted is None else set(accepted) & set(all_ids)
    writes = proposal.writes(chosen)
    if not writes:
        raise PatchRefused("no hunk was accepted: nothing to apply", fix="accept at least one hunk")
    _run(root, proposal.id, writes, summary or summarise(writes), thread_id,
         proposal.change_set.source, sorted(chosen))  # fmt: skip
    return ApplyResult(
        proposal.id,
        [w.path for w in writes],
        [i for i in all_ids if i in chosen],
        [i for i in all_ids if i not in chosen],
        rebased,
    )


def _conflict(changed: list[str], fresh: Proposal | None) -> PatchConflict:
    listed = ", ".join(safe_name(p) for p in changed)
    if fresh is not None:
        return PatchConflict(
            f"changed since the patch was proposed: {listed}; its hunks still match the new"
            " content",
            paths=changed,
            rebased=fresh,
            fix="review it again, or re-base it onto the new content",
        )
    return PatchConflict(
        f"changed since the patch was proposed: {listed}; its hunks no longer match",
        paths=changed,
        fix="ask the model for a new patch against the current files",
    )


def summarise(writes: list[FileWrite]) -> str:
    names = [safe_name(w.path) for w in writes]
    head = ", ".join(names[:3])
    return head + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _run(root: Path, cs_id: str, writes: list[FileWrite], summary: str, thread_id: str,
         patch: str, accepted: list[str]) -> None:  # fmt: skip
    created = atomic.missing_folders(root, writes)
    with Journal.for_root(root) as journal:
        # A large change set is staged while the journal records it (both wait on the disk).
        many = len(writes) > atomic.BATCH_FILES
        staging = atomic.start_staging(root, writes, cs_id, created) if many else None
        try:
            journal.begin(cs_id, writes, summary=summary, thread_id=thread_id, patch=patch,
                          accepted=accepted, created_dirs=created)  # fmt: skip
        except BaseException:  # a known id is PatchRefused (the journal says so)
            if staging is not None:
                staging.discard()
            raise
        try:
            if staging is not None:
                staging.finish()
            else:
                atomic.replace_all(root, writes, cs_id)
        except BaseException:
            journal.set_state(cs_id, "rolled_back")
            raise
        journal.set_state(cs_id, "applied")


def _pick(journal: Journal, change_set_id: str | None, state: str, verb: str) -> JournalEntry:
    if change_set_id is None:
        entry = journal.last_applied() if state == "applied" else journal.last_redoable()
        if entry is None:
            raise PatchRefused(f"nothing to {verb}", fix="`rigtui history` lists change sets")
        return entry
    entry = journal.entry(change_set_id)
    if entry is None:
        raise PatchRefused(f"no change set {change_set_id!r} in this project's journal")
    if entry.state != state:
        raise PatchRefused(f"change set {change_set_id} is {entry.state}, so it cannot be {verb}ne")
    return entry


def _reverse(
    root: Path, writes: list[FileWrite], force: bool, verb: str
) -> tuple[list[FileWrite], list[str]]:
    """Writes that take each file from `after` back to `before`, after checking nothing else
    changed it (unless forced), and the paths that did change."""
    now = atomic.read_current(root, [w.path for w in writes])
    current = {path: entry.data for path, entry in now.items()}
    modes = {path: entry.mode for path, entry in now.items()}
    changed = [
        w.path
        for w in writes
        if current[w.path] != w.after or _mode_moved(modes[w.path], w.after_mode)
    ]
    if changed and not force:
        raise PatchConflict(
            f"cannot {verb}: changed since: {', '.join(safe_name(p) for p in changed)}",
            paths=changed,
            fix=f"use --force to {verb} anyway (their newer content is kept in the journal,"
            " and `rigtui redo` brings it back)",
        )
    # `before_mode` is the file's actual mode, so a forced undo keeps what it really overwrote.
    plan = [
        FileWrite(w.path, current[w.path], w.before, modes[w.path], w.before_mode)
        for w in reversed(writes)
    ]
    return plan, changed


def _mode_moved(now: int | None, recorded: int | None) -> bool:
    """Whether someone chmodded the file since: any permission bit counts, as when a change
    set is applied (changed_since_proposal), so an undo never silently reverts a chmod."""
    return now is not None and recorded is not None and now != recorded


def _keep_overwritten(
    journal: Journal, plan: list[FileWrite], changed: list[str], cs_id: str, verb: str
) -> str:
    """Journal the newer content a forced undo/redo is about to overwrite, as an undone change
    set of its own: `rigtui redo` brings it back. Returns its id."""
    kept = [FileWrite(w.path, w.after, w.before, w.after_mode, w.before_mode)
            for w in plan if w.path in changed]  # fmt: skip
    kept_id = new_change_set_id()
    summary = f"newer content of {summarise(kept)}, kept before a forced {verb} of {cs_id}"
    journal.begin(kept_id, kept, summary=summary, undone=True)
    return kept_id


def undo(
    root: Path,
    change_set_id: str | None = None,
    *,
    force: bool = False,
    on_wait: WaitCallback = None,
) -> JournalEntry:
    """Restore the files of the last applied change set (or the one named) byte for byte."""
    return _swap(Path(root).resolve(), change_set_id, force, "applied", "undo", on_wait)


def redo(
    root: Path,
    change_set_id: str | None = None,
    *,
    force: bool = False,
    on_wait: WaitCallback = None,
) -> JournalEntry:
    """Re-apply the change set undone last (or the one named)."""
    return _swap(Path(root).resolve(), change_set_id, force, "undone", "redo", on_wait)


def _swap(
    root: Path, cs_id: str | None, force: bool, state: str, verb: str, on_wait: WaitCallback
) -> JournalEntry:
    with writer_lock(root, on_wait=on_wait):
        _recover(root)
        with Journal.for_root(root) as journal:
            return _swap_locked(journal, root, cs_id, force, state, verb)


def _swap_locked(
    journal: Journal, root: Path, cs_id: str | None, force: bool, state: str, verb: str
) -> JournalEntry:
    entry = _pick(journal, cs_id, state, verb)
    writes = journal.writes(entry.id)
    if verb == "redo":  # going forward: from before to after
        writes = _flip(writes)
    plan, changed = _reverse(root, writes, force, verb)
    kept_id = _keep_overwritten(journal, plan, changed, entry.id, verb) if changed else ""
    busy, done = ("undoing", "undone") if verb == "undo" else ("redoing", "applied")
    journal.set_state(entry.id, busy)
    try:
        if verb == "undo":  # the folders the apply made go with the files it added
            atomic.replace_all(root, plan, entry.id, prune_emptied=False,
                               prune_created=entry.created_dirs)  # fmt: skip
        else:
            atomic.replace_all(root, plan, entry.id)
    except BaseException:
        journal.set_state(entry.id, state)
        if kept_id:  # nothing was overwritten after all: nothing to bring back
            journal.set_state(kept_id, "rolled_back")
        raise
    journal.set_state(entry.id, done)
    if kept_id:  # the newest undone: a plain `rigtui redo` brings the newer content back
        journal.set_state(kept_id, "undone")
    return replace(journal.entry(entry.id) or entry, kept_id=kept_id)


def _flip(writes: list[FileWrite]) -> list[FileWrite]:
    return [FileWrite(w.path, w.after, w.before, w.after_mode, w.before_mode) for w in writes]


def recover(root: Path) -> list[str]:
    """Finish what a crash interrupted: each change set caught mid-way is put back to where it
    started. Returns their ids. A file whose content is neither side is left alone. Runs only
    when no other rigtui is writing to the project (its change set is in flight, not
    crashed): then it returns [] at once."""
    root = Path(root).resolve()
    if not journal_path(root).exists():
        return []
    with writer_lock(root, wait=0) as held:
        return _recover(root) if held else []


def _recover(root: Path) -> list[str]:
    """`recover`, with the writer lock held."""
    if not journal_path(root).exists():
        return []
    recovered = []
    with Journal.for_root(root) as journal:
        for entry in journal.busy():
            writes = journal.writes(entry.id)
            if entry.state == "undoing":  # back to after
                writes = _flip(writes)
            now = atomic.read_current(root, [w.path for w in writes])
            back = [w for w in writes if _needs_restore(w, now[w.path])]
            if entry.state == "undoing":  # forward again, as the apply left it
                atomic.restore(root, back, entry.id, prune_emptied=True)
            else:
                atomic.restore(root, back, entry.id, prune_created=entry.created_dirs)
            atomic.remove_stale_temps(root, [w.path for w in writes])
            final = {"applying": "rolled_back", "undoing": "applied", "redoing": "undone"}
            journal.set_state(entry.id, final[entry.state])
            recovered.append(entry.id)
    atomic.remove_staging_leftovers(root)  # a crash before its change set was journaled
    return recovered


def _needs_restore(w: FileWrite, now: Entry) -> bool:
    if now.data != w.after:
        return False
    if now.data != w.before:
        return True
    # Same bytes on both sides (a mode change alone): the mode tells which side is on disk.
    return w.before_mode != w.after_mode == now.mode


def history(root: Path) -> list[JournalEntry]:
    root = Path(root).resolve()
    if not journal_path(root).exists():
        return []
    with Journal.for_root(root) as journal:
        return journal.history()

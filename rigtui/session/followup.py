"""What follows an applied change set, the same for every front end: the checks its files
trigger run (rigtui.session.runtime), each result is stored in the change set's thread, and
with `[checks] auto_fix_rounds = N` a failure goes back to the model, up to N rounds in a row.
Checks that may not run on their own (an untrusted project's, detected ones) are not run; the
task that triggered them is told why, once, when it ends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from rigtui.checks.feedback import AutoFixRounds, failure_message
from rigtui.checks.spec import configured_checks
from rigtui.config import Settings
from rigtui.protocol import CheckFinished, Event, Notice, TaskEnded
from rigtui.trust import trust_command

Emit = Callable[[Event], Awaitable[None]]
Send = Callable[[str, str], None]  # (thread id, text): a new message in the thread


class CheckFollowUp:
    def __init__(self, settings: Settings, root: Path, emit: Emit, send: Send) -> None:
        self.settings = settings
        self.root = root
        self._emit = emit
        self._send = send
        self._rounds: dict[str, AutoFixRounds] = {}

    async def finished(self, event: CheckFinished) -> None:
        """A check run linked to a thread's change set ended: into the thread it goes."""
        await self._emit(event)
        rounds = self._rounds.setdefault(
            event.thread_id, AutoFixRounds(self.settings.checks.auto_fix_rounds)
        )
        rounds.record(event)
        if event.failed and rounds.try_start_round():
            note = f"\n\n(auto-fix round {rounds.used} of {rounds.limit})"
            self._send(event.thread_id, failure_message(event) + note)

    async def task_ended(self, ended: TaskEnded) -> None:
        """Say which of the checks the task's edits trigger are not run on their own."""
        if not ended.changed_files:
            return
        changed = ended.changed_files
        triggered = [c for c in configured_checks(self.settings) if c.triggered_by(changed)]
        untrusted = [c.name for c in triggered if not c.trusted]
        if not untrusted:
            return
        trust = self.settings.trust
        file = trust.file.name if trust else "the project's settings"
        how = f"`{trust_command(self.root)}` lets them run on their own"
        await self._emit(
            Notice(
                thread_id=ended.thread_id,
                text=f"not running check(s) {', '.join(untrusted)} after the task's edits: they"
                f" come from {file}, which is not trusted ({how}; `rigtui check` runs them now)",
            )
        )

"""What a command did to the project: snapshot file mtimes, sizes and permission bits (skipping
what the ignore rules skip) before and after, and report the difference as an
`ArtifactsDetected` event."""

from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from rigtui.ignore import IgnoreRules
from rigtui.protocol import ArtifactsDetected
from rigtui.sandbox.base import OutputCallback, RunRequest, RunResult, Sandbox
from rigtui.sandbox.policy import command_text

Snapshot = dict[str, tuple[int, int, int]]  # relative posix path -> (mtime_ns, size, mode)


def snapshot(root: Path, rules: IgnoreRules | None = None) -> Snapshot:
    rules = rules or IgnoreRules(root)
    out: Snapshot = {}
    for rel in rules.walk(follow_symlinks=False):
        try:
            st = os.stat(rules.root / rel)
        except OSError:
            continue  # vanished between listing and stat
        out[rel.as_posix()] = (st.st_mtime_ns, st.st_size, stat.S_IMODE(st.st_mode))
    return out


@dataclass(frozen=True)
class Changes:
    created: list[str]
    changed: list[str]
    deleted: list[str]

    def __bool__(self) -> bool:
        return bool(self.created or self.changed or self.deleted)


def compare(before: Snapshot, after: Snapshot) -> Changes:
    return Changes(
        created=sorted(after.keys() - before.keys()),
        changed=sorted(k for k in after.keys() & before.keys() if after[k] != before[k]),
        deleted=sorted(before.keys() - after.keys()),
    )


async def run_tracked(
    sandbox: Sandbox,
    request: RunRequest,
    root: Path,
    on_output: OutputCallback | None = None,
    *,
    thread_id: str = "",
    task_id: str = "",
) -> tuple[RunResult, ArtifactsDetected | None]:
    """Run `request` and report the project files it created, changed or deleted (None when
    it touched nothing, and always for a read-only sandbox: its writes are in `captured`)."""
    if sandbox.read_only:  # the project cannot change: no need to walk it twice
        return await sandbox.run(request, on_output), None
    rules = IgnoreRules(root)
    before = await asyncio.to_thread(snapshot, root, rules)
    result = await sandbox.run(request, on_output)
    after = await asyncio.to_thread(snapshot, root, rules)
    changes = compare(before, after)
    if not changes:
        return result, None
    event = ArtifactsDetected(
        thread_id=thread_id,
        task_id=task_id,
        command=command_text(request.command),
        sandbox=result.sandbox or sandbox.name,
        created=changes.created,
        changed=changes.changed,
        deleted=changes.deleted,
    )
    return result, event

"""`rigtui task diff|apply|discard ID`: one isolated task's pending change set.

- `diff` prints it as a unified diff against the project as it is now (rebased three-way where
  the project moved on; a conflict is shown between markers and named on stderr); exit 1 when
  nothing is left to apply.
- `apply` reviews it (in the terminal) and applies what is accepted, journaled and undoable;
  `--yes` applies every hunk, and refuses (exit 1, nothing changed) when there is a conflict.
  The task is then `applied` and its workspace removed.
- `discard` drops it and its workspace."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rigtui.commands._common import note, project_root
from rigtui.commands._session import one_shot
from rigtui.display import safe_name
from rigtui.errors import BadInput, RigtuiError
from rigtui.protocol import (
    DecidePatch,
    Decision,
    DiscardIsolated,
    PatchProposed,
    PatchRefused,
    ReviewIsolated,
)
from rigtui.protocol.isolated import APPLIED
from rigtui.session import Session

NAME = "task"
HELP = "show (diff), apply or discard an isolated task's change set"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (
        ("diff", "print the task's change set as a unified diff"),
        ("apply", "review the task's change set and apply it (undo with `rigtui undo`)"),
        ("discard", "drop the task's change set and its workspace"),
    ):
        sub = actions.add_parser(name, help=text, description=text)
        sub.add_argument("id", help="the task's id (see `rigtui tasks`)")
        sub.add_argument("--path", default=".", help="project folder (default: .)")
        if name == "apply":
            sub.add_argument("--yes", action="store_true", help="apply every hunk, no review")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    if args.action == "diff":
        return asyncio.run(_diff(root, args.id))
    if args.action == "discard":
        return asyncio.run(_discard(root, args.id))
    return asyncio.run(_apply(root, args.id, yes=args.yes))


async def _diff(root: Path, task_id: str) -> int:
    session = await Session.open(root)
    try:
        await session.isolated.recover()  # a start: a dead rigtui's task becomes reviewable
        rebased = await session.isolated.preview(task_id)
    finally:
        await session.close()
    sys.stdout.write(rebased.patch)
    for path in rebased.merged:
        note(f"{safe_name(path)}: rebased on the project's changes")
    for c in rebased.conflicts:
        where = "between conflict markers" if c.in_patch else "left out of the diff"
        note(f"CONFLICT in {safe_name(c.path)}: {c.reason} ({where})")
    return 0 if rebased.patch else 1


async def _discard(root: Path, task_id: str) -> int:
    async with one_shot(root) as shot:
        await shot.session.isolated.recover()
        await shot.session.send(DiscardIsolated("", task_id))
    print(f"discarded task {task_id} and its workspace")
    return 0


async def _apply(root: Path, task_id: str, *, yes: bool) -> int:
    async with one_shot(root) as shot:
        session = shot.session
        await session.isolated.recover()
        task = await session.isolated.task(task_id)  # an unknown id is said first
        if not yes and (not sys.stdin.isatty() or not sys.stdout.isatty()):
            raise BadInput(
                "the review needs a terminal, and stdin/stdout is not one",
                fix=f"pass --yes to apply every hunk, or `rigtui task diff {task.id}` to see it",
            )
        rebased = await session.isolated.preview(task.id)
        if yes and rebased.conflicts:
            names = ", ".join(safe_name(c.path) for c in rebased.conflicts)
            raise RigtuiError(
                f"task {task.id} conflicts with the project's changes in {names}; nothing applied",
                fix=f"review it in a terminal (`rigtui task apply {task.id}`) or in the workbench",
            )
        await session.send(ReviewIsolated(task.thread_id, task.id))
        proposed = await shot.wait_for(PatchProposed)
        assert isinstance(proposed, PatchProposed)
        decision = Decision()
        if not yes:
            request = session.review_request(proposed.change_set_id)
            assert request is not None and request.proposal is not None
            from rigtui.ui.review_app import review  # late: only the review loads Textual

            outcome = await review(request.proposal)
            if outcome is None:
                await session.send(DecidePatch(task.thread_id, proposed.change_set_id,
                                               Decision(pending=True)))  # fmt: skip
                print("review cancelled: nothing changed")
                return 1
            decision = outcome[1]
        await session.send(DecidePatch(task.thread_id, proposed.change_set_id, decision))
        await session.isolated.wait_idle()  # the review's apply, and the workspace's removal
        after = await session.isolated.task(task.id)
        refused = [e for e in shot.events if isinstance(e, PatchRefused)]
    if after.state != APPLIED:
        reason = refused[-1].message if refused else "no hunk was accepted"
        raise RigtuiError(
            f"task {task.id} was not applied: {reason}", fix=refused[-1].fix if refused else None
        )
    print(f"applied task {task.id}: {', '.join(map(safe_name, after.files))}")
    print("undo with `rigtui undo`")
    return 0

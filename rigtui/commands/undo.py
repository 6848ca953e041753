"""`rigtui undo`: restore the files of the last applied change set, byte for byte. The session
does it, so the thread the change set came from records it (and its model is told)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rigtui.commands._common import file_list, project_root
from rigtui.commands._session import one_shot
from rigtui.protocol import PatchRedone, PatchUndone, Redo, Undo

NAME = "undo"
HELP = "undo the last applied change set (from rigtui's journal, not git)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--id", dest="change_set_id", help="a change set id from `rigtui history`")
    parser.add_argument(
        "--force", action="store_true", help="undo even if files changed after the apply"
    )
    parser.add_argument("--redo", action="store_true", help="redo the last undone change set")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    op = Redo if args.redo else Undo
    return asyncio.run(swap(root, op("", args.change_set_id, force=args.force)))


async def swap(root: Path, op: Undo | Redo) -> int:
    async with one_shot(root) as shot:
        await shot.session.send(op)
        done = await shot.wait_for(PatchUndone, PatchRedone)
    assert isinstance(done, PatchUndone | PatchRedone)
    verb = "undid" if isinstance(done, PatchUndone) else "redid"
    print(f"{verb} change set {done.change_set_id}: {file_list(done.paths)}")
    if done.kept_id:
        print(
            f"the newer content it overwrote is kept as change set {done.kept_id}:"
            " `rigtui redo` brings it back"
        )
    return 0

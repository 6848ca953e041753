"""`rigtui apply PATCHFILE`: check, review or apply a patch (apply_patch envelope or unified
diff) to a project. Exit 0 applied, 1 refused or conflict (nothing changed), 2 bad input."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from pathlib import Path

from rigtui.commands._common import file_list, project_root, say_ignored
from rigtui.commands._session import one_shot
from rigtui.display import safe_name
from rigtui.edits.errors import PatchRefused
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare
from rigtui.errors import BadInput
from rigtui.protocol import (
    AUTO_APPLY,
    DecidePatch,
    Decision,
    PatchApplied,
    PatchProposed,
    ProposePatch,
    Recover,
)
from rigtui.protocol import (
    PatchRefused as PatchRefusedEvent,
)

NAME = "apply"
HELP = "review and apply a patch file (apply_patch or unified diff); undoable"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("patchfile", help="the patch file, or - for stdin")
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--check", action="store_true", help="validate and show what would change")
    parser.add_argument("--yes", action="store_true", help="apply every hunk without review")
    parser.add_argument(
        "-p",
        dest="strip",
        type=int,
        metavar="N",
        help="strip N leading folders from a unified diff's names, as `patch -pN` (default:"
        " git's a/ b/, else -p1, or -p0 when the names are the project's own)",
    )


def read_patch(name: str) -> str:
    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(name).expanduser()
        if not path.is_file():
            raise BadInput(f"{path}: no such patch file", fix="pass the path of a patch file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BadInput(f"{path}: cannot be read ({exc.strerror})") from exc
    # A patch is bytes: lines of files in any encoding are matched and written byte for byte.
    return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    text = read_patch(args.patchfile)
    if args.strip is not None and args.strip < 0:
        raise BadInput(f"-p {args.strip}: cannot strip a negative number of folders")
    if not (args.yes or args.check):  # a review: as long as the person likes, GC as usual
        return asyncio.run(_apply(root, text, args))
    # A one-shot run whose many objects (a line each) die by reference counting: the cyclic
    # collector's passes over them are wasted (~5 ms on a 300-file release diff).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return asyncio.run(_apply(root, text, args))
    finally:
        if enabled:
            gc.enable()


async def _apply(root: Path, text: str, args: argparse.Namespace) -> int:
    async with one_shot(root) as shot:
        session = shot.session
        await session.send(Recover(""))  # a crash's leftovers are put back first
        if args.check:
            _print_check(await asyncio.to_thread(_prepared, root, text, args.strip))
            return 0
        auto = not args.yes and say_ignored(session.settings).approval.patches == AUTO_APPLY
        await session.send(ProposePatch("", text, strip=args.strip))  # a bad patch stops here
        proposed = await shot.wait_for(PatchProposed)
        assert isinstance(proposed, PatchProposed)
        cs_id = proposed.change_set_id
        if auto:
            print("approval.patches = auto-apply: applying without review", file=sys.stderr)
        elif not args.yes and (not sys.stdin.isatty() or not sys.stdout.isatty()):
            await session.send(DecidePatch("", cs_id, Decision(pending=True)))
            raise BadInput(
                "the review needs a terminal, and stdin/stdout is not one",
                fix="pass --yes to apply every hunk, or --check to see what would change",
            )
        decision = Decision()
        if not (args.yes or auto):
            request = session.review_request(cs_id)
            assert request is not None and request.proposal is not None
            from rigtui.ui.review_app import review  # late: only the review loads Textual

            outcome = await review(request.proposal)
            if outcome is None:
                await session.send(DecidePatch("", cs_id, Decision(pending=True)))
                print("review cancelled: nothing changed")
                return 1
            decision = outcome[1]  # its edited hunks go in again, into the session's proposal
        await session.send(DecidePatch("", cs_id, decision))
        done = await shot.wait_for(PatchApplied, PatchRefusedEvent)
        if isinstance(done, PatchRefusedEvent):
            if done.can_rebase:  # the files changed meanwhile: no second question here
                await session.send(DecidePatch("", cs_id, Decision(pending=True)))
            raise PatchRefused(done.message, fix=done.fix or None)
    assert isinstance(done, PatchApplied)
    print(f"applied change set {done.change_set_id}: {file_list(done.paths)}")
    if done.rejected:
        print(f"rejected hunks: {', '.join(done.rejected)}")
    print("undo with `rigtui undo`")
    return 0


def _prepared(root: Path, text: str, strip: int | None) -> Proposal:
    return prepare(root, parse_patch(text, strip=strip, root=root))


def _print_check(proposal: Proposal) -> None:
    # Rich's console and the diff renderer only for --check: every command module is imported
    # when the CLI starts (the workbench too), so they load here, when used.
    from rich.console import Console

    from rigtui.edits.render import render_proposal

    # Piped to a file or a program: one line per line, never wrapped at 80 columns.
    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    console.print(render_proposal(proposal))
    replaced = {pf.target for pf in proposal.files if pf.overwrites}
    for write in proposal.writes():
        verb = "create" if write.before is None else "delete" if write.after is None else "modify"
        verb = "replace (Add File over an existing file)" if write.path in replaced else verb
        console.print(f"would {verb} {safe_name(write.path)}", markup=False)
    console.print("patch applies cleanly; nothing was changed (--check)")

"""`rigtui apply PATCHFILE`: check, review or apply a patch (apply_patch envelope or unified
diff) to a project. Exit 0 applied, 1 refused or conflict (nothing changed), 2 bad input."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rigtui.display import safe_name
from rigtui.errors import BadInput

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
    from rigtui.cli import note, project_root, say_ignored
    from rigtui.config import load_settings
    from rigtui.edits.decision import AUTO_APPLY, patch_policy
    from rigtui.edits.engine import apply_proposal, recover
    from rigtui.edits.parse import parse_patch
    from rigtui.edits.prepare import prepare

    root = project_root(args.path)
    text = read_patch(args.patchfile)
    for cs_id in recover(root):
        print(f"recovered change set {cs_id} interrupted by a crash", file=sys.stderr)
    if args.strip is not None and args.strip < 0:
        raise BadInput(f"-p {args.strip}: cannot strip a negative number of folders")
    proposal = prepare(root, parse_patch(text, strip=args.strip, root=root))
    if args.check:
        _print_check(proposal)
        return 0
    accepted: set[str] | None = None
    if not args.yes and patch_policy(root, say_ignored(load_settings(root))) == AUTO_APPLY:
        print("approval.patches = auto-apply: applying without review", file=sys.stderr)
    elif not args.yes:
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            raise BadInput(
                "the review needs a terminal, and stdin/stdout is not one",
                fix="pass --yes to apply every hunk, or --check to see what would change",
            )
        from rigtui.ui.review_app import review  # late: only the review loads Textual

        outcome = review(proposal)
        if outcome is None:
            print("review cancelled: nothing changed")
            return 1
        proposal, decision = outcome
        accepted = set(decision.accepted)
    result = apply_proposal(proposal, accepted, on_wait=note)
    print(f"applied change set {result.change_set_id}: {', '.join(map(safe_name, result.paths))}")
    if result.rejected:
        print(f"rejected hunks: {', '.join(result.rejected)}")
    print("undo with `rigtui undo`")
    return 0


def _print_check(proposal: object) -> None:
    from rich.console import Console

    from rigtui.edits.render import render_proposal

    # Piped to a file or a program: one line per line, never wrapped at 80 columns.
    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    console.print(render_proposal(proposal))  # type: ignore[arg-type]
    replaced = {pf.target for pf in proposal.files if pf.overwrites}  # type: ignore[attr-defined]
    for write in proposal.writes():  # type: ignore[attr-defined]
        verb = "create" if write.before is None else "delete" if write.after is None else "modify"
        verb = "replace (Add File over an existing file)" if write.path in replaced else verb
        console.print(f"would {verb} {safe_name(write.path)}", markup=False)
    console.print("patch applies cleanly; nothing was changed (--check)")

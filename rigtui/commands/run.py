"""`rigtui run -- CMD ...`: run one command through the sandbox layer, stream its output and
exit with its status (124 when it timed out, as timeout(1) does).

Which view of the project the command gets (`--mount`, else `[sandbox] mount`):
- `rw`: the project itself. The setting's default, "capture", is for the model's commands: a
  command you run yourself writes directly, as checks do (`--mount capture` asks for it).
- `capture`: a copy-on-write view; what the command wrote is applied at once as one journaled
  change set, so `rigtui undo` puts the bytes back. Writes under ignored paths are dropped.
- `ro`: a copy-on-write view; nothing is applied: the changes (text and binary) are saved as a
  patch (`--capture FILE`, default in rigtui's data folder) for `rigtui apply`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.commands._common import project_root, say_ignored
from rigtui.config import load_settings
from rigtui.edits.errors import PatchRefused
from rigtui.errors import BadInput
from rigtui.paths import write_atomically
from rigtui.protocol import (
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

if TYPE_CHECKING:
    from rigtui.sandbox.base import RunRequest, Sandbox
    from rigtui.sandbox.capture import Capture

NAME = "run"
HELP = "run one command in the project's sandbox (Docker or local) and exit with its status"
SANDBOXES = ("auto", "docker", "local", "local+bwrap")
TIMED_OUT = 124
KILLED = 137


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = "rigtui run [options] -- CMD [ARG ...]"
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--cwd", help="folder inside the project to run in (default: its root)")
    parser.add_argument(
        "--sandbox", choices=SANDBOXES, help="where it runs (default: settings, then auto)"
    )
    parser.add_argument("--image", help="Docker image (default: [sandbox] image)")
    parser.add_argument(
        "--mount",
        choices=("rw", "capture", "ro"),
        help="rw: the project itself; capture: a copy-on-write view whose writes are applied as"
        " one undoable change set; ro: the same, saved as a patch, not applied (default:"
        ' [sandbox] mount, where "capture" means rw for your own commands)',
    )
    parser.add_argument(
        "--capture", metavar="FILE", help="with a read-only project: where to save the patch"
    )
    parser.add_argument("--timeout", type=float, help="seconds before it is killed")
    parser.add_argument(
        "--shell", action="store_true", help="run the words as one /bin/sh -c command line"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only the command's own output"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")


def _command(args: argparse.Namespace) -> list[str] | str:

    words = list(args.command)
    if words and words[0] == "--":
        words = words[1:]
    if not words:
        raise BadInput("no command given", fix="put it after --, e.g. `rigtui run -- pytest -q`")
    return " ".join(words) if args.shell else words


def _note(text: str) -> None:
    print(f"rigtui run: {text}", file=sys.stderr, flush=True)


def _write(stream: str, text: str) -> None:
    out = sys.stdout if stream == "stdout" else sys.stderr
    out.write(text)
    out.flush()


def run(args: argparse.Namespace) -> int:
    # Every command module is imported when the CLI starts: the sandbox layer (and through it
    # the docker SDK) loads only when a command runs.
    from rigtui.sandbox import RunRequest, get_sandbox

    root = project_root(args.path)
    command = _command(args)
    if args.timeout is not None and args.timeout <= 0:
        raise BadInput(f"--timeout {args.timeout:g}: must be positive", fix="give seconds, e.g. 60")
    settings = say_ignored(load_settings(root), running_checks=True)
    # "capture" in the settings is the model's default; a command you run is yours: rw
    settings.sandbox.mount = args.mount or ("ro" if settings.sandbox.mount == "ro" else "rw")
    cwd = Path(args.cwd) if args.cwd else root
    request = RunRequest(
        command=command,
        cwd=cwd if cwd.is_absolute() else root / cwd,
        timeout=args.timeout if args.timeout is not None else settings.sandbox.timeout,
        output_limit=settings.sandbox.output_limit,
    )
    sandbox = get_sandbox(settings, root, args.sandbox, image=args.image, reuse=False)
    if not args.quiet:
        _note(f"sandbox {sandbox.name}" + (f" ({sandbox.note})" if sandbox.note else ""))
    capture_to = Path(args.capture).resolve() if args.capture else None
    if capture_to is not None and not capture_to.parent.is_dir():  # before, not after, the run
        raise BadInput(
            f"--capture {args.capture}: no folder {capture_to.parent}", fix="create it first"
        )
    read_only = settings.sandbox.mount == "ro"
    return asyncio.run(
        _run(sandbox, request, root, quiet=args.quiet, capture_to=capture_to, read_only=read_only)
    )


async def _run(
    sandbox: Sandbox,
    request: RunRequest,
    root: Path,
    *,
    quiet: bool,
    capture_to: Path | None,
    read_only: bool,
) -> int:
    from rigtui.sandbox.changes import run_tracked  # as in run(): loaded when used
    from rigtui.sandbox.policy import command_text

    try:
        result, artifacts = await run_tracked(sandbox, request, root, _write)
    finally:
        await sandbox.close()
    if not quiet and artifacts is not None:
        for label, paths in (
            ("created", artifacts.created),
            ("changed", artifacts.changed),
            ("deleted", artifacts.deleted),
        ):
            if paths:
                _note(f"{label}: {', '.join(paths)}")
    if result.captured is not None and read_only:
        _report_capture(result.captured, root, capture_to, quiet=quiet)
    elif result.captured is not None:
        await _apply_capture(result.captured, root, command_text(request.command), quiet=quiet)
    if result.truncated and not quiet:
        _note(f"output was cut at {request.output_limit} bytes per stream")
    if result.timed_out:
        _note(f"timed out after {request.timeout:g}s; killed")
        return TIMED_OUT
    if result.exit_code is None:
        return KILLED
    if result.killed and not quiet:
        _note("stopped by a sandbox limit (memory)")
    return result.exit_code


def _report_capture(captured: Capture, root: Path, capture_to: Path | None, *, quiet: bool) -> None:
    """Save the captured changes as a patch (never applied here) and say where."""
    if not quiet:
        for line in captured.summary().splitlines():
            _note(line)
    target = capture_to or _default_capture_file(root)
    if not captured.files:
        if not quiet:
            _note("the project is read-only: no changes to save")
        return

    write_atomically(target, captured.patch())
    _note(f"the project is read-only: changes saved to {target}; review and apply them with"
          f" `rigtui apply {target}`")  # fmt: skip


def _default_capture_file(root: Path) -> Path:
    from rigtui.sandbox.capture import new_capture_path  # as in run(): loaded when used

    path = new_capture_path(root, "run")
    return path.with_name(path.name + ".patch")


async def _apply_capture(captured: Capture, root: Path, command: str, *, quiet: bool) -> None:
    """`--mount capture`: what the command wrote, applied at once as one journaled change set
    (the person ran the command: no review), so `rigtui undo` restores the bytes."""
    from rigtui.commands._session import one_shot  # as in run(): loaded when used

    if not quiet:
        for line in captured.summary().splitlines():
            _note(line)
    if not captured.files:
        return
    async with one_shot(root) as shot:
        await shot.session.send(Recover(""))  # a crash's leftovers are put back first
        await shot.session.send(ProposePatch("", captured.patch(), origin="command"))
        proposed = await shot.wait_for(PatchProposed)
        assert isinstance(proposed, PatchProposed)
        await shot.session.send(DecidePatch("", proposed.change_set_id, Decision()))
        done = await shot.wait_for(PatchApplied, PatchRefusedEvent)
    if isinstance(done, PatchRefusedEvent):
        raise PatchRefused(done.message, fix=done.fix or None)
    assert isinstance(done, PatchApplied)
    added = sum(f["added"] for f in proposed.files)
    removed = sum(f["removed"] for f in proposed.files)
    _note(
        f"command `{command}` changed {_files(len(proposed.files))} (+{added} \u2212{removed}):"
        f" applied as change set {done.change_set_id}; `rigtui undo` restores them"
    )


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"

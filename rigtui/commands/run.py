"""`rigtui run -- CMD ...`: run one command through the sandbox layer, stream its output and
exit with its status (124 when it timed out, as timeout(1) does).

With `[sandbox] mount = "ro"` (or `--mount ro`) the project is not changed: the text changes the
command made are saved as a patch (`--capture FILE`, default in rigtui's data folder) for
`rigtui apply`, and the files are listed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.commands._common import project_root, say_ignored
from rigtui.config import load_settings
from rigtui.errors import BadInput
from rigtui.paths import write_atomically

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
        choices=("rw", "ro"),
        help="the project writable, or read-only with the command's changes captured as a patch"
        " (default: [sandbox] mount)",
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
    if args.mount:
        settings.sandbox.mount = args.mount
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
    return asyncio.run(_run(sandbox, request, root, quiet=args.quiet, capture_to=capture_to))


async def _run(
    sandbox: Sandbox, request: RunRequest, root: Path, *, quiet: bool, capture_to: Path | None
) -> int:
    from rigtui.sandbox.changes import run_tracked  # as in run(): loaded when used

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
    if result.captured is not None:
        _report_capture(result.captured, root, capture_to, quiet=quiet)
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
    """Save the captured text changes as a patch (never applied here) and say where."""
    if not quiet:
        for line in captured.summary().splitlines():
            _note(line)
    target = capture_to or _default_capture_file(root)
    if captured.binary_files:
        folder = target.with_name(target.stem + "-files")
        captured.save_binaries(folder)
        _note(f"binary files saved in {folder}")
    if not captured.files:
        if not quiet:
            _note("the project is read-only: no text changes to save")
        return

    write_atomically(target, captured.patch())
    _note(f"the project is read-only: changes saved to {target}; review and apply them with"
          f" `rigtui apply {target}`")  # fmt: skip


def _default_capture_file(root: Path) -> Path:
    from rigtui.sandbox.capture import new_capture_path  # as in run(): loaded when used

    path = new_capture_path(root, "run")
    return path.with_name(path.name + ".patch")

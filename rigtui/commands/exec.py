"""`rigtui exec "PROMPT"`: run one task without the TUI. Human-readable output, or one JSON
event per line with `--json`. Exit 0 when the task ended done, 1 otherwise, 2 for bad input."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from rigtui.commands._common import project_root, say_ignored
from rigtui.commands._exec_output import Approver, Printer, print_json
from rigtui.config import Settings, apply_overrides, load_settings
from rigtui.display import safe_line, safe_name
from rigtui.errors import BadInput
from rigtui.protocol import (
    CompactThread,
    IsolatedTaskChanged,
    Note,
    Notice,
    SendMessage,
    StartIsolated,
    TaskEnded,
    ThreadCompacted,
)
from rigtui.protocol.isolated import FINISHED, NEEDS_REVIEW, REVIEWABLE
from rigtui.session import Session, launch_folder
from rigtui.session.slash import BuiltinUse, PromptUse, literal, load_prompts, parse

NAME = "exec"
HELP = "run one task with the model, headless (text or --json events)"
APPROVALS = ("review", "auto", "never")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what to do; - reads it from stdin")
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--thread", help="continue this thread (see `rigtui threads`)")
    parser.add_argument(
        "--approve",
        choices=APPROVALS,
        default="review",
        help="change sets and commands: review (ask on the terminal; without one, like never),"
        " auto (apply and run everything), never (leave change sets pending, decline commands)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON event per line")
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="run in a workspace of its own (a git worktree, or a copy) and leave what it"
        " changed pending as one change set: `rigtui task diff|apply|discard ID`",
    )
    parser.add_argument("--model", help="model name for this run")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint for this run")
    parser.add_argument("--profile", help="named model profile from settings")


def run(args: argparse.Namespace) -> int:

    root = project_root(args.path)
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise BadInput(
            "the prompt is empty", fix='pass what to do, e.g. rigtui exec "fix the tests"'
        )
    command = _command(root, prompt.strip(), args)
    settings = apply_overrides(
        load_settings(root), profile=args.profile, model=args.model, base_url=args.base_url
    )
    say_ignored(settings)  # and in the thread (_exec)
    if args.approve == "auto":
        settings.approval.patches = "auto-apply"
        settings.approval.commands = "auto"
    if isinstance(command, BuiltinUse):  # /compact: the only built-in that works headless
        return asyncio.run(_compact(root, settings, args))
    text = command.text if isinstance(command, PromptUse) else literal(prompt.strip())
    return asyncio.run(_exec(root, settings, text, args))


# Where each built-in that needs the workbench has its headless counterpart.
HEADLESS_INSTEAD = {
    "new": "rigtui exec without --thread starts a new thread",
    "fork": "fork it in the workbench (ctrl+l, f)",
    "model": "pass --model or --profile",
    "undo": "run `rigtui undo`",
    "redo": "run `rigtui redo`",
    "checks": "run `rigtui check`",
    "threads": "run `rigtui threads`",
    "help": "the README lists them; custom prompts are in .rigtui/prompts/",
}


def _command(root: Path, prompt: str, args: argparse.Namespace) -> BuiltinUse | PromptUse | None:
    """A `/command` in the prompt: a custom prompt to expand, /compact, or a clear error."""
    command = parse(prompt, load_prompts(root))
    if isinstance(command, BuiltinUse):
        name = command.builtin.name
        if not command.builtin.headless:
            raise BadInput(
                f"/{name} works only in the workbench", fix=HEADLESS_INSTEAD.get(name, "")
            )
        if not args.thread:
            raise BadInput(
                f"/{name} needs the thread to work on",
                fix="pass --thread ID (see `rigtui threads`)",
            )
    return command


async def _compact(root: Path, settings: Settings, args: argparse.Namespace) -> int:
    """`rigtui exec --thread ID /compact`: the thread's older turns summarised now."""
    pinned = settings.model.default if (args.model or args.base_url or args.profile) else None
    session = await Session.open(root, settings=settings, profile=pinned)
    try:
        thread = await session.thread(args.thread)
        printer = None if args.json else Printer(sys.stdout, sys.stderr)
        events = session.subscribe()
        done: list[ThreadCompacted] = []

        async def consume() -> None:
            async for event in events:
                if event.thread_id == thread.id:
                    print_json(event, sys.stdout) if printer is None else printer.show(event)
                    if isinstance(event, ThreadCompacted):
                        done.append(event)

        consumer = asyncio.create_task(consume())
        await session.send(CompactThread(thread.id))
        await session.wait_idle(thread.id)
    finally:
        await session.close()
    with contextlib.suppress(Exception):
        await consumer
    return 0 if done else 1


async def _exec(root: Path, settings: Settings, prompt: str, args: argparse.Namespace) -> int:
    pinned = settings.model.default if (args.model or args.base_url or args.profile) else None
    session = await Session.open(
        root, settings=settings, profile=pinned, working_dir=launch_folder(root)
    )
    try:
        thread = (
            await session.thread(args.thread)
            if args.thread
            else await session.new_thread(_title(prompt))
        )
        printer = None if args.json else Printer(sys.stdout, sys.stderr)
        approver = Approver(session, args.approve, printer)
        said = settings.trust.notice() if settings.trust else ""
        ended: list[TaskEnded] = []
        isolated: list[IsolatedTaskChanged] = []
        events = session.subscribe()

        async def consume() -> None:
            async for event in events:
                if event.thread_id != thread.id:
                    continue
                if printer is None:
                    print_json(event, sys.stdout)
                elif not (isinstance(event, Notice) and event.text == said):  # said on stderr
                    printer.show(event)
                if isinstance(event, TaskEnded):
                    ended.append(event)
                if isinstance(event, IsolatedTaskChanged):
                    isolated.append(event)
                await approver.handle(event)

        consumer = asyncio.create_task(consume())
        # What the workbench gets: a crash's leftovers put back, the watcher, the live index,
        # the checks that follow each applied change set, and their auto-fix rounds.
        await session.start()
        if said:  # what the project file asked for and was ignored: kept in the thread too
            await session.send(Note(thread.id, said))  # --json prints it
        if args.isolated:
            await session.send(StartIsolated(thread.id, prompt))
            await session.isolated.wait_idle()  # the task, in its workspace, and its checks
        else:
            await session.send(SendMessage(thread.id, prompt))
            await session.wait_idle(thread.id)  # the task, its checks, and any auto-fix rounds
    finally:
        await session.close()  # ends the subscription, so the consumer finishes
    with contextlib.suppress(Exception):
        await consumer
    if args.isolated:
        done = bool(ended) and ended[-1].outcome == "done"
        return _isolated_outcome(isolated, done=done, quiet=args.json)
    return 0 if ended and ended[-1].outcome == "done" else 1


def _isolated_outcome(changes: list[IsolatedTaskChanged], *, done: bool, quiet: bool) -> int:
    """What became of the isolated task, and what to do next (stderr: stdout is the task's)."""
    last = changes[-1] if changes else None
    if last is None:
        return 1
    if not quiet:
        if last.state in REVIEWABLE and last.files:
            print(
                f"task {last.task_id} {last.state}: its change set"
                f" ({', '.join(map(safe_name, last.files))})"
                f" waits for review: `rigtui task diff {last.task_id}`, then"
                f" `rigtui task apply {last.task_id}` or `rigtui task discard {last.task_id}`",
                file=sys.stderr,
            )
        else:
            print(f"task {last.task_id} {last.state}: {safe_line(last.summary)}", file=sys.stderr)
    return 0 if done and last.state in (NEEDS_REVIEW, *FINISHED) else 1


def _title(prompt: str) -> str:
    line = prompt.splitlines()[0]
    return line if len(line) <= 60 else line[:59] + "…"

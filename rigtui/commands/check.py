"""`rigtui check`: run the project's checks once (exit 1 when one fails), or keep watching and
print one line (or one JSON event) per run. The user asked for exactly this, so the checks of a
project whose settings are not trusted run too (its other untrusted settings stay ignored)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from rigtui.checks.spec import HOW_TO_CONFIGURE, checks_for, confirm_checks
from rigtui.commands._common import project_root, say_ignored
from rigtui.config import load_settings
from rigtui.display import safe_line, safe_name
from rigtui.errors import BadInput
from rigtui.protocol import CheckFinished

NAME = "check"
HELP = "run the project's checks once, or re-run them as files change (--watch)"
SANDBOXES = ("auto", "docker", "local", "local+bwrap")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", default=".", help="project folder (default: .)")
    parser.add_argument("--watch", action="store_true", help="keep running checks as files change")
    parser.add_argument("--json", action="store_true", help="print one JSON event per run")
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this check")
    parser.add_argument(
        "--sandbox", choices=SANDBOXES, help="where checks run (default: settings, then auto)"
    )
    parser.add_argument(
        "--save",
        action="store_true",
        help="save the detected checks to .rigtui.toml (when none are configured)",
    )


def run(args: argparse.Namespace) -> int:

    root = project_root(args.path)
    settings = say_ignored(load_settings(root), running_checks=True)
    checks = checks_for(root, settings)
    if not checks:
        raise BadInput(f"{root}: no checks configured and none detected", fix=HOW_TO_CONFIGURE)
    suggested = [c for c in checks if not c.confirmed]
    if args.save:
        if not suggested:
            raise BadInput("the checks are already configured", fix="edit [checks] in .rigtui.toml")
        path, trusted = confirm_checks(root, checks)
        print(f"saved {len(checks)} checks to {path}: {', '.join(c.name for c in checks)}")
        if not trusted:
            _note(
                f"{path.name} is not trusted, so they run only when asked (not as files change"
                " in the workbench); `rigtui trust` trusts it"
            )
        return 0
    if suggested:
        listed = "; ".join(f"{c.name} = {c.command!r} ({c.reason})" for c in suggested)
        _note(f"no checks configured; using detected ones: {listed}")
        _note("keep them with `rigtui check --save`")
    if args.only:
        unknown = sorted(set(args.only) - {c.name for c in checks})
        if unknown:
            known = ", ".join(c.name for c in checks)
            raise BadInput(f"unknown check {unknown[0]!r}", fix=f"use one of: {known}")
        checks = [c for c in checks if c.name in args.only]
    return asyncio.run(_main(root, settings, checks, args))


def _note(text: str) -> None:
    print(f"rigtui: {text}", file=sys.stderr)


async def _main(root: Path, settings, checks, args: argparse.Namespace) -> int:
    # Every command module is imported when the CLI starts: the runner (watchfiles) and the
    # sandbox layer load only when checks run.
    from rigtui.checks.runner import CheckRunner
    from rigtui.sandbox import get_sandbox

    # checks write the project ("capture" is for the model's commands); "ro" holds for them too
    mount = "ro" if settings.sandbox.mount == "ro" else "rw"
    sandbox = get_sandbox(settings, root, args.sandbox, mount=mount)
    _note(f"running {len(checks)} check(s) in {sandbox.name}")
    if getattr(sandbox, "note", ""):  # e.g. why `auto` did not use Docker: said, not silent
        _note(sandbox.note)
    runner = CheckRunner(
        root,
        checks,
        sandbox,
        debounce_ms=settings.checks.debounce_ms,
        timeout=settings.sandbox.timeout,
        output_limit=settings.sandbox.output_limit,
        follow_untrusted=True,  # `--watch` asks for exactly this
    )
    try:
        if args.watch:
            return await _watch(root, runner, args.json)
        results = await runner.run_once()
        for result in results:
            _report(result, args.json)
        return 1 if any(r.state != "passed" for r in results) else 0
    finally:
        await runner.close()
        await sandbox.close()


async def _watch(root: Path, runner, as_json: bool) -> int:
    from rigtui.watch import ProjectWatcher  # watchfiles: only when watching

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner.add_listener(lambda e: _report(e, as_json) if isinstance(e, CheckFinished) else None)
    watcher = ProjectWatcher(root)
    await watcher.start()
    runner.attach(watcher)
    runner.run_now()
    _note("watching for changes (ctrl+c to stop)")
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await watcher.stop()
    return 0


_MARKS = {"passed": "ok", "failed": "FAIL", "cancelled": "cancelled"}


def _report(result, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_dict()), flush=True)
        return
    line = f"{_MARKS.get(result.state, result.state):<9} {result.check}  {result.duration:.1f}s"
    if result.change_set_id:
        line += f"  (change set {result.change_set_id})"
    if result.state == "failed":
        first = result.locations[0] if result.locations else None
        where = (
            f"{safe_name(first['path'])}:{first['line']}" if first else f"exit {result.exit_code}"
        )
        line += f"  {where}"
        if first and first.get("message"):
            line += f"  {safe_line(first['message'])}"
    print(line, flush=True)
    if result.state == "failed" and not result.locations:
        tail = result.output.strip().splitlines()[-10:]
        for text in tail:
            print(f"    {text}", flush=True)

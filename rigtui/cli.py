"""The `rigtui` command: `rigtui [PATH]` opens the workbench; subcommands do one thing each.

Each subcommand lives in `rigtui/commands/<name>.py` (the file is named after the command) and
exposes:
    NAME: str                     the subcommand's name
    HELP: str                     one line for `rigtui --help`
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int      exit code
They are discovered, so adding a command never touches this file; only the one run is imported
(the workbench starts without loading any), all of them only for `--help`. Errors raised as
`RigtuiError` print one line on stderr and exit with the error's code (2 for bad input).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import importlib
import os
import pkgutil
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

import rigtui.commands
from rigtui import __version__
from rigtui.errors import RigtuiError


def command_names() -> list[str]:
    """The subcommands, from the files in rigtui/commands (nothing imported)."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(rigtui.commands.__path__)
        if not info.name.startswith("_")
    )


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"rigtui.commands.{name}")


def _import_command(name: str) -> ModuleType:
    """The command's module, imported with the cyclic garbage collector paused: an import
    only makes objects that live as long as the process, so collecting halfway through is
    wasted work (a few ms of `rigtui apply`'s start)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return command_module(name)
    finally:
        if enabled:
            gc.enable()


def build_parser(helping: bool = True) -> argparse.ArgumentParser:
    """The workbench's parser; with `helping`, its epilog lists every command (importing them
    all, which only `--help` needs)."""
    epilog = None
    if helping:
        lines = [f"  {n:<10} {command_module(n).HELP}" for n in command_names()]
        epilog = "commands:\n" + "\n".join(lines)
        epilog += "\n\nRun `rigtui COMMAND --help` for a command's options."
    parser = argparse.ArgumentParser(
        prog="rigtui",
        description="A terminal workbench for agentic coding: file tree, threads and diffs.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rigtui {__version__}")
    parser.add_argument("path", nargs="?", default=".", help="project folder (default: .)")
    parser.add_argument("--theme", help="theme name (built-in or from your themes folder)")
    parser.add_argument("--model", help="model name for this run (overrides settings)")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint for this run")
    parser.add_argument("--profile", help="named model profile from settings")
    return parser


def _run_app(args: argparse.Namespace) -> int:
    from rigtui.ui import gc_pause

    gc_pause.pause()  # until the first frame (gc_pause says why)
    try:
        from rigtui.commands._common import project_root
        from rigtui.ui.launch import launch  # imported late: subcommands never load Textual

        return launch(project_root(args.path), args)
    finally:
        gc_pause.resume()


def main(argv: Sequence[str] | None = None, *, code_cache: bool = False) -> int:
    """`code_cache`: keep compiled dataclass methods between runs (the command's own
    process; rigtui.codecache), loaded only when a command or the workbench is imported."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in command_names():
            if code_cache:
                _install_code_cache()
            module = _import_command(argv[0])
            sub = argparse.ArgumentParser(prog=f"rigtui {module.NAME}", description=module.HELP)
            module.add_arguments(sub)
            return int(module.run(sub.parse_args(argv[1:])) or 0)
        helping = any(a in ("-h", "--help") for a in argv)
        args = build_parser(helping).parse_args(argv)  # --version and --help exit here
        if code_cache:
            _install_code_cache()
        return _run_app(args)
    except RigtuiError as exc:
        print(f"rigtui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rigtui threads | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _install_code_cache() -> None:
    from rigtui import codecache

    codecache.install()


def entry() -> int:
    """The `rigtui` command itself (not a caller of `main`): its process keeps compiled
    dataclass methods between runs (rigtui.codecache says why), and ends without the
    interpreter's teardown."""
    code = main(code_cache=True)
    _exit_now(code)
    return code  # another thread is still running: the usual exit waits for it


def _exit_now(code: int) -> None:
    """End the process at once when the command is done: the exit handlers run and the
    output is flushed, but the interpreter does not free every object one by one (~50-70 ms
    after `rigtui apply` of a release diff, whose lines, files and journal rows all die
    here). Only when no other thread runs, so nothing in flight is cut short."""
    if threading.active_count() > 1:
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(entry())

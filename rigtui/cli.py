"""The `rigtui` command: `rigtui [PATH]` opens the workbench; subcommands do one thing each.

Each subcommand lives in `rigtui/commands/<name>.py` and exposes:
    NAME: str                     the subcommand's name
    HELP: str                     one line for `rigtui --help`
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int      exit code
They are discovered, so adding a command never touches this file. Errors raised as `RigtuiError`
print one line on stderr and exit with the error's code (2 for bad input).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

import rigtui.commands
from rigtui import __version__
from rigtui.commands._common import project_root
from rigtui.errors import RigtuiError


def _command_modules() -> dict[str, ModuleType]:
    modules: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(rigtui.commands.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"rigtui.commands.{info.name}")
        modules[module.NAME] = module
    return dict(sorted(modules.items()))


def build_parser(commands: dict[str, ModuleType]) -> argparse.ArgumentParser:
    epilog = "commands:\n" + "\n".join(f"  {n:<10} {m.HELP}" for n, m in commands.items())
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
    root = project_root(args.path)
    from rigtui.ui.launch import launch  # imported late: subcommands never load Textual

    return launch(root, args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        commands = _command_modules()
        if argv and argv[0] in commands:
            module = commands[argv[0]]
            sub = argparse.ArgumentParser(prog=f"rigtui {module.NAME}", description=module.HELP)
            module.add_arguments(sub)
            return int(module.run(sub.parse_args(argv[1:])) or 0)
        return _run_app(build_parser(commands).parse_args(argv))
    except RigtuiError as exc:
        print(f"rigtui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rigtui threads | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""`rigtui trust [PATH]`: show exactly what the project's `.rigtui.toml` asks for that needs
trust (endpoints, key env names, approval, sandbox, checks that run on their own) and trust
that exact file: typing the command is the yes. Once the file changes it is untrusted again.
`--revoke` forgets it; `--list` shows every project answered about."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rigtui.commands._common import project_root
from rigtui.config import PROJECT_FILE, load_settings
from rigtui.errors import BadInput
from rigtui.trust import current_digest, entries, record, revoke

NAME = "trust"
HELP = "trust the project's .rigtui.toml (its endpoints, approval, sandbox and checks apply)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="project folder (default: .)")
    parser.add_argument("--path", dest="path_option", metavar="DIR", help="the same, as an option")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--revoke", action="store_true", help="stop trusting it")
    which.add_argument("--list", action="store_true", help="list the projects answered about")


def run(args: argparse.Namespace) -> int:

    if args.list:
        return _list()
    root = project_root(args.path or args.path_option or ".")
    if args.revoke:
        if revoke(root):
            print(f"{root}: no longer trusted; its settings that need trust are ignored again")
        else:
            print(f"{root}: was not trusted; nothing to revoke")
        return 0
    if not (root / PROJECT_FILE).is_file():
        raise BadInput(
            f"{root}: no {PROJECT_FILE} to trust",
            fix=f"rigtui trust is for a project whose {PROJECT_FILE} asks for settings that need it",
        )
    trust = load_settings(root).trust
    assert trust is not None
    if not trust.asks:
        print(f"{trust.file}: nothing in it needs trust; all its settings apply already")
        return 0
    print(f"{trust.file} asks for:")
    for ask in trust.asks:
        print(f"  {ask.line}")
    record(root, trust.sha256)  # the bytes shown above, not whatever is there by now
    print(
        f"trusted: these apply from now on, until the file changes (sha256 {trust.sha256[:12]});"
        f" `rigtui trust --revoke` undoes it"
    )
    return 0


def _list() -> int:

    found = entries()
    if not found:
        print("no project has been trusted or declined yet")
        return 0
    for entry in found:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.at))
        answer = "trusted " if entry.trusted else "declined"
        now = current_digest(entry.root) if Path(entry.root).is_dir() else None
        state = (
            ""
            if now == entry.sha256
            else "  (the file is gone)"
            if now is None
            else "  (the file changed since: not trusted now)"
            if entry.trusted
            else "  (the file changed since: asked again)"
        )
        print(f"{answer}  {when}  {entry.root}{state}")
    return 0

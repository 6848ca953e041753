"""What the CLI's commands share: a PATH argument made a project folder (or one line and exit
code 2), and one line for the user on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

from rigtui.config import Settings
from rigtui.errors import BadInput


def note(text: str) -> None:
    """One line for the user on stderr, beside a command's output (never mixed into it)."""
    print(f"rigtui: {text}", file=sys.stderr, flush=True)


def project_root(path: str | Path) -> Path:
    """Resolve a PATH argument to a readable project folder, or raise BadInput (exit 2)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise BadInput(f"{p}: no such folder", fix="pass an existing project folder")
    if not p.is_dir():
        raise BadInput(f"{p}: not a folder", fix="pass the project's folder, not a file")
    try:
        next(p.iterdir(), None)
    except PermissionError as exc:
        raise BadInput(
            f"{p}: cannot be read (permission denied)", fix="check its permissions"
        ) from exc
    except OSError as exc:
        raise BadInput(f"{p}: cannot be read ({exc.strerror})") from exc
    return p.resolve()


def say_ignored(settings: Settings, *, running_checks: bool = False) -> Settings:
    """One line on stderr when the project's settings file asks for settings that were ignored
    because the user has not trusted it. Returns the settings."""
    notice = settings.trust.notice(running_checks=running_checks) if settings.trust else ""
    if notice:
        note(notice)
    return settings


def file_list(paths: list[str], shown: int = 8) -> str:
    """Paths for one line of output: all of a few, or the first `shown` and a count (a
    release diff touches hundreds; `rigtui history` lists them all)."""
    from rigtui.display import safe_name

    names = [safe_name(p) for p in paths]
    if len(names) <= shown + 1:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more ({len(names)} files)"

"""Where rigtui keeps its data and config. `RIGTUI_HOME` overrides both (tests use it)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from rigtui.errors import BadInput

APP_NAME = "rigtui"


def _ensure(path: Path, what: str) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        hint = "RIGTUI_HOME" if os.environ.get("RIGTUI_HOME") else "your home folder"
        raise BadInput(
            f"{path}: rigtui's {what} folder cannot be created ({exc.strerror})",
            fix=f"check {hint} points at a writable folder",
        ) from exc
    return path


def _home_override() -> Path | None:
    home = os.environ.get("RIGTUI_HOME")
    return Path(home).expanduser() if home else None


def user_dir(kind: str) -> Path:
    """The platform's user folder of this `kind` ("data", "config" or "cache") for rigtui.
    On Linux the XDG base directories, read here (platformdirs, and the tempfile, shutil
    and random it imports, cost ~5 ms of every command's start); elsewhere platformdirs."""
    if sys.platform == "linux":
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "").strip() or os.path.expanduser(default)
        return Path(base) / APP_NAME
    import platformdirs

    found: str = getattr(platformdirs, f"user_{kind}_dir")(APP_NAME)
    return Path(found)


_XDG = {
    "data": ("XDG_DATA_HOME", "~/.local/share"),
    "config": ("XDG_CONFIG_HOME", "~/.config"),
    "cache": ("XDG_CACHE_HOME", "~/.cache"),
}


def data_dir() -> Path:
    """The user data dir: the store database, per-project index databases, journals."""
    home = _home_override()
    return _ensure(home / "data" if home else user_dir("data"), "data")


def config_dir() -> Path:
    """The user config dir: `config.toml` and user themes in `themes/`."""
    home = _home_override()
    return _ensure(home / "config" if home else user_dir("config"), "config")


def user_config_file() -> Path:
    return config_dir() / "config.toml"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def store_db_path() -> Path:
    """The one database of projects, threads, events and tasks."""
    return data_dir() / "rigtui.db"


def project_key(root: Path) -> str:
    """A stable, file-name-safe key for a project root: its name plus a hash of its real path."""
    real = str(Path(root).resolve())
    digest = hashlib.sha256(real.encode()).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(real).name) or "root"
    return f"{safe}-{digest}"


def project_data_dir(root: Path) -> Path:
    """Per-project data (the code index database lives here)."""
    return _ensure(data_dir() / "projects" / project_key(root), "project data")


def write_atomically(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file beside it, then one rename (an existing
    file's permissions kept)."""
    import tempfile  # here: with shutil and random it is ~5 ms of every command's start

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

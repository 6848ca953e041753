"""Replace several files as one step: stage every new content in a temp file beside its target
(same folder, so the rename is atomic), fsync, then rename one by one. If a rename fails, every
file already replaced is put back. A crash between renames is repaired by `engine.recover`.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from rigtui.edits.errors import PatchRefused
from rigtui.edits.prepare import FileWrite
from rigtui.edits.safety import confine

TEMP_SUFFIX = ".rigtui.tmp"

# Called after each file is replaced. Tests set it to kill the process there (a real crash).
after_replace: Callable[[str], None] = lambda path: None  # noqa: E731


def temp_path(target: Path, tag: str) -> Path:
    return target.parent / f".{target.name}.{tag}{TEMP_SUFFIX}"


def read_current(root: Path, rel: str) -> bytes | None:
    real, _ = confine(root, rel)
    try:
        return real.read_bytes()
    except FileNotFoundError:
        return None


def current_mode(root: Path, rel: str) -> int | None:
    """The file's permission bits now (None: absent)."""
    real, _ = confine(root, rel)
    try:
        return stat.S_IMODE(real.stat().st_mode)
    except FileNotFoundError:
        return None


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _stage(target: Path, data: bytes, mode: int | None, tag: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(target, tag)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if mode is not None:  # before the fsync, so the mode is as durable as the bytes
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _put(target: Path, temp: Path | None) -> None:
    if temp is None:
        target.unlink(missing_ok=True)
    else:
        os.replace(temp, target)
    _fsync_dir(target.parent)


def replace_all(root: Path, writes: list[FileWrite], tag: str) -> None:
    """Make every `write.after` true on disk, or none of them (raises `PatchRefused`)."""
    targets = [confine(root, w.path)[0] for w in writes]
    temps: list[Path | None] = []
    try:
        for w, target in zip(writes, targets, strict=True):
            temps.append(None if w.after is None else _stage(target, w.after, w.after_mode, tag))
    except OSError as exc:
        remove_temps(temps)
        raise PatchRefused(
            f"{exc.filename or 'a file'}: cannot be written ({exc.strerror}); nothing was changed"
        ) from exc
    done: list[int] = []
    try:
        for i, (w, target) in enumerate(zip(writes, targets, strict=True)):
            _put(target, temps[i])
            done.append(i)
            after_replace(w.path)
    except OSError as exc:
        restore(root, [writes[i] for i in reversed(done)], tag)
        remove_temps(temps)
        raise PatchRefused(
            f"{writes[len(done)].path}: cannot be replaced ({exc.strerror});"
            " every file already replaced was restored, nothing was changed"
        ) from exc


def restore(root: Path, writes: list[FileWrite], tag: str) -> None:
    """Put each write's `before` back (used to roll back and to recover)."""
    for w in writes:
        target = confine(root, w.path)[0]
        temp = None if w.before is None else _stage(target, w.before, w.before_mode, tag)
        _put(target, temp)


def remove_temps(temps: list[Path | None]) -> None:
    for temp in temps:
        if temp is not None:
            temp.unlink(missing_ok=True)


def remove_stale_temps(root: Path, rel: str) -> None:
    """Temp files a crash left beside `rel` (`.NAME.<tag>.rigtui.tmp`)."""
    target = confine(root, rel)[0]
    if target.parent.is_dir():
        for stale in target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"):
            stale.unlink(missing_ok=True)

"""One writer per project at a time, across processes: an OS lock (`flock`) on a file beside
the project's journal. Applying, undoing, redoing and recovering hold it from the first read
to the last rename, so a second rigtui never mistakes a change set in flight for a crash.

    with writer_lock(root, on_wait=print):   # waits up to WAIT_SECONDS, then ProjectBusy
        ...
    with writer_lock(root, wait=0) as held:  # recovery: only when no one else is writing
        if held: ...
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rigtui.errors import RigtuiError, StoreError
from rigtui.paths import project_data_dir

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05  # flock has no timeout: a waiting writer asks again this often


class ProjectBusy(RigtuiError):
    """Another rigtui process kept the project's writer lock for too long."""

    exit_code = 1


def lock_path(root: Path) -> Path:
    return project_data_dir(Path(root).resolve()) / "journal.lock"


@contextlib.contextmanager
def writer_lock(
    root: Path,
    *,
    wait: float = WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[bool]:
    """Hold the project's writer lock. Yields True once held; with `wait=0` yields False at
    once when another process holds it. Otherwise waits up to `wait` seconds (telling
    `on_wait` once), then raises `ProjectBusy`."""
    path = lock_path(root)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        full = exc.errno == errno.ENOSPC
        raise StoreError(
            f"{path}: the project's lock file cannot be opened"
            f" ({'the disk is full' if full else exc.strerror})",
            fix=f"free space on the disk holding {path.parent}"
            if full
            else f"check the permissions of {path.parent}",
        ) from None
    try:
        if not _acquire(fd, path, wait, on_wait):
            yield False
            return
        with contextlib.suppress(OSError):  # who holds it is for messages only (a full disk)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, wait: float, on_wait: Callable[[str], None] | None) -> bool:
    if _try(fd):
        return True
    if wait <= 0:
        return False
    holder = _holder(fd)
    if on_wait is not None:
        on_wait(f"another rigtui{holder} is writing to this project; waiting for it to finish")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        if _try(fd):
            return True
    raise ProjectBusy(
        f"another rigtui{_holder(fd)} has been writing to this project for over {wait:.0f}s"
        f" (lock {path})",
        fix="let it finish (or quit it), then run this again",
    )


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (pid {text})" if text.isdigit() else ""

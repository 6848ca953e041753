"""Who runs an isolated task: this process, named so that a later rigtui can tell whether it
is still alive (the pid alone could be reused, and does not survive a reboot): the pid, the
boot id and the process's start time."""

from __future__ import annotations

import os
from pathlib import Path

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def me() -> str:
    pid = os.getpid()
    return f"{pid}:{_boot_id()}:{_start_time(pid)}"


def alive(owner: str) -> bool:
    """Whether the process that wrote `owner` still runs (False for an empty or foreign one)."""
    try:
        pid_text, boot, started = owner.split(":")
        pid = int(pid_text)
    except ValueError:
        return False
    if boot != _boot_id():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return _start_time(pid) == started

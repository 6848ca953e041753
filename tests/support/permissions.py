"""Running rigtui where file permissions hold: root reads any folder, so as root the command
runs under setpriv without the capabilities that let it (the same user, the same files)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def permissions_enforced() -> list[str]:
    """A command prefix under which a folder with mode 000 cannot be read."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and setpriv (util-linux) is missing to drop root's access")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def run_python(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python ARGV...` (e.g. `-m rigtui index DIR`) where file permissions hold."""
    return subprocess.run(
        [*permissions_enforced(), sys.executable, *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )

"""Run the real command line in a subprocess, as a user would: no terminal on stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_rigtui(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python -m rigtui ARGS` in `cwd`, with `env` added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "rigtui", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )

"""Drive a program in a real terminal: a private tmux server per test, keys in, screen out."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path


class Terminal:
    def __init__(self, width: int = 100, height: int = 30) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.socket = f"rigtui-test-{uuid.uuid4().hex[:8]}"
        self.width, self.height = width, height

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        return result.stdout

    def start(self, argv: list[str], env: Mapping[str, str], cwd: Path) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        command = f"cd {shlex.quote(str(cwd))} && env -u COLUMNS -u LINES {exports} {shlex.join(argv)}; sleep 30"
        self._tmux(
            "new-session", "-d", "-s", "main", "-x", str(self.width), "-y", str(self.height),
            "-e", "TERM=xterm-256color", command,
        )  # fmt: skip

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "main")

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "main", *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "main", "-l", text)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """Poll the screen until `text` shows: an external terminal offers nothing to await."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear on screen:\n{screen}")

    def wait_gone(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while text in screen and time.monotonic() < deadline:
            time.sleep(0.05)
            screen = self.screen()
        if text in screen:
            raise AssertionError(f"{text!r} is still on screen:\n{screen}")
        return screen

    def tmux(self, *args: str) -> str:
        """Any tmux command on this test's server (options, buffers, pipe-pane)."""
        return self._tmux(*args)

    def record_output(self, path: Path) -> None:
        """From now on, append every byte the program writes to its terminal to `path`, raw
        (escape sequences included): what tmux reads from the pane."""
        self._tmux("pipe-pane", "-O", "-t", "main", f"cat >> {shlex.quote(str(path))}")

    def send_bytes(self, data: bytes) -> None:
        """Bytes as the terminal sends them to the program (a focus report: b"\x1b[O")."""
        self._tmux("send-keys", "-t", "main", "-H", *(f"{b:02x}" for b in data))

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def rigtui_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "rigtui"]


def child_env(home: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    return {**keep, "RIGTUI_HOME": str(home), "COLORTERM": "", "LANG": "C.UTF-8"}

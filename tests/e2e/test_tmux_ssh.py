"""rigtui over SSH in tmux: the escape sequences it writes for copy (OSC 52) and for telling a
user who looked away (BEL, OSC 9 and 777), read from the raw output of the pane, and tmux
taking the copy into its own paste buffer (`set-clipboard on`)."""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

import pytest

from tests.support.fake_openai import FakeOpenAI, Say
from tests.support.tmux import Terminal, child_env, rigtui_argv

pytestmark = pytest.mark.e2e

PASSTHROUGH = "\x1bPtmux;"


@pytest.fixture
def terminal():
    term = Terminal(width=100, height=30)
    yield term
    term.close()


def wait_in(path: Path, text: str, timeout: float = 20.0) -> str:
    """Poll the recorded output until `text` is in it (tmux writes it as it comes)."""
    deadline = time.monotonic() + timeout
    data = ""
    while time.monotonic() < deadline:
        data = path.read_text(errors="replace") if path.exists() else ""
        if text in data:
            return data
        time.sleep(0.05)
    raise AssertionError(f"{text!r} was not written; the output ends {data[-500:]!r}")


def wait_unfocused(terminal: Terminal, timeout: float = 20.0) -> None:
    """Until the workbench shows it heard the focus-out: nothing is drawn in the focus
    colour (the theme's primary, #5fafff: colour 75 of 256) any more."""
    deadline = time.monotonic() + timeout
    while "38;5;75m" in terminal.tmux("capture-pane", "-e", "-p", "-t", "main"):
        if time.monotonic() > deadline:
            raise AssertionError("the workbench did not take the focus-out report")
        time.sleep(0.05)


def test_copy_and_notify_reach_the_terminal_through_tmux(
    terminal: Terminal, demo_project: Path, rigtui_home: Path, tmp_path: Path
) -> None:
    release = threading.Event()
    with FakeOpenAI([Say("Working on it, then done.", hold=release)]) as server:
        env = {**child_env(rigtui_home), "OPENAI_BASE_URL": server.base_url,
               "OPENAI_API_KEY": "test-key"}  # fmt: skip
        terminal.start([*rigtui_argv(), str(demo_project)], env, cwd=demo_project)
        terminal.wait_for("up to date")  # the session is open and has placed the focus
        for option in ("set-clipboard on", "allow-passthrough on", "focus-events on"):
            terminal.tmux("set-option", "-g", *option.split())
        raw = tmp_path / "pane-output.raw"
        terminal.record_output(raw)

        # Copy: the tree's highlighted path, by OSC 52, and wrapped for passthrough.
        terminal.send("C-e")
        terminal.wait_for("h Parent")  # the tree has the focus: its keys are in the footer
        terminal.send("Down", "Y")  # the root, then docs/
        terminal.wait_for("copied the path")
        encoded = base64.b64encode(b"docs").decode()
        data = wait_in(raw, f"\x1b]52;c;{encoded}\x07")
        assert f"{PASSTHROUGH}\x1b\x1b]52;c;{encoded}\x07\x1b\\" in data
        assert terminal.tmux("show-buffer") == "docs"  # tmux itself took it

        # Notify: a task ends while the terminal reports it lost focus.
        terminal.send("C-t")
        terminal.wait_gone("h Parent")  # the message box has the focus, not the tree
        terminal.type("go")
        terminal.send("Enter")
        terminal.wait_for("Work")  # the reply holds after its first words
        terminal.send_bytes(b"\x1b[O")  # the terminal's focus-out report
        wait_unfocused(terminal)
        release.set()
        data = wait_in(raw, "\x1b]9;rigtui: Thread 1: task done")
        notification = data[data.index("\x1b]9;rigtui: Thread 1: task done") - 1 :]
        assert notification.startswith("\x07\x1b]9;rigtui: Thread 1: task done: ")
        assert f"{PASSTHROUGH}\x1b\x1b]9;rigtui: Thread 1: task done" in notification
        assert "\x1b]777;notify;rigtui: Thread 1: task done;" in notification
        assert f"{PASSTHROUGH}\x1b\x1b]777;notify;rigtui: Thread 1: task done;" in notification

        terminal.send("C-q")
        terminal.wait_gone("Diff")

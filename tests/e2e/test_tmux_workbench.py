"""rigtui in a real terminal (tmux): start it on a fixture project, send keys, read the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.tmux import Terminal, child_env, rigtui_argv

pytestmark = pytest.mark.e2e


@pytest.fixture
def terminal():
    term = Terminal(width=100, height=30)
    yield term
    term.close()


def test_workbench_in_a_real_terminal(
    terminal: Terminal, demo_project: Path, rigtui_home: Path
) -> None:
    terminal.start([*rigtui_argv(), str(demo_project)], child_env(rigtui_home), cwd=demo_project)
    terminal.wait_for("Diff pane")  # the first frame; the session opens right after it
    screen = terminal.wait_for("Thread: Thread 1")
    assert "no model" in screen

    terminal.send("C-n")
    terminal.wait_for("Thread: Thread 2")

    terminal.type("hello from tmux")
    terminal.send("Enter")
    screen = terminal.wait_for("OPENAI_API_KEY")  # how to configure a model
    assert "hello from tmux" in screen

    terminal.send("C-e")  # the tree: first entry is docs/, then src/
    terminal.wait_for("README.md")
    terminal.send("Down", "Down", "Enter")  # expand src
    terminal.wait_for("└── 📁 demo")  # src's children loaded
    terminal.send("Down", "Enter")  # expand src/demo
    screen = terminal.wait_for("parser.py")
    terminal.send("Down", "Down", "Down", "Enter")  # __init__.py, cli.py, parser.py
    screen = terminal.wait_for("read-only · Esc closes")
    assert "src/demo/parser.py" in screen
    assert "class ConfigParser" in screen

    terminal.send("?")
    terminal.wait_for("command palette")
    terminal.send("Escape")
    terminal.wait_gone("command palette")

    terminal.send("C-q")
    terminal.wait_gone("Diff")  # the app exited and restored the screen

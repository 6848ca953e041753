"""What the isolated-task tests share: projects (git and not), a tree's bytes, scripted turns."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.fake_openai import Call, Say


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def make_project(root: Path, *, use_git: bool) -> Path:
    root.mkdir(parents=True)
    (root / "a.txt").write_text("alpha one\nalpha two\nalpha three\n")
    (root / "c.txt").write_text("gamma one\ngamma two\n")
    (root / "sub").mkdir()
    (root / "sub" / "keep.txt").write_text("keep\n")
    if use_git:
        (root / ".gitignore").write_text("*.log\n")
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "start")
        # uncommitted state the workspace must carry: a changed file and an untracked one
        (root / "sub" / "keep.txt").write_text("keep, edited\n")
        (root / "untracked.txt").write_text("not committed\n")
    return root


def tree(root: Path) -> dict[str, bytes]:
    """Every file's bytes, outside .git (what 'untouched' and 'restored' compare)."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = Path(folder, name)
            found[str(path.relative_to(root))] = path.read_bytes()
    return found


EDIT_A = """*** Begin Patch
*** Update File: a.txt
@@
 alpha one
-alpha two
+alpha TWO (task one)
 alpha three
*** End Patch"""

EDIT_C = """*** Begin Patch
*** Update File: c.txt
@@
 gamma one
-gamma two
+gamma TWO (task two)
*** End Patch"""


def task_one_turns() -> list[Say]:
    """Edits a.txt, then runs a command that writes out.txt."""
    return [
        Say(calls=[Call("apply_patch", {"patch": EDIT_A})]),
        Say(calls=[Call("run_command", {"command": "echo written by a command > out.txt"})]),
        Say("done one"),
    ]


def task_two_turns() -> list[Say]:
    return [Say(calls=[Call("apply_patch", {"patch": EDIT_C})]), Say("done two")]

"""`rigtui exec --isolated`, `rigtui tasks`, `rigtui task diff|apply|discard` as real
subprocesses against the scripted model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rigtui.trust import trust
from tests.support.cli import run_rigtui
from tests.support.fake_openai import FakeOpenAI
from tests.unit.tasks.helpers import make_project, task_one_turns, task_two_turns, tree


def rigtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_rigtui(*args, cwd=cwd, env={"CI": "true"})


def configure(project: Path, base_url: str) -> None:
    (project / ".rigtui.toml").write_text(
        f'[index]\nenabled = false\n[sandbox]\nkind = "local"\n'
        f'[model.profiles.default]\nmodel = "fake"\nbase_url = "{base_url}"\n'
    )
    trust(project)


def tasks_json(project: Path) -> list[dict]:
    listed = rigtui("tasks", "--json", "--path", str(project), cwd=project)
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_exec_isolated_then_tasks_diff_apply_and_discard(tmp_path: Path, rigtui_home: Path) -> None:
    project = make_project(tmp_path / "proj", use_git=True)
    with FakeOpenAI(task_one_turns() + task_two_turns()) as server:
        configure(project, server.base_url)
        before = tree(project)
        ran = rigtui(
            "exec", "edit a", "--isolated", "--approve", "auto", "--json", "--path", str(project),
            cwd=project,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        events = [json.loads(line) for line in ran.stdout.splitlines()]
        states = [e["state"] for e in events if e["type"] == "IsolatedTaskChanged"]
        assert states == ["queued", "running", "needs review"]
        ran_two = rigtui(
            "exec", "edit c", "--isolated", "--approve", "auto", "--path", str(project), cwd=project
        )
        assert ran_two.returncode == 0, ran_two.stderr
        assert "waits for review" in ran_two.stderr and "rigtui task diff" in ran_two.stderr
    assert tree(project) == before  # pending, not applied

    one, two = tasks_json(project)
    assert one["state"] == two["state"] == "needs review"
    assert one["files"] == ["a.txt", "out.txt"] and two["files"] == ["c.txt"]
    assert one["change_set"]["files"] == [
        {"path": "a.txt", "added": 1, "removed": 1},
        {"path": "out.txt", "added": 1, "removed": 0},
    ]
    assert one["elapsed"] > 0 and one["input_tokens"] >= 0
    assert set(one) >= {"thread_id", "goal", "cost", "checks", "created_at", "ended_at"}
    human = rigtui("tasks", "--path", str(project), cwd=project)
    assert one["id"] in human.stdout and "needs review" in human.stdout

    diff = rigtui("task", "diff", one["id"], "--path", str(project), cwd=project)
    assert diff.returncode == 0
    assert "+alpha TWO (task one)" in diff.stdout and "+written by a command" in diff.stdout

    no_tty = rigtui("task", "apply", one["id"], "--path", str(project), cwd=project)
    assert no_tty.returncode == 2 and "--yes" in no_tty.stderr

    applied = rigtui("task", "apply", one["id"], "--yes", "--path", str(project), cwd=project)
    assert applied.returncode == 0, applied.stderr
    assert (project / "out.txt").read_text() == "written by a command\n"
    workspaces = rigtui_home / "data" / "workspaces"
    assert not (workspaces / one["id"]).exists() and (workspaces / two["id"]).is_dir()

    dropped = rigtui("task", "discard", two["id"], "--path", str(project), cwd=project)
    assert dropped.returncode == 0, dropped.stderr
    assert [t["state"] for t in tasks_json(project)] == ["applied", "discarded"]
    assert not any(workspaces.iterdir())  # nothing of either workspace is left
    projects = [p.name for p in (rigtui_home / "data" / "projects").iterdir()]
    assert len(projects) == 1 and projects[0].startswith("proj-")  # no workspace journals
    assert (project / "c.txt").read_text() == "gamma one\ngamma two\n"
    again = rigtui("task", "apply", two["id"], "--yes", "--path", str(project), cwd=project)
    assert again.returncode == 1 and "discarded" in again.stderr

    undone = rigtui("undo", "--path", str(project), cwd=project)
    assert undone.returncode == 0, undone.stderr
    assert tree(project) == before


def test_task_commands_name_an_unknown_task(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", use_git=False)
    for action in ("diff", "discard", "apply"):  # apply: before it asks for a terminal
        got = rigtui("task", action, "t-nope", "--path", str(project), cwd=project)
        assert got.returncode == 2
        assert "no isolated task 't-nope'" in got.stderr and "rigtui tasks" in got.stderr


def test_apply_yes_refuses_a_conflict_and_changes_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", use_git=False)
    with FakeOpenAI(task_one_turns()) as server:
        configure(project, server.base_url)
        ran = rigtui(
            "exec", "edit a", "--isolated", "--approve", "auto", "--path", str(project), cwd=project
        )
        assert ran.returncode == 0, ran.stderr
    (project / "a.txt").write_text("alpha one\nalpha 2, by hand\nalpha three\n")
    before = tree(project)
    (task,) = tasks_json(project)
    assert task["change_set"]["conflicts"][0]["path"] == "a.txt"
    diff = rigtui("task", "diff", task["id"], "--path", str(project), cwd=project)
    assert "CONFLICT in a.txt" in diff.stderr and "+<<<<<<< project (now)" in diff.stdout
    refused = rigtui("task", "apply", task["id"], "--yes", "--path", str(project), cwd=project)
    assert refused.returncode == 1 and "conflicts" in refused.stderr
    assert tree(project) == before


def test_a_killed_rigtui_leaves_its_task_interrupted_reviewable_and_cleaned(
    tmp_path: Path, rigtui_home: Path
) -> None:
    import signal
    import threading

    from tests.support.fake_openai import Call, Say
    from tests.unit.tasks.helpers import EDIT_A, git

    project = make_project(tmp_path / "proj", use_git=True)
    hold = threading.Event()
    script = [
        Say(calls=[Call("apply_patch", {"patch": EDIT_A})]),
        Say("still thinking about it", hold=hold),
    ]
    with FakeOpenAI(script) as server:
        configure(project, server.base_url)
        child = subprocess.Popen(
            [sys.executable, "-m", "rigtui", "exec", "edit a", "--isolated", "--json",
             "--approve", "auto", "--path", str(project)],
            cwd=project, env={**os.environ, "CI": "true"}, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert child.stdout is not None
            for line in child.stdout:  # until the model is mid-reply, its edit made
                if json.loads(line)["type"] == "MessageDelta":
                    break
            workspaces = list((rigtui_home / "data" / "workspaces").iterdir())
            assert len(workspaces) == 1 and (workspaces[0] / "work" / "a.txt").is_file()
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            hold.set()
            if child.poll() is None:
                child.kill()
    assert "worktree" in git(project, "worktree", "list", "--porcelain")
    (task,) = tasks_json(project)  # a start: the dead owner's task is found
    assert task["state"] == "interrupted" and task["files"] == ["a.txt"]
    assert not any((rigtui_home / "data" / "workspaces").iterdir())  # the workspace went
    assert git(project, "worktree", "list").count("\n") == 1  # and git's record of it
    diff = rigtui("task", "diff", task["id"], "--path", str(project), cwd=project)
    assert "+alpha TWO (task one)" in diff.stdout  # still reviewable
    applied = rigtui("task", "apply", task["id"], "--yes", "--path", str(project), cwd=project)
    assert applied.returncode == 0, applied.stderr
    assert "alpha TWO (task one)" in (project / "a.txt").read_text()


def test_exec_isolated_without_a_model_fails_clearly_and_leaves_nothing(
    tmp_path: Path, rigtui_home: Path
) -> None:
    project = make_project(tmp_path / "proj", use_git=True)
    ran = rigtui("exec", "hi", "--isolated", "--path", str(project), cwd=project)
    assert ran.returncode == 1
    assert "failed: no API key" in ran.stderr
    (task,) = tasks_json(project)
    assert task["state"] == "failed" and task["summary"].startswith("no API key")
    assert task["change_set"] is None
    assert not any((rigtui_home / "data" / "workspaces").iterdir())


def test_file_names_a_task_made_reach_the_terminal_escaped(tmp_path: Path) -> None:
    """A command in the workspace names a file with an escape sequence (here one that sets the
    terminal's title; OSC 52 would set its clipboard): exec and the rebase notices show it
    escaped, never as the sequence."""
    from tests.support.fake_openai import Call, Say

    project = make_project(tmp_path / "proj", use_git=True)
    script = "touch \"$(printf 'a\\033]0;PWNED\\007.txt')\"\nln -s /etc/passwd \"$(printf 'l\\033[2J')\"\n"
    patch = "*** Begin Patch\n*** Add File: mk.sh\n"
    patch += "".join(f"+{line}\n" for line in script.splitlines()) + "*** End Patch"
    turns = [
        Say(calls=[Call("apply_patch", {"patch": patch})]),
        Say(calls=[Call("run_command", {"command": "sh mk.sh"})]),
        Say("done"),
    ]
    with FakeOpenAI(turns) as server:
        configure(project, server.base_url)
        ran = rigtui(
            "exec", "go", "--isolated", "--approve", "auto", "--path", str(project), cwd=project
        )
    assert ran.returncode == 0, ran.stderr
    assert "\x1b" not in ran.stdout + ran.stderr
    assert "a\\x1b]0;PWNED\\x07.txt" in ran.stderr
    (task,) = tasks_json(project)
    assert "\x1b" in "".join(task["files"])  # the JSON keeps the real name, as JSON escapes it
    assert "l\\x1b[2J" in task["summary"]  # the link is named, escaped, as not carried back

"""`rigtui exec` and `rigtui threads` end to end: a real subprocess against the fake server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from rigtui import protocol as ev
from rigtui.commands._exec_output import Printer
from rigtui.protocol import UsageUpdated
from rigtui.trust import trust
from tests.support.fake_openai import Call, FakeOpenAI, Say

ADD_FILE = "*** Begin Patch\n*** Add File: hello.txt\n+hello from the model\n*** End Patch\n"
PLAN = {"plan": [{"step": "write hello.txt", "status": "in_progress"}]}


def rigtui(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rigtui", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def configure(project: Path, base_url: str, more: str = "") -> None:
    """The project's settings, trusted by the user (as `rigtui trust` does)."""
    (project / ".rigtui.toml").write_text(
        f'[index]\nenabled = false\n[model.profiles.default]\nmodel = "fake"\nbase_url = "{base_url}"\n'
        + more
    )
    trust(project)


def turns() -> list[Say]:
    return [
        Say(calls=[Call("update_plan", PLAN)]),
        Say("Writing it.", calls=[Call("apply_patch", {"patch": ADD_FILE})]),
        Say("Done: hello.txt written."),
    ]


def test_exec_json_runs_a_task_and_applies_with_auto_approval(project: Path) -> None:
    with FakeOpenAI(turns()) as server:
        configure(project, server.base_url)
        result = rigtui(
            "exec",
            "write hello",
            "--path",
            str(project),
            "--json",
            "--approve",
            "auto",
            cwd=project,
        )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    types = [e["type"] for e in events]
    for expected in (
        "UserMessage",
        "TaskStarted",
        "PlanUpdated",
        "PatchProposed",
        "PatchApplied",
        "TaskEnded",
    ):
        assert expected in types
    assert types.index("PatchProposed") < types.index("PatchApplied") < types.index("TaskEnded")
    assert (project / "hello.txt").read_text() == "hello from the model\n"
    ended = events[-1]
    assert ended["type"] == "TaskEnded" and ended["outcome"] == "done"
    assert ended["changed_files"] == ["hello.txt"] and len(ended["change_sets"]) == 1
    assert {e["thread_id"] for e in events} == {ended["thread_id"]}

    listed = rigtui("threads", "--path", str(project), "--json", cwd=project)
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["id"] == ended["thread_id"] and row["title"] == "write hello" and row["events"] > 8


def test_exec_never_leaves_the_change_set_pending_and_prints_text(project: Path) -> None:
    with FakeOpenAI(turns()) as server:
        configure(project, server.base_url)
        result = rigtui(
            "exec", "write hello", "--path", str(project), "--approve", "never", cwd=project
        )
        tool_result = next(
            m
            for m in server.requests[2]["messages"]
            if m["role"] == "tool" and "change set" in m["content"]
        )
    assert result.returncode == 0, result.stderr
    assert not (project / "hello.txt").exists()
    assert "left pending" in tool_result["content"]
    out = result.stdout
    assert "→ update_plan" in out and "[~] write hello.txt" in out
    assert "Done: hello.txt written." in out and "task done" in out


def test_exec_with_no_model_configured_exits_1_with_the_fix(project: Path) -> None:
    result = rigtui("exec", "hi", "--path", str(project), cwd=project)
    assert result.returncode == 1
    assert "no API key" in result.stderr and "OPENAI_API_KEY" in result.stderr


def test_exec_rejects_an_unknown_thread_with_exit_2(project: Path) -> None:
    result = rigtui("exec", "hi", "--path", str(project), "--thread", "t-nope", cwd=project)
    assert result.returncode == 2
    assert "no thread 't-nope'" in result.stderr and "rigtui threads" in result.stderr


def test_exec_auto_approval_never_runs_a_command_outside_the_project(project: Path) -> None:
    script = [
        Say(calls=[Call("run_command", {"command": "cat /etc/hostname"})]),
        Say("I could not read it."),
    ]
    with FakeOpenAI(script) as server:
        configure(project, server.base_url)
        result = rigtui(
            "exec", "read the hostname", "--path", str(project), "--json", "--approve", "auto",
            cwd=project,
        )  # fmt: skip
    events = [json.loads(line) for line in result.stdout.splitlines()]
    (decided,) = [e for e in events if e["type"] == "CommandDecided"]
    assert decided["approved"] is False and decided["by"] == "policy"
    assert "outside the project" in decided["comment"]
    (finished,) = [e for e in events if e["type"] == "ToolCallFinished"]
    assert finished["ok"] is False and "declined" in finished["output"]


def test_exec_reads_agents_md_from_the_root_down_to_where_it_was_started(project: Path) -> None:
    (project / "AGENTS.md").write_text("Root rule: run pytest.\n")
    (project / "src" / "AGENTS.md").write_text("Src rule: keep functions short.\n")
    with FakeOpenAI([Say("ok")]) as server:
        configure(project, server.base_url)
        result = rigtui("exec", "hi", "--path", str(project), cwd=project / "src")
        system = server.requests[0]["messages"][0]["content"]
    assert result.returncode == 0, result.stderr
    assert "Root rule: run pytest." in system and "Src rule: keep functions short." in system


def test_exec_reruns_the_checks_the_changed_files_trigger(project: Path) -> None:
    with FakeOpenAI(turns()) as server:
        configure(
            project,
            server.base_url,
            '[sandbox]\nkind = "local"\n[checks]\n'
            'hello = { command = "grep -q model hello.txt", paths = ["*.txt"] }\n'
            'untouched = { command = "false", paths = ["*.rs"] }\n',
        )
        result = rigtui(
            "exec", "write hello", "--path", str(project), "--approve", "auto", cwd=project
        )
    assert result.returncode == 0, result.stderr
    assert "check hello: passed" in result.stdout
    assert "untouched" not in result.stdout  # not triggered by hello.txt


# Commands that once ran under `--approve auto` without a person: what they do cannot be read
# off the text (a substitution, inline code behind a wrapper, `cd` out of the project, a link).
LAUNDERED = [
    "$(echo rm) -rf ../x",
    "echo $(true); rm -rf ../x",
    "echo `true`; touch {abs}",
    "cd && rm -rf *",
    "ln -s .. up; touch up/x/ran",
    "find . -exec sh -c 'cd ..; rm -rf x' \\;",
    "env python3 -c \"import os, shutil; os.chdir('..'); shutil.rmtree('x')\"",
]


def test_exec_auto_approval_declines_commands_that_need_a_person(
    project: Path, tmp_path: Path
) -> None:
    """Each command is declined by the policy, the model is told why and what to do, and none
    of them ran: the folder beside the project and the fake home keep their files. (Inside
    bubblewrap the folders would survive a run anyway; the tool results show nothing ran.)"""
    beside, home = tmp_path / "x", tmp_path / "home"
    for folder in (beside, home):
        folder.mkdir()
        (folder / "keep.txt").write_text("keep\n")
    commands = [c.format(abs=tmp_path / "abs") for c in LAUNDERED]
    script = [Say(calls=[Call("run_command", {"command": c})]) for c in commands]
    script += [Say(calls=[Call("run_command", {"command": "ls src | grep app"})]), Say("ok")]
    with FakeOpenAI(script) as server:
        configure(project, server.base_url, '[sandbox]\nkind = "local"\n')
        result = rigtui(
            "exec", "clean up", "--path", str(project), "--json", "--approve", "auto",
            cwd=project, env={"HOME": str(home)},
        )  # fmt: skip
        told = [m["content"] for m in server.requests[-1]["messages"] if m["role"] == "tool"]
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    asked = [e for e in events if e["type"] == "CommandApprovalRequested"]
    decided = [e for e in events if e["type"] == "CommandDecided"]
    finished = [e for e in events if e["type"] == "ToolCallFinished"]
    assert [e["command"] for e in asked] == commands  # the harmless pipeline is not asked about
    assert all(e["needs_person"] for e in asked)
    for command, decision, done, text in zip(commands, decided, finished, told, strict=False):
        assert decision["approved"] is False and decision["by"] == "policy", command
        assert "needs a person's approval" in decision["comment"], command
        assert "--approve review" in decision["comment"], command
        assert done["ok"] is False and "exit code" not in done["output"], command
        assert "needs a person's approval" in text, command
    ran = finished[-1]["output"]  # the plain pipeline ran, unasked
    assert finished[-1]["ok"] is True and "exit code 0" in ran and "app.py" in ran
    assert (beside / "keep.txt").exists() and (home / "keep.txt").exists()
    assert not (tmp_path / "abs").exists() and not (project / "up").exists()


def test_exec_text_marks_estimated_tokens() -> None:
    out = StringIO()
    printer = Printer(out, StringIO())
    usage = dict(thread_id="t", task_id="k", model="m", input_tokens=1, output_tokens=1)
    printer.show(UsageUpdated(**usage, thread_input_tokens=1200, thread_output_tokens=30))
    printer.show(ev.TaskEnded(thread_id="t", task_id="k", outcome="done"))
    printer.show(
        UsageUpdated(**usage, thread_input_tokens=1200, thread_output_tokens=30, estimated=True)
    )
    printer.show(ev.TaskEnded(thread_id="t", task_id="k", outcome="done"))
    lines = [line for line in out.getvalue().splitlines() if line.startswith("tokens")]
    assert lines == ["tokens: 1200 in, 30 out", "tokens: ~1200 in, ~30 out (estimated)"]


def test_exec_prints_a_commands_change_set_and_undo_restores_it(project: Path) -> None:
    command = "printf '\\000\\001' > data.bin && echo hi > hi.txt"
    script = [Say(calls=[Call("run_command", {"command": command})]), Say("Made them.")]
    with FakeOpenAI(script) as server:
        configure(project, server.base_url, '[sandbox]\nkind = "local"\n')
        result = rigtui("exec", "make", "--path", str(project), "--approve", "auto", cwd=project)
    assert result.returncode == 0, result.stderr
    assert f"· command `{command}` changed 2 files (+1 \u22120): change set" in result.stdout
    assert (project / "data.bin").read_bytes() == b"\x00\x01"
    assert rigtui("undo", "--path", str(project), cwd=project).returncode == 0
    assert not (project / "data.bin").exists() and not (project / "hi.txt").exists()

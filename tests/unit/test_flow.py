"""One whole flow through the session with no terminal, driven by ops only, against the
scripted OpenAI server: a message, a tool call proposing a change set, a per-hunk decision, the
apply, the checks it triggers, a failure, one auto-fix round (the model fixes it, the checks
pass), an undo, and the model told of the undo on the thread's next turn. The event log is
asserted; then the same flow through `rigtui exec --json` (and `rigtui undo`) leaves the same
log, and prints those events."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from rigtui import protocol as ev
from rigtui.config import load_settings
from rigtui.protocol import DecidePatch, Decision, SendMessage, Undo
from rigtui.session import Session
from rigtui.trust import trust
from tests.support.cli import run_rigtui
from tests.support.fake_openai import FAST_RETRY, Call, FakeOpenAI, Say, collect_until

EDIT = """*** Begin Patch
*** Update File: notes.txt
@@
-first line
+FIRST LINE
*** Add File: extra.txt
+more
*** End Patch
"""
FIX = """*** Begin Patch
*** Update File: notes.txt
@@
-FIRST LINE
+FIRST LINE FIXED
*** End Patch
"""
SETTINGS = """[index]
enabled = false
[sandbox]
kind = "local"
[checks]
auto_fix_rounds = 1
debounce_ms = 0
lint = { command = "grep -q FIXED notes.txt", paths = ["*.txt"] }
[model.profiles.default]
model = "fake"
base_url = "BASE_URL"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "notes.txt").write_text("first line\nsecond line\n")
    return root


def script() -> list[Say]:
    return [
        Say("Editing.", calls=[Call("apply_patch", {"patch": EDIT})]),
        Say("Done."),
        Say("Fixing the lint.", calls=[Call("apply_patch", {"patch": FIX})]),  # auto-fix round
        Say("Fixed."),
        Say("I see the undo."),  # the next turn, after the undo
    ]


def configure(project: Path, base_url: str) -> None:
    (project / ".rigtui.toml").write_text(SETTINGS.replace("BASE_URL", base_url))
    trust(project)  # the user's own settings for this project


# The stored log of the flow, the order of everything but the checks' results (a check runs
# beside the model's next reply: either may end first); they are asserted on their own.
FLOW = [
    ev.ThreadCreated,
    ev.UserMessage, ev.TaskStarted, ev.AssistantMessage, ev.ToolCallStarted, ev.UsageUpdated,
    ev.PatchProposed, ev.PatchDecided, ev.PatchApplied, ev.ToolCallFinished,
    ev.AssistantMessage, ev.UsageUpdated, ev.TaskEnded,
    ev.UserMessage, ev.TaskStarted, ev.AssistantMessage, ev.ToolCallStarted, ev.UsageUpdated,
    ev.PatchProposed, ev.PatchDecided, ev.PatchApplied, ev.ToolCallFinished,
    ev.AssistantMessage, ev.UsageUpdated, ev.TaskEnded,
    ev.PatchUndone,
    ev.UserMessage, ev.TaskStarted, ev.AssistantMessage, ev.UsageUpdated, ev.TaskEnded,
]  # fmt: skip


def check_the_log(log: list[ev.Event], server: FakeOpenAI, *, first_hunks: list[str]) -> None:
    assert [type(e) for e in log if not isinstance(e, ev.CheckFinished)] == FLOW
    decided = [e for e in log if isinstance(e, ev.PatchDecided)]
    applied = [e for e in log if isinstance(e, ev.PatchApplied)]
    assert decided[0].accepted == first_hunks and decided[1].accepted == ["1.1"]
    checks = [e for e in log if isinstance(e, ev.CheckFinished)]
    assert [(c.check, c.state) for c in checks] == [("lint", "failed"), ("lint", "passed")]
    assert [c.change_set_id for c in checks] == [a.change_set_id for a in applied]
    for check, after, before in zip(checks, applied, [1, 2], strict=True):
        assert log.index(check) > log.index(after), "a change set's checks follow it"
        if before == 1:  # the failure is what the auto-fix round sends
            fix_request = [e for e in log if isinstance(e, ev.UserMessage)][1]
            assert log.index(check) < log.index(fix_request)
            assert "`lint`" in fix_request.text and "auto-fix round 1 of 1" in fix_request.text
    (undone,) = [e for e in log if isinstance(e, ev.PatchUndone)]
    assert undone.change_set_id == applied[1].change_set_id and undone.paths == ["notes.txt"]
    told = [m["content"] for m in server.requests[-1]["messages"] if m["role"] == "user"]
    assert any("undid change set " + undone.change_set_id in t for t in told)


def wait_for(kind: type, where: Callable[[ev.Event], bool] = lambda _: True):  # type: ignore[no-untyped-def]
    return lambda e: isinstance(e, kind) and where(e)


async def test_a_whole_flow_through_ops_only(project: Path) -> None:
    with FakeOpenAI(script()) as server:
        configure(project, server.base_url)
        session = await Session.open(project, settings=load_settings(project), retry=FAST_RETRY)
        try:
            await session.start()
            events = session.subscribe()
            thread = await session.new_thread("flow")
            await session.send(SendMessage(thread.id, "edit the notes"))
            proposed = (await collect_until(events, wait_for(ev.PatchProposed)))[-1]
            assert isinstance(proposed, ev.PatchProposed)
            decision = Decision(["1.1"], ["2.1"], comments={"2.1": "no new files"})
            await session.send(DecidePatch(thread.id, proposed.change_set_id, decision))
            # the auto-fix round proposes the fix: accept it
            await collect_until(events, wait_for(ev.UserMessage, lambda e: "auto-fix" in e.text))
            fix = (await collect_until(events, wait_for(ev.PatchProposed)))[-1]
            assert isinstance(fix, ev.PatchProposed)
            await session.send(DecidePatch(thread.id, fix.change_set_id, Decision()))
            await session.wait_idle(thread.id)  # the task, its checks, and what follows them
            assert (project / "notes.txt").read_text().startswith("FIRST LINE FIXED\n")
            assert not (project / "extra.txt").exists()

            await session.send(Undo(""))  # the change set's own thread records it
            assert (project / "notes.txt").read_text().startswith("FIRST LINE\n")
            await session.send(SendMessage(thread.id, "what happened?"))
            await session.wait_idle(thread.id)
            log = await session.history(thread.id)
        finally:
            await session.close()
        check_the_log(log, server, first_hunks=["1.1"])
        tool_results = [e.output for e in log if isinstance(e, ev.ToolCallFinished)]
        assert "rejected hunks: 2.1" in tool_results[0] and "no new files" in tool_results[0]


def rigtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_rigtui(*args, cwd=cwd, env={"CI": "true"})


async def test_the_same_flow_through_exec_json_leaves_the_same_log(project: Path) -> None:
    with FakeOpenAI(script()) as server:
        configure(project, server.base_url)
        done = rigtui("exec", "edit the notes", "--json", "--approve", "auto", cwd=project)
        assert done.returncode == 0, done.stderr
        printed = [ev.from_dict(json.loads(line)) for line in done.stdout.splitlines()]
        thread_id = printed[0].thread_id
        assert rigtui("undo", cwd=project).returncode == 0
        again = rigtui("exec", "what happened?", "--thread", thread_id, "--json", cwd=project)
        assert again.returncode == 0, again.stderr
        printed += [ev.from_dict(json.loads(line)) for line in again.stdout.splitlines()]
        session = await Session.open(project)
        try:
            log = await session.history(thread_id)
        finally:
            await session.close()
    check_the_log(log, server, first_hunks=["1.1", "2.1"])  # --approve auto: every hunk
    assert (project / "extra.txt").exists()
    # exec printed every stored event of its runs, in order (the undo came from `rigtui undo`)
    stored = [(type(e), e.at) for e in log if not isinstance(e, ev.PatchUndone | ev.ThreadCreated)]
    shown = [(type(e), e.at) for e in printed if (type(e), e.at) in set(stored)]
    assert shown == stored

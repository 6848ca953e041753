"""Tools through the whole loop: plans, command approval, patch review, and the thread ops
(fork, search, model switch, queued messages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rigtui import protocol as ev
from rigtui.config import ModelProfile
from rigtui.protocol import (
    CommandApprovalRequested,
    CommandDecided,
    DecideCommand,
    DecidePatch,
    Decision,
    ForkThread,
    ModelChanged,
    SendMessage,
    SetThreadModel,
    ThreadForked,
    ToolCallFinished,
)
from rigtui.sandbox.local import bwrap_status
from rigtui.session import Session
from tests.support.fake_openai import (
    Call,
    FakeOpenAI,
    Say,
    collect_until,
    make_settings,
    of_type,
    open_session,
    run_messages,
    task_ended,
)

TWO_HUNKS = """*** Begin Patch
*** Update File: notes.txt
@@
-first line
+FIRST LINE
*** Add File: new.txt
+brand new
*** End Patch
"""


async def test_update_plan_emits_a_live_plan_and_stores_it_on_the_task(project: Path) -> None:
    plan = {
        "plan": [
            {"step": "read", "status": "completed"},
            {"step": "write", "status": "in_progress"},
        ]
    }
    bad = {"plan": [{"step": "x", "status": "someday"}]}
    with FakeOpenAI(
        [Say(calls=[Call("update_plan", plan), Call("update_plan", bad)]), Say("ok")]
    ) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "plan it"))
        seen = await collect_until(events, task_ended(thread.id))
        (update,) = of_type(seen, ev.PlanUpdated)
        assert [s["status"] for s in update.steps] == ["completed", "in_progress"]
        results = of_type(seen, ToolCallFinished)
        assert results[0].ok and not results[1].ok and "status must be one of" in results[1].output
        (task,) = await session.store.tasks(thread.id)
        assert task.plan == update.steps and task.status == "done"
        await session.close()


async def test_run_command_waits_for_approval_and_reports_output(project: Path) -> None:
    calls = [
        Call("run_command", {"command": "echo approved-run"}, id="yes"),
        Call("run_command", {"command": "rm -rf src"}, id="no"),
    ]
    with FakeOpenAI([Say(calls=calls), Say("ok")]) as server:
        settings = make_settings(server.base_url)
        settings.sandbox.kind = "local"
        session = await open_session(project, settings)
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "run"))
        seen = await collect_until(events, lambda e: isinstance(e, CommandApprovalRequested))
        first = seen[-1]
        assert first.command == "echo approved-run" and first.cwd == "."
        await session.send(DecideCommand(thread.id, first.request_id, True))
        seen += await collect_until(events, lambda e: isinstance(e, CommandApprovalRequested))
        await session.send(DecideCommand(thread.id, seen[-1].request_id, False, "never delete src"))
        seen += await collect_until(events, task_ended(thread.id))
        results = {f.call_id: f for f in of_type(seen, ToolCallFinished)}
        assert results["yes"].ok and "approved-run" in results["yes"].output
        assert "exit code 0" in results["yes"].output
        assert not results["no"].ok and "never delete src" in results["no"].output
        assert (project / "src" / "app.py").exists()
        assert [d.approved for d in of_type(await session.history(thread.id), CommandDecided)] == [
            True,
            False,
        ]
        await session.close()


async def test_allowed_prefixes_run_without_asking(project: Path) -> None:
    with FakeOpenAI(
        [Say(calls=[Call("run_command", {"command": "echo free"})]), Say("ok")]
    ) as server:
        settings = make_settings(server.base_url)
        settings.sandbox.kind = "local"
        settings.approval.commands = "allow"
        settings.approval.allow = ["echo"]
        session = await open_session(project, settings)
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "run"))
        seen = await collect_until(events, task_ended(thread.id))
        assert not of_type(seen, CommandApprovalRequested)
        assert "free" in of_type(seen, ToolCallFinished)[0].output
        await session.close()


async def test_patch_review_applies_accepted_hunks_and_tells_the_model(project: Path) -> None:
    with FakeOpenAI([Say(calls=[Call("apply_patch", {"patch": TWO_HUNKS})]), Say("ok")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "edit"))
        proposed = (await collect_until(events, lambda e: e.type == "PatchProposed"))[-1]
        cs_id = proposed.change_set_id  # type: ignore[attr-defined]
        request = session.review_request(cs_id)  # the front end can render the proposal
        assert request is not None and request.proposal is not None
        assert request.proposal.id == cs_id and not request.future.done()
        decision = Decision(accepted=["1.1"], rejected=["2.1"], comments={"2.1": "no new files"})
        await session.send(DecidePatch(thread.id, cs_id, decision))
        seen = await collect_until(events, task_ended(thread.id))
        assert (project / "notes.txt").read_text().startswith("FIRST LINE\n")
        assert not (project / "new.txt").exists()
        result = of_type(seen, ToolCallFinished)[0].output
        assert "applied hunks: 1.1" in result and "rejected hunks: 2.1" in result
        assert "no new files" in result
        assert seen[-1].changed_files == ["notes.txt"] and seen[-1].change_sets == [cs_id]  # type: ignore[attr-defined]
        assert [e.type for e in seen if e.type.startswith("Patch")] == [
            "PatchDecided",
            "PatchApplied",
        ]
        await session.close()


@pytest.mark.skipif(not bwrap_status()[0], reason=f"bubblewrap unusable: {bwrap_status()[1]}")
async def test_a_read_only_project_turns_a_commands_writes_into_a_reviewed_change_set(
    project: Path,
) -> None:
    command = "sed -i s/first/1st/ notes.txt && echo gen > generated.txt && echo out"
    with FakeOpenAI([Say(calls=[Call("run_command", {"command": command})]), Say("ok")]) as server:
        settings = make_settings(server.base_url)
        settings.sandbox.kind, settings.sandbox.mount = "local", "ro"
        session = await open_session(project, settings)
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "generate"))
        asked = (await collect_until(events, lambda e: isinstance(e, CommandApprovalRequested)))[-1]
        assert "project read-only" in asked.sandbox  # type: ignore[attr-defined]
        await session.send(DecideCommand(thread.id, asked.request_id, True))  # type: ignore[attr-defined]
        proposed = (await collect_until(events, lambda e: e.type == "PatchProposed"))[-1]
        assert (project / "notes.txt").read_text().startswith("first line")  # not yet
        assert not (project / "generated.txt").exists()
        cs_id = proposed.change_set_id  # type: ignore[attr-defined]
        request = session.review_request(cs_id)
        assert request is not None and request.proposal is not None
        assert request.proposal.change_set.paths == ["generated.txt", "notes.txt"]
        await session.send(DecidePatch(thread.id, cs_id, Decision(["2.1"], ["1.1"])))
        seen = await collect_until(events, task_ended(thread.id))
        assert (project / "notes.txt").read_text().startswith("1st line")
        assert not (project / "generated.txt").exists()
        (result,) = of_type(seen, ToolCallFinished)
        assert "out" in result.output and "read-only" in result.output
        assert "created: generated.txt" in result.output and "rejected hunks: 1.1" in result.output
        await session.close()


async def test_a_bad_patch_is_a_tool_error_and_nothing_changes(project: Path) -> None:
    patch = "*** Begin Patch\n*** Update File: notes.txt\n@@\n-no such line\n+x\n*** End Patch\n"
    with FakeOpenAI([Say(calls=[Call("apply_patch", {"patch": patch})]), Say("ok")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "edit"))
        seen = await collect_until(events, task_ended(thread.id))
        (result,) = of_type(seen, ToolCallFinished)
        assert not result.ok and "refused" in result.output
        assert (project / "notes.txt").read_text().startswith("first line")
        await session.close()


async def test_fork_copies_up_to_a_message_and_continues_separately(project: Path) -> None:
    with FakeOpenAI([Say("one"), Say("two"), Say("fork reply")]) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("origin")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "first"))
        await collect_until(events, task_ended(thread.id))
        await session.send(SendMessage(thread.id, "second"))
        await collect_until(events, task_ended(thread.id))
        (one, _) = of_type(await session.history(thread.id), ev.AssistantMessage)
        await session.send(ForkThread(thread.id, message_id=one.message_id, title="what if"))
        fork = next(t for t in await session.threads() if t.title == "what if")
        assert fork.parent_id == thread.id
        history = await session.history(fork.id)
        assert isinstance(history[1], ThreadForked)
        assert [m.text for m in of_type(history, ev.UserMessage)] == ["first"]
        assert [m.text for m in of_type(history, ev.AssistantMessage)] == ["one"]
        await session.send(SendMessage(fork.id, "instead"))
        await collect_until(events, task_ended(fork.id))
        assert [m["content"] for m in server.requests[2]["messages"][1:]] == [
            "first",
            "one",
            "instead",
        ]
        assert (
            len(of_type(await session.history(thread.id), ev.UserMessage)) == 2
        )  # parent untouched
        found = await session.search_threads("INSTEAD")
        assert [t.id for t in found] == [fork.id]
        await session.close()


async def test_a_second_message_waits_for_the_running_task(project: Path) -> None:
    with FakeOpenAI(
        [
            Say(calls=[Call("read_file", {"path": "notes.txt"})]),
            Say("first done"),
            Say("second done"),
        ]
    ) as server:
        session = await open_session(project, make_settings(server.base_url))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "one"))
        await session.send(SendMessage(thread.id, "two"))
        await collect_until(events, task_ended(thread.id))
        seen = await collect_until(events, task_ended(thread.id))
        assert seen[-1].outcome == "done"  # type: ignore[attr-defined]
        users = [m["content"] for m in server.requests[2]["messages"] if m["role"] == "user"]
        assert users == ["one", "two"]  # "two" was not stored inside the first task's tool loop
        await session.close()


async def test_switching_the_thread_model_uses_the_other_profile(project: Path) -> None:
    with FakeOpenAI([Say("from the small one")]) as server:
        settings = make_settings(server.base_url)
        settings.model.profiles["small"] = ModelProfile(
            model="tiny-model", base_url=server.base_url, max_retries=0
        )
        session = await open_session(project, settings)
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SetThreadModel(thread.id, "small"))
        await session.send(SendMessage(thread.id, "hi"))
        seen = await collect_until(events, task_ended(thread.id))
        assert of_type(seen, ModelChanged)[0].model == "tiny-model"
        assert server.requests[0]["model"] == "tiny-model"
        await session.close()


async def test_code_index_tools_answer_from_the_real_index(project: Path) -> None:
    (project / "src" / "parser.py").write_text(
        "class Parser:\n    def parse_tabs(self, text):\n        return text.split()\n"
    )
    calls = [
        Call("find_symbol", {"name": "Parser.parse_tabs"}, id="f"),
        Call("search_code", {"query": "split"}, id="s"),
    ]
    with FakeOpenAI([Say(calls=calls), Say("ok")]) as server:
        settings = make_settings(server.base_url)
        settings.index.enabled = True
        session = await open_session(project, settings)
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "where is parse_tabs?"))
        seen = await collect_until(events, task_ended(thread.id), timeout=60)
        results = {f.call_id: f for f in of_type(seen, ToolCallFinished)}
        assert results["f"].ok and "src/parser.py:2" in results["f"].output
        assert results["s"].ok and "src/parser.py" in results["s"].output
        assert "Repository map" in server.requests[0]["messages"][0]["content"]
        await session.close()


async def asked_under_auto(project: Path, base_url: str) -> tuple[Session, str, Any, Any]:
    """A session with `approval.commands = "auto"` whose model's first call waits for a person:
    (session, thread id, event stream, the CommandApprovalRequested)."""
    settings = make_settings(base_url)
    settings.sandbox.kind = "local"
    settings.approval.commands = "auto"
    session = await open_session(project, settings)
    thread = await session.new_thread("t")
    events = session.subscribe()
    await session.send(SendMessage(thread.id, "run"))
    seen = await collect_until(events, lambda e: isinstance(e, CommandApprovalRequested))
    assert isinstance(seen[-1], CommandApprovalRequested)
    return session, thread.id, events, seen[-1]


async def test_auto_policy_still_asks_for_paths_outside_the_project(project: Path) -> None:
    with FakeOpenAI(
        [Say(calls=[Call("run_command", {"command": "cat /etc/hostname"})]), Say("ok")]
    ) as server:
        session, thread_id, events, request = await asked_under_auto(project, server.base_url)
        assert "outside the project" in request.reason and request.needs_person
        assert request.outside_paths == ["/etc/hostname"]
        assert request.sandbox.startswith("local")
        await session.send(DecideCommand(thread_id, request.request_id, False))
        await collect_until(events, task_ended(thread_id))
        await session.close()


async def test_a_command_that_needs_a_person_is_asked_about_under_auto_and_runs_approved(
    project: Path,
) -> None:
    command = "echo $(echo substituted)"
    with FakeOpenAI(
        [Say(calls=[Call("run_command", {"command": command, "reason": "try"})]), Say("ok")]
    ) as server:
        session, thread_id, events, request = await asked_under_auto(project, server.base_url)
        assert request.needs_person
        assert request.reason.startswith("command substitution `$(echo substituted)`")
        assert request.reason.endswith("(the model says: try)")
        await session.send(DecideCommand(thread_id, request.request_id, True))  # a person's yes
        seen = await collect_until(events, task_ended(thread_id))
        (result,) = of_type(seen, ToolCallFinished)
        assert result.ok and "substituted" in result.output
        (stored,) = of_type(await session.history(thread_id), CommandApprovalRequested)
        assert stored.needs_person
        await session.close()


def test_an_approval_request_stored_before_needs_person_existed_still_loads() -> None:
    old = {"type": "CommandApprovalRequested", "thread_id": "t", "at": 1.0, "request_id": "r",
           "command": "ls", "cwd": ".", "reason": "", "sandbox": "", "outside_paths": []}  # fmt: skip
    event = ev.from_dict(old)
    assert isinstance(event, CommandApprovalRequested) and event.needs_person is False
    again = ev.from_dict({**event.to_dict(), "needs_person": True})
    assert isinstance(again, CommandApprovalRequested) and again.needs_person is True


async def test_a_queued_message_the_session_closes_on_is_kept_as_not_sent(project: Path) -> None:
    with FakeOpenAI([Say(calls=[Call("run_command", {"command": "echo wait"})])]) as server:
        settings = make_settings(server.base_url)
        settings.sandbox.kind = "local"
        session = await open_session(project, settings)
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "one"))
        await collect_until(events, lambda e: isinstance(e, CommandApprovalRequested))
        await session.send(SendMessage(thread.id, "two, queued behind one"))
        await session.close()  # while "one" waits for approval and "two" waits for "one"
        reopened = await open_session(project, settings)
        history = await reopened.history(thread.id)
        assert [e.text for e in of_type(history, ev.MessageNotSent)] == ["two, queued behind one"]
        await reopened.close()


async def test_read_file_ranges_that_read_nothing_are_errors_the_model_can_act_on(
    project: Path,
) -> None:
    (project / "empty.txt").write_text("")
    calls = [
        Call("read_file", {"path": "notes.txt", "start_line": 9}, id="past"),
        Call("read_file", {"path": "notes.txt", "start_line": 3, "end_line": 2}, id="backwards"),
        Call("read_file", {"path": "notes.txt", "start_line": 2, "end_line": 0}, id="to_end"),
        Call("read_file", {"path": "empty.txt"}, id="empty"),
    ]
    with FakeOpenAI([Say(calls=calls), Say("ok")]) as server:
        (seen,) = await run_messages(project, make_settings(server.base_url), "read")
    results = {f.call_id: f for f in of_type(seen, ToolCallFinished)}
    assert not results["past"].ok and results["past"].output == (
        "error: start_line 9 is past the end of notes.txt, which has 3 lines;"
        " ask for start_line between 1 and 3"
    )
    assert not results["backwards"].ok
    assert "end_line 2 is before start_line 3" in results["backwards"].output
    assert results["to_end"].ok and "lines 2-3 of 3" in results["to_end"].output
    assert results["empty"].ok and results["empty"].output == "empty.txt is empty (0 lines)"

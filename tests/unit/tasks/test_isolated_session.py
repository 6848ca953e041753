"""Isolated tasks through the session, with the scripted model: two at once on one project,
the project untouched until review, both back as change sets (a command's write included),
applied and undone byte for byte; a rebase over the project's own change, and a conflict."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rigtui import protocol as ev
from rigtui.protocol import DecidePatch, Decision, ReviewIsolated, StartIsolated, Undo
from rigtui.protocol.isolated import APPLIED, NEEDS_REVIEW
from rigtui.session import Session
from tests.support.fake_openai import FakeOpenAI, collect_until, make_settings, open_session
from tests.unit.tasks.helpers import make_project, task_one_turns, task_two_turns, tree


def settings_for(base_url: str):  # noqa: ANN201
    settings = make_settings(base_url)
    settings.sandbox.kind = "local"
    settings.approval.commands = "auto"
    return settings


async def review_and_apply(session: Session, task_id: str, thread_id: str) -> ev.PatchProposed:
    events = session.subscribe()
    await session.send(ReviewIsolated(thread_id, task_id))
    seen = await collect_until(events, lambda e: isinstance(e, ev.PatchProposed))
    proposed = seen[-1]
    assert isinstance(proposed, ev.PatchProposed) and proposed.origin == "task"
    await session.send(DecidePatch(thread_id, proposed.change_set_id, Decision()))
    await collect_until(
        events,
        lambda e: isinstance(e, ev.IsolatedTaskChanged) and e.task_id == task_id
        and e.state == APPLIED,
    )  # fmt: skip
    return proposed


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "copy"])
async def test_two_isolated_tasks_at_once_come_back_as_change_sets(
    tmp_path: Path, use_git: bool
) -> None:
    project = make_project(tmp_path / "proj", use_git=use_git)
    before = tree(project)
    routes = {"first": task_one_turns(), "second": task_two_turns()}
    with FakeOpenAI(routes=routes) as server:
        session = await open_session(project, settings_for(server.base_url))
        try:
            one = await session.new_thread("one")
            two = await session.new_thread("two")
            events = session.subscribe()
            await session.send(StartIsolated(one.id, "the first task"))
            await session.send(StartIsolated(two.id, "the second task"))
            ended: set[str] = set()

            def both_ended(e: ev.Event) -> bool:
                if isinstance(e, ev.IsolatedTaskChanged) and e.state == NEEDS_REVIEW:
                    ended.add(e.task_id)
                return len(ended) == 2

            seen = await collect_until(events, both_ended, timeout=60)
            await session.isolated.wait_idle()
            assert tree(project) == before  # nothing touched the live project
            tasks = {t.thread_id: t for t in await session.isolated.tasks()}
            assert tasks[one.id].state == tasks[two.id].state == NEEDS_REVIEW
            assert tasks[one.id].files == ["a.txt", "out.txt"]  # the command's write too
            assert tasks[two.id].files == ["c.txt"]
            homes = [Path(t.workspace["home"]) for t in tasks.values()]
            assert all(h.is_dir() for h in homes)
            # both ran at once: the second started before the first ended
            states = [(e.task_id, e.state) for e in seen if isinstance(e, ev.IsolatedTaskChanged)]
            running = [i for i, (_, s) in enumerate(states) if s == "running"]
            reviews = [i for i, (_, s) in enumerate(states) if s == NEEDS_REVIEW]
            assert len(running) == 2 and max(running) < min(reviews)

            preview = await session.isolated.preview(tasks[one.id].id)
            assert (
                "+alpha TWO (task one)" in preview.patch
                and "+written by a command" in preview.patch
            )
            await review_and_apply(session, tasks[one.id].id, one.id)
            await review_and_apply(session, tasks[two.id].id, two.id)
            assert (project / "out.txt").read_text() == "written by a command\n"
            assert "TWO (task two)" in (project / "c.txt").read_text()
            assert not any(h.exists() for h in homes)  # the workspaces went with the apply
            assert {t.state for t in await session.isolated.tasks()} == {APPLIED}
            await session.send(Undo(""))
            await session.send(Undo(""))
            assert tree(project) == before  # byte for byte
        finally:
            await session.close()
    if use_git:
        from tests.unit.tasks.helpers import git

        assert git(project, "worktree", "list").count("\n") == 1  # only the project's own


async def test_a_task_is_rebased_on_the_projects_change_and_a_conflict_is_shown(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "proj", use_git=True)
    (project / "a.txt").write_text("alpha one\nalpha two\nalpha three\n" + "x\n" * 8 + "tail\n")
    routes = {"first": task_one_turns()}
    with FakeOpenAI(routes=routes) as server:
        session = await open_session(project, settings_for(server.base_url))
        try:
            thread = await session.new_thread("one")
            task = await session.isolated.start(thread.id, "the first task")
            await session.isolated.wait_idle()
            # the project moves on: far from the task's edit (clean), then onto it (conflict)
            (project / "a.txt").write_text(
                "alpha one\nalpha two\nalpha three\n" + "x\n" * 8 + "tail, edited here\n"
            )
            clean = await session.isolated.preview(task.id)
            assert clean.clean and clean.merged == ["a.txt"]
            assert "+alpha TWO (task one)" in clean.patch and "tail, edited" not in clean.patch
            (project / "a.txt").write_text("alpha one\nalpha 2 (by hand)\nalpha three\n")
            clashing = await session.isolated.preview(task.id)
            (conflict,) = clashing.conflicts
            assert conflict.path == "a.txt" and conflict.in_patch
            assert "+<<<<<<< project (now)" in clashing.patch and "+>>>>>>> task" in clashing.patch
            events = session.subscribe()
            await session.send(ReviewIsolated(thread.id, task.id))
            seen = await collect_until(events, lambda e: isinstance(e, ev.PatchProposed))
            notices = [e.text for e in seen if isinstance(e, ev.Notice)]
            assert any(n.startswith("CONFLICT in a.txt") for n in notices)
            # nothing is written until a person decides
            assert (project / "a.txt").read_text() == "alpha one\nalpha 2 (by hand)\nalpha three\n"
            await session.send(
                DecidePatch(thread.id, seen[-1].change_set_id, Decision(pending=True))
            )
        finally:
            await session.close()


async def test_limit_queues_tasks_beyond_max_parallel(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", use_git=False)
    routes = {"first": task_two_turns(), "second": task_two_turns()}
    with FakeOpenAI(routes=routes) as server:
        settings = settings_for(server.base_url)
        settings.tasks.max_parallel = 1
        session = await open_session(project, settings)
        try:
            one, two = await session.new_thread("1"), await session.new_thread("2")
            events = session.subscribe()
            await session.send(StartIsolated(one.id, "the first task"))
            await session.send(StartIsolated(two.id, "the second task"))
            seen = await collect_until(
                events,
                lambda e: isinstance(e, ev.IsolatedTaskChanged) and e.thread_id == two.id
                and e.state == NEEDS_REVIEW,
            )  # fmt: skip
            order = [(e.thread_id, e.state) for e in seen if isinstance(e, ev.IsolatedTaskChanged)]
            # the second waited in the queue until the first had ended
            assert order.index((two.id, "running")) > order.index((one.id, NEEDS_REVIEW))
        finally:
            await session.close()
    await asyncio.sleep(0)


async def test_a_tasks_checks_run_in_its_workspace_and_their_state_is_kept(tmp_path: Path) -> None:
    from rigtui.config import CheckSpec
    from tests.support.fake_openai import Call, Say
    from tests.unit.tasks.helpers import EDIT_C

    project = make_project(tmp_path / "proj", use_git=False)
    script = [
        Say(calls=[Call("apply_patch", {"patch": EDIT_C})]),
        Say(calls=[Call("run_checks", {})]),
        Say("checked"),
    ]
    with FakeOpenAI(script) as server:
        settings = settings_for(server.base_url)
        # passes only where the task's edit is: in the workspace, not in the project
        settings.checks.commands = {"edited": CheckSpec("grep -q 'task two' c.txt")}
        session = await open_session(project, settings)
        try:
            thread = await session.new_thread("checks")
            task = await session.isolated.start(thread.id, "edit and check")
            await session.isolated.wait_idle()
            done = await session.isolated.task(task.id)
            assert done.state == NEEDS_REVIEW and done.checks == "edited passed"
            finished = [
                e for e in await session.history(thread.id) if isinstance(e, ev.CheckFinished)
            ]
            assert finished and finished[-1].state == "passed"
        finally:
            await session.close()


async def test_discarding_a_running_and_a_queued_task_leaves_nothing(
    tmp_path: Path, rigtui_home: Path
) -> None:
    import threading

    from tests.support.fake_openai import Call, Say
    from tests.unit.tasks.helpers import EDIT_C

    project = make_project(tmp_path / "proj", use_git=True)
    before = tree(project)
    hold = threading.Event()
    routes = {
        "first": [Say(calls=[Call("apply_patch", {"patch": EDIT_C})]), Say("wait", hold=hold)],
        "second": task_two_turns(),
    }
    with FakeOpenAI(routes=routes) as server:
        settings = settings_for(server.base_url)
        settings.tasks.max_parallel = 1
        session = await open_session(project, settings)
        try:
            one, two = await session.new_thread("1"), await session.new_thread("2")
            events = session.subscribe()
            first = await session.isolated.start(one.id, "the first task")
            second = await session.isolated.start(two.id, "the second task")
            await collect_until(events, lambda e: isinstance(e, ev.MessageDelta))  # mid-reply
            assert (await session.isolated.task(second.id)).state == "queued"
            await session.isolated.discard(second.id)
            await session.isolated.discard(first.id)
            states = {t.id: t.state for t in await session.isolated.tasks()}
            assert states == {first.id: "discarded", second.id: "discarded"}
            assert not any((rigtui_home / "data" / "workspaces").iterdir())
            assert tree(project) == before
        finally:
            hold.set()
            await session.close()
    from tests.unit.tasks.helpers import git

    assert git(project, "worktree", "list").count("\n") == 1


async def test_a_message_to_a_thread_whose_task_runs_isolated_is_not_run_live(
    tmp_path: Path,
) -> None:
    import threading

    from rigtui.protocol import SendMessage
    from tests.support.fake_openai import Call, Say
    from tests.unit.tasks.helpers import EDIT_C

    project = make_project(tmp_path / "proj", use_git=False)
    before = tree(project)
    hold = threading.Event()
    script = [Say(calls=[Call("apply_patch", {"patch": EDIT_C})]), Say("wait", hold=hold)]
    with FakeOpenAI(script) as server:
        session = await open_session(project, settings_for(server.base_url))
        try:
            thread = await session.new_thread("1")
            events = session.subscribe()
            await session.isolated.start(thread.id, "the first task")
            await collect_until(events, lambda e: isinstance(e, ev.MessageDelta))
            await session.send(SendMessage(thread.id, "also edit a.txt"))
            seen = await collect_until(events, lambda e: isinstance(e, ev.Notice))
            assert seen[-1].text.startswith("not sent: this thread's task runs isolated")
            assert seen[-1].text.endswith("also edit a.txt")  # the text is kept in the thread
            assert not session.running(thread.id)  # nothing runs live in that thread
            hold.set()
            await session.isolated.wait_idle()
            assert tree(project) == before
        finally:
            hold.set()
            await session.close()


async def test_a_second_review_of_the_same_task_is_refused_while_one_is_open(
    tmp_path: Path,
) -> None:
    """Enter twice on the board: the second review would take the first's place and leave it
    waiting for ever (and `wait_idle` with it); it is refused, the first is decided and applied."""
    from rigtui.errors import RigtuiError

    project = make_project(tmp_path / "proj", use_git=True)
    with FakeOpenAI(task_two_turns()) as server:
        session = await open_session(project, settings_for(server.base_url))
        try:
            thread = await session.new_thread("one")
            task = await session.isolated.start(thread.id, "go")
            await session.isolated.wait_idle()
            events = session.subscribe()
            first = await session.isolated.review(task.id)
            with pytest.raises(RigtuiError, match="already open for review"):
                await session.isolated.review(task.id)
            await collect_until(events, lambda e: isinstance(e, ev.PatchProposed))
            await session.send(DecidePatch(thread.id, first.change_set.id, Decision()))
            await asyncio.wait_for(session.isolated.wait_idle(), timeout=60)
            assert (await session.isolated.task(task.id)).state == APPLIED
            assert "TWO (task two)" in (project / "c.txt").read_text()
        finally:
            await session.close()


async def test_an_isolated_task_is_offered_no_mcp_tools(tmp_path: Path) -> None:
    """MCP servers run on the live project (a filesystem server would write there): an
    isolated task is told so and offered none of their tools; no server starts for it."""
    from tests.support.mcp_helpers import stdio_settings

    project = make_project(tmp_path / "proj", use_git=True)
    pidfile = tmp_path / "mcp.pid"
    with FakeOpenAI(routes={"second": task_two_turns()}) as server:
        settings = settings_for(server.base_url)
        settings.mcp.servers["t"] = stdio_settings(pidfile, approval="allow")
        session = await open_session(project, settings)
        try:
            thread = await session.new_thread("t")
            events = session.subscribe()
            await session.send(StartIsolated(thread.id, "the second task"))
            seen = await collect_until(
                events,
                lambda e: isinstance(e, ev.IsolatedTaskChanged) and e.state == NEEDS_REVIEW,
                timeout=60,
            )
            await session.isolated.wait_idle()
        finally:
            await session.close()
    offered = {t["function"]["name"] for r in server.requests for t in r.get("tools", [])}
    assert offered and not any(name.startswith("t__") for name in offered)
    assert any(isinstance(e, ev.Notice) and "MCP tools are not offered" in e.text for e in seen)
    assert not pidfile.exists()

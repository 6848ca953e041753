"""The runner on a real project folder: real files, the real watcher, real pytest processes."""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rigtui.checks.runner import CheckRunner
from rigtui.checks.spec import Check
from rigtui.protocol import CheckFinished, CheckOutput, CheckQueued, CheckStarted, Event
from rigtui.sandbox.local import LocalSandbox
from rigtui.watch import ProjectWatcher
from tests.support.processes import alive

PYTEST = f"{shlex.quote(sys.executable)} -m pytest -x -q -p no:cacheprovider"
CALC = "def add(a, b):\n    return a + b\n"
PASSING = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
FAILING = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 4\n"


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


async def until(condition, timeout: float = 10.0) -> None:
    """Poll a condition nothing can be awaited for (a process vanishing) with a deadline."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def next_event(events: AsyncIterator[Event], kind: type, timeout: float = 30.0):
    async with asyncio.timeout(timeout):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"the runner stopped before a {kind.__name__}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "calc.py").write_text(CALC)
    (root / "test_calc.py").write_text(PASSING)
    return root


@pytest.fixture
async def watched(project: Path):
    """A started watcher and a runner of one pytest check attached to it."""

    async def make(checks: list[Check], debounce_ms: int = 150) -> CheckRunner:
        runner = CheckRunner(
            project, checks, LocalSandbox(project, isolate=False), debounce_ms=debounce_ms
        )
        runner.attach(watcher)
        made.append(runner)
        return runner

    watcher = ProjectWatcher(project)
    made: list[CheckRunner] = []
    await watcher.start()
    yield make
    for runner in made:
        await runner.close()
    await watcher.stop()


async def test_a_breaking_save_fails_at_the_right_line_and_a_fix_passes(project, watched):
    runner = await watched([Check("tests", PYTEST, ("**/*.py",))])
    events = runner.subscribe()
    (project / "test_calc.py").write_text(FAILING)
    failed = await next_event(events, CheckFinished)
    assert failed.state == "failed" and failed.exit_code == 1
    assert failed.locations[0]["path"] == "test_calc.py"
    assert failed.locations[0]["line"] == 5
    assert "assert 3 == 4" in failed.locations[0]["message"]

    (project / "test_calc.py").write_text(PASSING)
    passed = await next_event(events, CheckFinished)
    assert passed.state == "passed" and passed.exit_code == 0 and passed.locations == []
    assert runner.last["tests"] == passed


async def test_a_burst_of_saves_makes_one_finished_run_of_the_last_state(project, watched):
    """Leading edge: the first save starts the check at once; the next ones cancel it and
    queue one run after the debounce, which is the only one that finishes."""
    runner = await watched([Check("tests", PYTEST, ("**/*.py",))], debounce_ms=400)
    seen: list[Event] = []
    runner.add_listener(seen.append)
    for i in range(6):  # six saves, each well inside the debounce window of the last
        (project / "calc.py").write_text(CALC + f"\n# save {i}\n")
        await asyncio.sleep(0.05)
    await runner.wait_idle()
    finished = [e for e in seen if isinstance(e, CheckFinished)]
    assert [e.state for e in finished] in (["passed"], ["cancelled", "passed"])
    assert sum(isinstance(e, CheckStarted) for e in seen) == len(finished)
    assert sum(isinstance(e, CheckQueued) for e in seen) == len(finished)
    assert all(e.paths == ["calc.py"] for e in seen if isinstance(e, CheckQueued))


async def test_a_save_to_an_idle_check_starts_it_without_the_debounce(project, watched):
    runner = await watched([Check("tests", PYTEST, ("**/*.py",))], debounce_ms=60_000)
    events = runner.subscribe()
    (project / "calc.py").write_text(CALC + "\n# saved\n")
    started = await asyncio.wait_for(next_event(events, CheckStarted), 30)
    assert started.check == "tests"  # a minute's debounce did not hold it back


async def test_a_change_during_a_run_cancels_it_and_kills_its_process_tree(
    project, tmp_path, watched
):
    pids = tmp_path / "pids"
    pids.mkdir()
    # A parent shell with a child that would outlive a careless kill; pid files go outside the
    # project so writing them triggers nothing.
    script = (
        f"d={shlex.quote(str(pids))}/$(date +%s%N); mkdir -p $d; sleep 60 & echo $! > $d/child;"
        " echo $$ > $d/parent; echo ready; wait"
    )
    runner = await watched([Check("slow", script, ("*.py",))], debounce_ms=50)
    seen: list[Event] = []
    runner.add_listener(seen.append)
    events = runner.subscribe()

    (project / "calc.py").write_text(CALC + "# 1\n")
    first = await next_event(events, CheckStarted)
    await next_event(events, CheckOutput)  # "ready": both processes exist
    (run_dir,) = pids.iterdir()
    parent, child = (int((run_dir / n).read_text()) for n in ("parent", "child"))
    assert alive(parent) and alive(child)

    (project / "calc.py").write_text(CALC + "# 2\n")
    cancelled = await next_event(events, CheckFinished)
    assert cancelled.run_id == first.run_id and cancelled.state == "cancelled"
    second = await next_event(events, CheckStarted)
    assert second.run_id != first.run_id
    await until(lambda: not alive(parent) and not alive(child))
    assert group_members(parent) == []  # the shell led its own group: nothing left in it

    await next_event(events, CheckOutput)
    await runner.close()
    assert seen[-1].state == "cancelled" and seen[-1].run_id == second.run_id
    leaders = [int((d / "parent").read_text()) for d in pids.iterdir()]
    await until(lambda: all(group_members(p) == [] for p in leaders))


async def test_an_applied_change_set_links_its_run_and_its_echo_is_ignored(project, watched):
    # No debounce and no globs: the watcher's echo would land mid-run and cancel it if it
    # were not recognised as rigtui's own write.
    runner = await watched([Check("tests", PYTEST)], debounce_ms=0)
    seen: list[Event] = []
    runner.add_listener(seen.append)
    events = runner.subscribe()
    # As rigtui's edit engine applies a change set: a temp file beside the target, renamed.
    temp = project / ".test_calc.py.x1.rigtui.tmp"
    temp.write_text(FAILING)
    os.replace(temp, project / "test_calc.py")
    runner.changes_applied("cs-42", ["test_calc.py"], thread_id="thread-7")
    finished = await next_event(events, CheckFinished)
    await runner.wait_idle()
    assert finished.state == "failed" and finished.change_set_id == "cs-42"
    assert {e.thread_id for e in seen} == {"thread-7"}  # the run's events belong to its thread
    queued = [e for e in seen if isinstance(e, CheckQueued)]
    assert [(q.reason, q.change_set_id) for q in queued] == [("change_set", "cs-42")]
    assert sum(isinstance(e, CheckStarted) for e in seen) == 1


async def test_changes_outside_a_checks_globs_do_not_queue_it(project):
    runner = CheckRunner(
        project, [Check("tests", "true", ("**/*.py",))], LocalSandbox(project, isolate=False)
    )
    runner.on_changes(["README.md", "docs/intro.rst"])
    assert runner._idle.is_set()  # nothing queued, nothing armed
    runner.on_changes(["pkg/mod.py"])
    assert not runner._idle.is_set()
    await runner.close()


async def test_run_once_reports_each_check(project):
    checks = [Check("ok", "echo fine"), Check("bad", "echo broken >&2; exit 3")]
    runner = CheckRunner(project, checks, LocalSandbox(project, isolate=False))
    ok, bad = await runner.run_once()
    assert (ok.check, ok.state, ok.exit_code, ok.output) == ("ok", "passed", 0, "fine\n")
    assert (bad.check, bad.state, bad.exit_code) == ("bad", "failed", 3)
    assert "broken" in bad.output and bad.duration >= 0
    await runner.close()


async def test_a_command_that_cannot_start_is_a_failure_that_says_why(project):
    runner = CheckRunner(
        project,
        [Check("gone", "definitely-not-a-command-xyz")],
        LocalSandbox(project, isolate=False),
    )
    (result,) = await runner.run_once()
    assert result.state == "failed" and result.exit_code == 127
    assert "not found" in result.output
    await runner.close()


async def test_only_trusted_checks_follow_changes_and_applied_change_sets(project, watched):
    """An untrusted check (from a project file the user has not trusted, or detected) never
    runs on its own. Proved without a sleep: every check a change triggers is queued at once,
    so once the trusted one has finished, the untrusted one would have been queued too."""
    mine = Check("mine", "touch mine-ran", ("*.txt",))
    theirs = Check("theirs", "touch theirs-ran", ("*.txt",), trusted=False)
    runner = await watched([mine, theirs], debounce_ms=0)
    seen: list[Event] = []
    runner.add_listener(seen.append)
    events = runner.subscribe()
    (project / "notes.txt").write_text("a change the watcher sees\n")
    assert (await next_event(events, CheckFinished)).check == "mine"
    runner.changes_applied("cs-1", ["notes.txt"], thread_id="t")
    assert (await next_event(events, CheckFinished)).change_set_id == "cs-1"
    await runner.wait_idle()
    assert {e.check for e in seen if isinstance(e, CheckQueued)} == {"mine"}
    assert not (project / "theirs-ran").exists()

    runner.trust_checks(["theirs"])  # the user confirmed it, in a trusted project
    runner.on_changes(["notes.txt"])
    await runner.wait_idle()
    assert (project / "theirs-ran").exists()


async def test_an_untrusted_check_runs_when_asked_or_watched_on_request(project):
    theirs = Check("theirs", "touch theirs-ran", trusted=False)
    runner = CheckRunner(project, [theirs], LocalSandbox(project, isolate=False))
    (finished,) = await runner.run_once()  # the user asked (`rigtui check`, ctrl+r)
    assert finished.state == "passed" and (project / "theirs-ran").exists()
    await runner.close()
    watching = CheckRunner(
        project, [theirs], LocalSandbox(project, isolate=False), follow_untrusted=True
    )
    watching.on_changes(["x.py"])  # `rigtui check --watch`: the user asked for exactly this
    assert not watching._idle.is_set()
    await watching.close()


async def test_waiting_for_a_threads_checks_does_not_wait_for_the_others(project: Path) -> None:
    """`rigtui exec` waits for the checks its change sets triggered, not for a run the watcher
    started on its own (a check writing files could keep those coming)."""
    gate = project / "gate"
    slow = Check("slow", f"while [ ! -e {shlex.quote(str(gate))} ]; do sleep 0.01; done", ("*.md",))
    quick = Check("quick", "true", ("*.txt",))
    runner = CheckRunner(
        project, [slow, quick], LocalSandbox(project, isolate=False), debounce_ms=0
    )
    finished = runner.subscribe()
    runner.on_changes(["README.md"])  # unlinked: runs until the gate opens
    runner.changes_applied("cs-1", ["notes.txt"], thread_id="t")
    await runner.wait_idle("t")  # returns with the slow run still going
    done = await next_event(finished, CheckFinished)
    assert (done.check, done.thread_id) == ("quick", "t")
    assert "slow" not in runner.last  # still running when the wait for "t" returned
    gate.touch()
    await runner.wait_idle()
    await runner.close()

"""Who runs an isolated task: a live rigtui's task is never taken over (not discarded, not
marked interrupted); once that process is gone (even killed), the next start recovers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rigtui.errors import RigtuiError
from rigtui.protocol.isolated import INTERRUPTED, RUNNING
from rigtui.session import Session
from rigtui.session.owner import alive, me

WAIT_FOR_KILL = "from rigtui.session import owner; print(owner.me(), flush=True); input()"


def test_this_process_is_alive_and_a_garbled_owner_is_not() -> None:
    assert alive(me())
    assert not alive("") and not alive("nonsense") and not alive("1:other-boot:1")


async def test_a_live_owners_task_is_left_alone_until_it_is_gone(tmp_path: Path) -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", WAIT_FOR_KILL], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert other.stdout is not None
        token = other.stdout.readline().strip()
        session = await Session.open(tmp_path)
        try:
            thread = await session.new_thread("t")
            task = await session.store.create_isolated_task(
                "t-x", session.project.id, thread.id, "g"
            )
            await session.store.update_isolated_task(task.id, state=RUNNING, owner=token)
            assert await session.isolated.recover() == []
            with pytest.raises(RigtuiError, match="in another rigtui"):
                await session.isolated.discard(task.id)
            other.kill()
            other.wait(timeout=30)
            assert await session.isolated.recover() == [task.id]
            assert (await session.isolated.task(task.id)).state == INTERRUPTED
        finally:
            await session.close()
    finally:
        if other.poll() is None:
            other.kill()


async def test_a_dead_tasks_workspace_that_cannot_be_read_back_is_still_recovered(
    tmp_path: Path,
) -> None:
    """Its git record gone (a `git worktree prune`, say): the start does not fail on it; the
    task is marked interrupted with nothing to review and its workspace goes."""
    import shutil

    from rigtui.session.isolated import _ws_record, workspaces_dir
    from rigtui.workspace import create
    from tests.unit.tasks.helpers import make_project

    project = make_project(tmp_path / "proj", use_git=True)
    session = await Session.open(project)
    try:
        thread = await session.new_thread("t")
        task = await session.store.create_isolated_task("t-y", session.project.id, thread.id, "g")
        ws = create(project, workspaces_dir() / task.id)
        (ws.root / "a.txt").write_text("changed\n")
        shutil.rmtree(project / ".git" / "worktrees")
        await session.store.update_isolated_task(
            task.id, state=RUNNING, owner="1:gone:1", workspace=_ws_record(ws)
        )
        assert await session.isolated.recover() == [task.id]
        recovered = await session.isolated.task(task.id)
        assert recovered.state == INTERRUPTED and recovered.files == []
        assert not ws.home.exists()
    finally:
        await session.close()

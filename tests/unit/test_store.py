"""The store: migrations, the append-only event log, durability, refusing bad files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rigtui.errors import StoreError
from rigtui.protocol import AssistantMessage, UserMessage
from rigtui.store import Store
from rigtui.store.check import check_store_file
from rigtui.store.schema import SCHEMA_VERSION


async def test_migrates_a_new_file_to_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = await Store.open(path)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"projects", "threads", "events", "tasks"} <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


async def test_migrates_an_empty_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.touch()
    store = await Store.open(path)
    assert await store.schema_version() == SCHEMA_VERSION
    await store.close()


async def test_foreign_keys_cascade_thread_deletion(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.db")
    project = await store.project_for(tmp_path)
    thread = await store.create_thread(project.id, "t")
    await store.append(UserMessage(thread_id=thread.id, text="hi"))
    await store.create_task(thread.id, "goal")
    await store.delete_thread(thread.id)
    assert await store.count_events(thread.id) == 0
    assert await store.tasks(thread.id) == []
    with pytest.raises(sqlite3.IntegrityError):
        await store.append(UserMessage(thread_id="no-such-thread", text="x"))
    await store.close()


async def test_event_log_round_trips_in_order(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.db")
    project = await store.project_for(tmp_path)
    assert (await store.project_for(tmp_path)).id == project.id  # one project per root
    thread = await store.create_thread(project.id, "first")
    written = [
        UserMessage(thread_id=thread.id, text="hello", message_id="m1"),
        AssistantMessage(thread_id=thread.id, text="**hi**", message_id="m2"),
    ]
    await store.append_many(written)
    await store.close()

    reopened = await Store.open(tmp_path / "s.db")
    assert await reopened.events(thread.id) == written
    assert [t.title for t in await reopened.threads(project.id)] == ["first"]
    await reopened.close()


async def test_threads_rename_and_tasks(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.db")
    project = await store.project_for(tmp_path)
    a = await store.create_thread(project.id, "a")
    await store.rename_thread(a.id, "renamed")
    assert (await store.thread(a.id)).title == "renamed"  # type: ignore[union-attr]
    task = await store.create_task(a.id, "make the parser accept tabs")
    await store.update_task(task.id, plan=[{"step": "read", "status": "completed"}], status="done")
    (saved,) = await store.tasks(a.id)
    assert saved.status == "done" and saved.ended_at is not None
    assert saved.plan == [{"step": "read", "status": "completed"}]
    await store.close()


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from rigtui.protocol import UserMessage
    from rigtui.store import Store

    async def main():
        store = await Store.open(Path(sys.argv[1]))
        project = await store.project_for(Path(sys.argv[1]).parent)
        thread = await store.create_thread(project.id, "crash")
        print(thread.id, flush=True)
        n = 0
        while True:
            await store.append(UserMessage(thread_id=thread.id, text=f"event {n}"))
            print(n, flush=True)  # printed only after the append committed
            n += 1

    asyncio.run(main())
    """
)


async def test_killed_mid_write_loses_no_committed_event(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    thread_id = proc.stdout.readline().strip()
    committed = [int(proc.stdout.readline()) for _ in range(200)]
    proc.kill()  # SIGKILL: no cleanup, possibly mid-transaction
    proc.wait()
    store = await Store.open(path)
    texts = [e.text for e in await store.events(thread_id)]  # type: ignore[attr-defined]
    await store.close()
    assert texts[: len(committed)] == [f"event {n}" for n in committed]


def test_corrupt_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    garbage = os.urandom(4096)
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match="corrupt") as info:
        check_store_file(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == garbage


async def store_of_50_messages(folder: Path) -> Path:
    path = folder / "s.db"
    store = await Store.open(path)
    project = await store.project_for(folder)
    thread = await store.create_thread(project.id, "t")
    await store.append_many([UserMessage(thread_id=thread.id, text="x" * 500)] * 50)
    await store.close()
    return path


def wreck_a_page(path: Path) -> bytearray:
    """Keep the header, write random bytes over the second page; returns the new content."""
    data = bytearray(path.read_bytes())
    data[4096:8192] = os.urandom(4096)
    path.write_bytes(bytes(data))
    return data


async def test_damaged_pages_are_refused_and_left_untouched(tmp_path: Path) -> None:
    path = await store_of_50_messages(tmp_path)
    data = wreck_a_page(path)
    with pytest.raises(StoreError, match="corrupt"):
        await Store.open(path)
    assert path.read_bytes() == bytes(data)


async def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer"):
        await Store.open(path)
    with pytest.raises(StoreError, match="newer"):
        check_store_file(path)
    assert path.read_bytes() == before


async def test_concurrent_appends_from_many_tasks_all_land(tmp_path: Path) -> None:
    import asyncio

    store = await Store.open(tmp_path / "s.db")
    project = await store.project_for(tmp_path)
    threads = [await store.create_thread(project.id, f"t{i}") for i in range(4)]

    async def writer(thread_id: str) -> None:
        for n in range(25):
            await store.append_many([UserMessage(thread_id=thread_id, text=f"{n}")] * 2)

    await asyncio.gather(*(writer(t.id) for t in threads))
    for thread in threads:
        assert await store.count_events(thread.id) == 50
    await store.close()


@pytest.mark.parametrize("steps", range(8))
async def test_a_writer_cancelled_mid_write_neither_half_writes_nor_blocks_the_next(
    tmp_path: Path, steps: int
) -> None:
    """A task the user stops can be cancelled at any await of a write (BEGIN, an INSERT,
    COMMIT): the events land whole and the next write works (it once failed with "cannot
    start a transaction within a transaction", and the stopped task never ended)."""
    import asyncio

    store = await Store.open(tmp_path / "s.db")
    project = await store.project_for(tmp_path)
    thread = await store.create_thread(project.id, "t")
    first = [UserMessage(thread_id=thread.id, text=f"first {n}") for n in range(2)]
    writing = asyncio.create_task(store.append_many(first))
    for _ in range(steps):  # let the write reach its n-th await, then cancel it there
        await asyncio.sleep(0)
    writing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await writing
    after = UserMessage(thread_id=thread.id, text="after")
    await store.append(after)
    written = await store.events(thread.id)
    assert written == ([after] if steps == 0 else [*first, after])  # never started, or whole
    await store.close()


async def test_task_states_count_each_threads_tasks_by_status_within_the_project(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "rigtui.db")
    try:
        mine = await store.project_for(tmp_path / "mine")
        other = await store.project_for(tmp_path / "other")
        busy = await store.create_thread(mine.id, "busy")
        idle = await store.create_thread(mine.id, "idle")
        elsewhere = await store.create_thread(other.id, "elsewhere")
        for status in ("done", "done", "failed", "cancelled", None):
            task = await store.create_task(busy.id, "goal")
            if status:
                await store.update_task(task.id, status=status)
        await store.create_task(elsewhere.id, "not this project's")
        states = await store.task_states(mine.id)
        assert states == {busy.id: {"done": 2, "failed": 1, "cancelled": 1, "running": 1}}
        assert idle.id not in states
    finally:
        await store.close()


async def quick_checks_when_opening(path: Path) -> int:
    """How many integrity checks `Store.open` ran (each reads the whole file)."""
    ran: list[str] = []
    real = Store._scalar

    async def noted(self: Store, sql: str, params: tuple[object, ...] = ()) -> object:
        ran.append(sql)
        return await real(self, sql, params)

    Store._scalar = noted  # type: ignore[method-assign]
    try:
        store = await Store.open(path)
        await store.close()
    finally:
        Store._scalar = real  # type: ignore[method-assign]
    return ran.count("PRAGMA quick_check")


async def test_a_store_checked_at_launch_is_not_checked_again_unless_it_changed(
    tmp_path: Path,
) -> None:
    """The workbench checks the store before it takes the terminal and opens it just after:
    one integrity check, not two. A write in between (here another process's) and the open
    checks again, and a page wrecked since is refused."""
    path = await store_of_50_messages(tmp_path)
    assert await quick_checks_when_opening(path) == 1  # never checked in this process yet
    check_store_file(path)
    assert await quick_checks_when_opening(path) == 0
    check_store_file(path)
    sql_conn = sqlite3.connect(path)
    sql_conn.execute("UPDATE threads SET title = 'changed'")
    sql_conn.commit()
    sql_conn.close()
    assert await quick_checks_when_opening(path) == 1
    check_store_file(path)
    wreck_a_page(path)
    with pytest.raises(StoreError, match="corrupt"):
        await Store.open(path)

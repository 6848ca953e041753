"""Databases rigtui cannot use (a store missing a table, a full disk under RIGTUI_HOME, a damaged
code index) are one line on stderr naming the file or folder and the fix, exit code 2, the
file as it was, and the process ends: run as real `rigtui` processes with a timeout."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rigtui.errors import StoreError
from rigtui.store import Store
from rigtui.store.check import check_store_file


def rigtui(*args: str, home: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`rigtui ARGS`; a process that does not end within the timeout fails the test."""
    return subprocess.run(
        [sys.executable, "-m", "rigtui", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "RIGTUI_HOME": str(home)},
        cwd=cwd,
        timeout=30,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


async def new_store(path: Path, project: Path) -> None:
    store = await Store.open(path)
    await store.project_for(project)
    await store.close()


def make_store(path: Path, project: Path) -> None:
    asyncio.run(new_store(path, project))


def sql(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("def main():\n    return 1\n")
    return root


# --- the store ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["projects", "threads", "tasks"])
async def test_a_store_missing_a_table_is_refused_untouched(
    tmp_path: Path, project: Path, table: str
) -> None:
    path = tmp_path / "rigtui.db"
    await new_store(path, project)
    sql(path, f"DROP TABLE {table}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match=f"the table {table} is missing"):
        await Store.open(path)
    with pytest.raises(StoreError, match=f"the table {table} is missing"):
        check_store_file(path)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "command",
    [["threads", "--path", "."], ["exec", "say hi", "--path", "."], ["."]],
    ids=["threads", "exec", "workbench"],
)
def test_every_command_refuses_a_store_missing_a_table(
    rigtui_home: Path, project: Path, command: list[str]
) -> None:
    store = rigtui_home / "data" / "rigtui.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    make_store(store, project)
    sql(store, "DROP TABLE threads")
    before = store.read_bytes()
    line = one_line(rigtui(*command, home=rigtui_home, cwd=project))
    assert line == (
        f"rigtui: {store}: the database is corrupt (the table threads is missing); it was left"
        f" untouched (move it aside (e.g. `mv {store} {store}.broken`) and start rigtui again)\n"
    )
    assert store.read_bytes() == before


def test_a_store_failing_after_it_opened_still_lets_the_process_end(
    rigtui_home: Path, project: Path
) -> None:
    """The store opens, then the first write fails: its connection (a non-daemon thread) must
    be closed on the way out, or the process never exits."""
    store = rigtui_home / "data" / "rigtui.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    make_store(store, rigtui_home)  # a store that knows another project only
    sql(  # damage only a new project's insert meets (a trigger writing to a table gone)
        store,
        "CREATE TRIGGER log_projects AFTER INSERT ON projects"
        " BEGIN INSERT INTO project_log VALUES (new.id); END",
    )
    line = one_line(rigtui("threads", "--path", str(project), home=rigtui_home))
    assert line.startswith(f"rigtui: {store}: the database is corrupt (no such table: ")
    assert "project_log" in line


# --- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB filesystem (tmpfs), unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small filesystem")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def fill(disk: Path) -> None:
    """Take every free block of `disk`, in a file outside rigtui's folder."""
    with open(disk / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    assert shutil.disk_usage(disk).free == 0


def test_a_full_disk_is_reported_as_a_full_disk(small_disk: Path, project: Path) -> None:
    home = small_disk / "home"
    data = home / "data"
    (data / "projects").mkdir(parents=True)
    fill(small_disk)
    expected = (
        f"rigtui: {data}: disk full, so rigtui.db cannot be written; what it holds was left as"
        " it was (free some space on that disk, or point RIGTUI_HOME at a folder with room)\n"
    )
    assert one_line(rigtui("threads", "--path", str(project), home=home)) == expected


def test_a_full_disk_after_the_store_was_made(small_disk: Path, project: Path) -> None:
    home = small_disk / "home"
    store = home / "data" / "rigtui.db"
    store.parent.mkdir(parents=True)
    make_store(store, home)
    before = store.read_bytes()
    fill(small_disk)
    line = one_line(rigtui("threads", "--path", str(project), home=home))
    assert line.startswith(f"rigtui: {store.parent}: disk full, so rigtui.db cannot be written")
    assert store.read_bytes() == before


def test_a_full_disk_while_indexing(small_disk: Path, project: Path) -> None:
    home = small_disk / "home"
    assert rigtui("index", str(project), home=home).returncode == 0  # the index exists
    for n in range(40):
        (project / f"m{n}.py").write_text(f"def function_{n}():\n    return {n}\n" * 20)
    fill(small_disk)
    line = one_line(rigtui("index", str(project), home=home))
    assert line.startswith(f"rigtui: {home / 'data' / 'projects'}/")
    assert ": disk full, so index.db cannot be written;" in line


# --- the code index ----------------------------------------------------------------------------


def index_db(home: Path) -> Path:
    (path,) = (home / "data" / "projects").glob("*/index.db")
    return path


@pytest.mark.parametrize(
    ("command", "damage", "problem"),
    [
        ("symbols", "DROP TABLE defs", "the table defs is missing"),
        ("search", "DROP TABLE chunks_fts_data", "chunks_fts"),
        ("refs", "ALTER TABLE files DROP COLUMN lines", "the table files has no column lines"),
        ("map", "PRAGMA user_version = 99", "schema version 99, newer than this rigtui knows"),
    ],
)
def test_a_damaged_index_is_one_line(
    rigtui_home: Path, project: Path, damage: str, problem: str, command: str
) -> None:
    assert rigtui("index", str(project), home=rigtui_home).returncode == 0
    path = index_db(rigtui_home)
    sql(path, damage)
    args = [command] if command == "map" else [command, "main"]
    line = one_line(rigtui(*args, "--path", str(project), home=rigtui_home))
    assert line.startswith(f"rigtui: {path}: ") and problem in line


def test_an_index_with_a_wrecked_page_is_one_line(rigtui_home: Path, project: Path) -> None:
    for n in range(30):
        (project / f"m{n}.py").write_text(f"def function_{n}():\n    return {n}\n" * 30)
    assert rigtui("index", str(project), home=rigtui_home).returncode == 0
    path = index_db(rigtui_home)
    sql(path, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xa5" * (len(data) - 4096)  # keep the header and the schema, wreck the rest
    path.write_bytes(bytes(data))
    line = one_line(rigtui("search", "function", "--path", str(project), home=rigtui_home))
    assert line.startswith(f"rigtui: {path}: the database is corrupt")
    assert path.read_bytes() == bytes(data)

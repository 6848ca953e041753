"""The compiled-dataclass-method cache (rigtui.codecache): each test runs real processes, as
the `rigtui` command does (the file is written at exit)."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from rigtui import codecache

# A process that installs the cache, makes dataclasses of every kind rigtui uses, and prints
# what they do and how many methods it had to compile.
PROGRAM = """
import dataclasses, json, sys
from dataclasses import dataclass, field
from rigtui import codecache
codecache.install()

@dataclass(frozen=True, kw_only=True)
class Event:
    thread_id: str = ""
    tags: list[str] = field(default_factory=list)

@dataclass
class Plain:
    a: int
    b: str = "x"

e = Event(thread_id="t", tags=["a"])
try:
    e.thread_id = "other"
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
out = {
    "repr": repr(e),
    "eq": e == Event(thread_id="t", tags=["a"]) and e != Event(thread_id="u"),
    "unhashable": Plain.__hash__ is None,
    "frozen": frozen,
    "plain": repr(Plain(1)),
    "factory": Event().tags is not Event().tags,
    "compiled": codecache._state["added"],
    "code": Event.__init__.__code__.co_code.hex(),
}
print(json.dumps(out))
"""


def run(home: Path, program: str = PROGRAM) -> dict:
    env = {**os.environ, "RIGTUI_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def cache_files(home: Path) -> list[Path]:
    return sorted((home / "cache").glob("dataclass-methods.*.marshal"))


def test_second_run_compiles_nothing_and_behaves_the_same(tmp_path: Path) -> None:
    first = run(tmp_path)
    assert first["compiled"] > 0
    [kept] = cache_files(tmp_path)
    written = kept.stat()
    second = run(tmp_path)
    assert second["compiled"] == 0
    assert {k: v for k, v in second.items() if k != "compiled"} == {
        k: v for k, v in first.items() if k != "compiled"
    }
    assert second["frozen"] and second["eq"] and second["factory"] and second["unhashable"]
    assert second["repr"] == "Event(thread_id='t', tags=['a'])"
    # Nothing new compiled: the file is left as it was.
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)


def test_methods_match_what_dataclasses_compiles_without_the_cache(tmp_path: Path) -> None:
    run(tmp_path)
    cached = run(tmp_path)
    plain = run(tmp_path, PROGRAM.replace("codecache.install()", ""))
    assert cached["code"] == plain["code"]
    assert cached["repr"] == plain["repr"] and cached["plain"] == plain["plain"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped"])
def test_a_damaged_file_is_ignored_and_rebuilt(tmp_path: Path, damage: str) -> None:
    run(tmp_path)
    [kept] = cache_files(tmp_path)
    data = kept.read_bytes()
    if damage == "garbage":
        kept.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        kept.write_bytes(data[: len(data) // 2])
    else:  # one byte of a code object changed: the checksum no longer matches
        kept.write_bytes(data[:-40] + bytes([data[-40] ^ 0xFF]) + data[-39:])
    again = run(tmp_path)
    assert again["compiled"] > 0  # nothing trusted from the damaged file
    assert again["eq"] and again["frozen"]
    assert run(tmp_path)["compiled"] == 0  # and a good file is back


def test_a_link_at_the_cache_file_is_replaced_not_written_through(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home)
    [kept] = cache_files(home)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    kept.unlink()
    kept.symlink_to(victim)
    result = run(home)
    assert result["compiled"] > 0  # a link is not read either
    assert victim.read_text() == "keep me"
    assert not kept.is_symlink() and kept.is_file()


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the folder should be")
    result = run(tmp_path)
    assert result["eq"] and result["compiled"] > 0


def test_importing_rigtui_as_a_library_leaves_dataclasses_alone() -> None:
    program = "import dataclasses, rigtui.cli; print(hasattr(dataclasses, 'exec'))"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_the_command_keeps_them_and_version_does_not_load_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "RIGTUI_HOME": str(home)}
    rigtui = [sys.executable, "-m", "rigtui"]
    subprocess.run([*rigtui, "--version"], env=env, capture_output=True, check=True)
    assert not cache_files(home)  # start-up alone loads nothing (and writes nothing)
    project = tmp_path / "project"
    project.mkdir()
    (project / "a.txt").write_text("old\n")
    patch = tmp_path / "p.diff"
    patch.write_text("--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-old\n+new\n")
    args = [*rigtui, "apply", "--yes", "--path", str(project), str(patch)]
    subprocess.run(args, env=env, capture_output=True, check=True)
    assert (project / "a.txt").read_text() == "new\n"
    assert cache_files(home)


def test_an_entry_that_is_not_code_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    run(tmp_path)
    [kept] = cache_files(tmp_path)
    entries = codecache.load(kept)
    assert entries and all(isinstance(v, bytes) for v in entries.values())
    spoiled = {k: marshal.dumps("not code") for k in entries}  # a sound file, wrong entries
    payload = marshal.dumps(spoiled)
    crc = zlib.crc32(payload).to_bytes(4, "little")
    kept.write_bytes(codecache._MAGIC + crc + payload)
    again = run(tmp_path)
    assert again["compiled"] > 0 and again["eq"] and again["frozen"]
    assert run(tmp_path)["compiled"] == 0  # the spoiled entries were replaced

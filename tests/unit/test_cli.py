"""The command line: help, version, and one clear line with exit code 2 for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui import __version__
from tests.support.permissions import run_python


def rigtui(
    *args: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rigtui", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=60,
        **kwargs,  # type: ignore[arg-type]
    )


def test_version_and_help() -> None:
    assert rigtui("--version").stdout.strip() == f"rigtui {__version__}"
    help_text = rigtui("--help").stdout
    assert "PATH" in help_text.upper() and "--theme" in help_text


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = rigtui(str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no such folder" in result.stderr


def test_a_file_is_not_a_project(tmp_path: Path) -> None:
    file = tmp_path / "f.txt"
    file.write_text("x")
    result = rigtui(str(file))
    assert result.returncode == 2 and "not a folder" in result.stderr


def test_unreadable_folder_exit_2(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o000)
    try:
        result = run_python("-m", "rigtui", str(locked))
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert "cannot be read" in result.stderr


def test_corrupt_store_is_named_and_untouched(tmp_path: Path, rigtui_home: Path) -> None:
    store = rigtui_home / "data" / "rigtui.db"
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_bytes(b"this is not a database" * 100)
    project = tmp_path / "p"
    project.mkdir()
    result = rigtui(str(project))
    assert result.returncode == 2
    assert str(store) in result.stderr and "corrupt" in result.stderr
    assert store.read_bytes() == b"this is not a database" * 100


def test_unknown_theme_lists_the_known_ones(tmp_path: Path) -> None:
    result = rigtui(str(tmp_path), "--theme", "nope")
    assert result.returncode == 2
    assert "rigtui-light" in result.stderr


def test_bad_settings_exit_2_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / ".rigtui.toml").write_text("[nonsense]\n")
    result = rigtui(str(tmp_path))
    assert result.returncode == 2
    assert ".rigtui.toml" in result.stderr and "'nonsense'" in result.stderr


@pytest.mark.parametrize("command", ["--help"])
def test_help_runs_without_a_terminal(command: str) -> None:
    assert rigtui(command).returncode == 0


def test_an_unusable_rigtui_home_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    project = tmp_path / "p"
    project.mkdir()
    result = rigtui("index", str(project), env={"RIGTUI_HOME": str(blocker / "home")})
    assert result.returncode == 2
    assert "cannot be created" in result.stderr and "RIGTUI_HOME" in result.stderr
    assert "Traceback" not in result.stderr


def test_apply_and_undo_of_many_files_print_one_short_line(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    diff = []
    for i in range(12):
        (project / f"f{i:02d}.txt").write_text("old\n")
        diff.append(f"--- a/f{i:02d}.txt\n+++ b/f{i:02d}.txt\n@@ -1 +1 @@\n-old\n+new\n")
    (tmp_path / "p.diff").write_text("".join(diff))
    applied = rigtui("apply", "--yes", "--path", str(project), str(tmp_path / "p.diff"))
    assert applied.returncode == 0, applied.stderr
    line = applied.stdout.splitlines()[0]
    assert line.endswith("f07.txt and 4 more (12 files)") and "f08.txt" not in line
    assert all((project / f"f{i:02d}.txt").read_text() == "new\n" for i in range(12))
    undone = rigtui("undo", "--path", str(project))
    assert undone.returncode == 0 and undone.stdout.strip().endswith("and 4 more (12 files)")
    assert all((project / f"f{i:02d}.txt").read_text() == "old\n" for i in range(12))

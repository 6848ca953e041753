"""The index commands: summaries, --json, exit codes (1 nothing found, 2 bad input)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui.cli import main
from tests.support.permissions import run_python

from .conftest import ProjectMaker

FILES = {
    "app/main.py": "from app.db import connect\n\ndef main():\n    connect()\n",
    "app/db.py": "def connect():\n    return Connection()\n\nclass Connection:\n    def close(self):\n        pass\n",
    "logo.png": b"\x89PNG\x00\x00binary",
}


@pytest.fixture
def project(make_project: ProjectMaker) -> Path:
    return make_project(FILES)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_summary_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "index", str(project))
    assert code == 0
    assert "2 files, 4 symbols" in out and "skipped: binary 1" in out
    code, out, _ = run(capsys, "index", "--path", str(project), "--json")
    data = json.loads(out)
    assert code == 0 and data["files"] == 2 and data["changed"] == 0
    assert data["skipped"] == {"binary": 1} and data["database"].endswith("index.db")


def test_queries_index_a_new_project_first(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "symbols", "Connection.close", "--path", str(project))
    assert code == 0 and out.startswith("app/db.py:5  method")
    code, out, _ = run(capsys, "symbols", "connect", "--path", str(project), "--json")
    (found,) = [json.loads(line) for line in out.splitlines()]  # JSON Lines, like every list
    assert found["path"] == "app/db.py" and found["line"] == 1 and found["kind"] == "function"


def test_refs_search_map(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "refs", "connect", "--path", str(project))
    assert code == 0
    assert "app/main.py:1  import" in out and "app/main.py:4  call    connect()" in out
    code, out, _ = run(capsys, "search", "Connection", "--path", str(project), "--json")
    assert code == 0 and json.loads(out.splitlines()[0])["path"] == "app/db.py"
    code, out, _ = run(
        capsys, "map", "--tokens", "200", "--focus", "app/main.py", "--path", str(project)
    )
    assert code == 0 and out.startswith("app/db.py:") and "def connect():" in out
    code, out, _ = run(capsys, "map", "--path", str(project), "--json")
    assert code == 0 and "Connection" in json.loads(out)["map"]


def test_nothing_found_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "symbols", "no_such_thing", "--path", str(project))
    assert code == 1 and "no symbol named 'no_such_thing'" in err
    code, out, _ = run(capsys, "refs", "no_such_thing", "--path", str(project), "--json")
    assert code == 1 and out == ""
    code, _, _ = run(capsys, "search", "zebra", "--path", str(project))
    assert code == 1


def test_bad_input_exits_2_with_one_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        ("index", str(tmp_path / "missing")),
        ("symbols", "x", "--path", str(tmp_path / "missing")),
        ("index", str(project / "app" / "db.py")),
        ("map", "--focus", "nope.py", "--path", str(project)),
        ("map", "--tokens", "0", "--path", str(project)),
        ("search", "!!!", "--path", str(project)),
    ]
    for argv in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert err.startswith("rigtui: ") and err.count("\n") == 1, (argv, err)


def test_no_progress_bar_without_a_terminal(project: Path, tmp_path: Path) -> None:
    env = {"RIGTUI_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "CI": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "rigtui", "index", str(project)],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "indexing" not in done.stdout
    assert "2 files" in done.stdout


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["index"], "2 files"),
        (["search", "Connection", "--path"], "app/db.py:"),
        (["symbols", "connect", "--path"], "app/db.py:1"),
        (["refs", "connect", "--path"], "app/main.py:4"),
        (["map", "--path"], "app/db.py"),
    ],
)
def test_a_folder_that_cannot_be_read_is_skipped_with_one_warning(
    project: Path, argv: list[str], found: str
) -> None:
    locked = project / "locked"
    locked.mkdir()
    (locked / "hidden.py").write_text("def connect(): pass\n")
    locked.chmod(0)
    try:
        result = run_python("-m", "rigtui", *argv, str(project))
    finally:
        locked.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert found in result.stdout and "locked/hidden.py" not in result.stdout
    assert result.stderr == (
        "rigtui: warning: locked: the folder cannot be read (permission denied), so its files"
        " are not indexed (check its permissions, or add it to .rigtuiignore)\n"
    )

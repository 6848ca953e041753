"""`rigtui apply`, `undo`, `redo` and `history` from the command line: exit codes 0 applied,
1 refused (nothing changed), 2 bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui.cli import main
from rigtui.trust import trust

PATCH = "*** Begin Patch\n*** Update File: f.txt\n@@\n-old\n+new\n*** End Patch\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "f.txt").write_text("keep\nold\n")
    (tmp_path / "change.patch").write_text(PATCH)
    return root


def _patch(project: Path) -> str:
    return str(project.parent / "change.patch")


def test_check_prints_the_diff_and_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apply", _patch(project), "--path", str(project), "--check"]) == 0
    out = capsys.readouterr().out
    assert "would modify f.txt" in out and "- old" in out and "+ new" in out
    assert (project / "f.txt").read_text() == "keep\nold\n"


def test_check_says_an_add_file_replaces_an_existing_one(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project.parent / "change.patch").write_text(
        "*** Begin Patch\n*** Add File: f.txt\n+fresh\n*** Add File: g.txt\n+g\n*** End Patch\n"
    )
    assert main(["apply", _patch(project), "--path", str(project), "--check"]) == 0
    out = capsys.readouterr().out
    assert "replaces the existing file" in out
    assert "would replace (Add File over an existing file) f.txt" in out
    assert "would create g.txt" in out and (project / "f.txt").read_text() == "keep\nold\n"


def test_forced_undo_says_where_the_newer_content_is_kept(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apply", _patch(project), "--path", str(project), "--yes"]) == 0
    (project / "f.txt").write_text("hand edit\n")
    assert main(["undo", "--path", str(project)]) == 1
    assert "newer content is kept in the journal" in capsys.readouterr().err
    assert main(["undo", "--path", str(project), "--force"]) == 0
    assert "`rigtui redo` brings it back" in capsys.readouterr().out
    assert main(["redo", "--path", str(project)]) == 0
    assert (project / "f.txt").read_text() == "hand edit\n"


def test_yes_applies_then_undo_redo_and_history(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apply", _patch(project), "--path", str(project), "--yes"]) == 0
    assert (project / "f.txt").read_text() == "keep\nnew\n"
    assert main(["history", "--path", str(project), "--json"]) == 0
    [line] = capsys.readouterr().out.strip().splitlines()[-1:]
    record = json.loads(line)
    assert record["state"] == "applied" and record["files"] == ["f.txt"]
    assert main(["undo", "--path", str(project)]) == 0
    assert (project / "f.txt").read_text() == "keep\nold\n"
    assert main(["redo", "--path", str(project)]) == 0
    assert (project / "f.txt").read_text() == "keep\nnew\n"
    assert main(["undo", "--path", str(project)]) == 0
    assert main(["undo", "--redo", "--path", str(project)]) == 0
    assert (project / "f.txt").read_text() == "keep\nnew\n"
    assert main(["history", "--path", str(project)]) == 0
    assert record["id"] in capsys.readouterr().out


def test_without_yes_and_without_a_terminal_fails_clearly(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rigtui", "apply", _patch(project), "--path", str(project)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "needs a terminal" in done.stderr and "--yes" in done.stderr
    assert "Traceback" not in done.stderr
    assert (project / "f.txt").read_text() == "keep\nold\n"


def test_auto_apply_policy_applies_without_review(project: Path) -> None:
    (project / ".rigtui.toml").write_text('[approval]\npatches = "auto-apply"\n')
    trust(project)  # the user's own project setting
    assert main(["apply", _patch(project), "--path", str(project)]) == 0
    assert (project / "f.txt").read_text() == "keep\nnew\n"


def test_refused_patch_exits_1_and_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "f.txt").write_text("something else\n")
    assert main(["apply", _patch(project), "--path", str(project), "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rigtui: f.txt: hunk 1.1 does not match") and "    old" in err
    assert (project / "f.txt").read_text() == "something else\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["apply", "missing.patch"], "no such patch file"),
        (["apply", "BAD"], "not a patch"),
        (["apply", "PATCH", "--path", "/no/such/dir"], "no such folder"),
    ],
)
def test_bad_input_exits_2(
    project: Path, args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = project.parent / "bad.patch"
    bad.write_text("hello\n")
    args = [_patch(project) if a == "PATCH" else str(bad) if a == "BAD" else a for a in args]
    if "--path" not in args:
        args += ["--path", str(project)]
    assert main(args) == 2
    assert words in capsys.readouterr().err


def test_undo_with_nothing_to_undo_exits_1(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["undo", "--path", str(project)]) == 1
    assert "nothing to undo" in capsys.readouterr().err

"""Two rigtui processes on one project: a second one never mistakes a change set in flight for a
crash (no half roll-back), and a second writer waits for the first, saying so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rigtui.edits.engine import history

FILES = 300

# Applies a change set of FILES new files, stops after the first rename, says "ready" and
# waits for "go" on stdin: a writer caught in the middle, for as long as the test wants.
WRITER = """
import sys
from pathlib import Path
from rigtui.edits import engine
from tests.support.faults import install
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare

root, count = Path(sys.argv[1]), int(sys.argv[2])
body = "".join(f"*** Add File: gen/f{i}.txt\\n+line {i}\\n" for i in range(count))
proposal = prepare(root, parse_patch("*** Begin Patch\\n" + body + "*** End Patch\\n"))
first = True
def pause(path):
    global first
    if first:
        first = False
        print("ready", flush=True)
        sys.stdin.readline()
install(pause)
result = engine.apply_proposal(proposal)
print("applied", result.change_set_id, len(result.paths), flush=True)
"""


def _rigtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rigtui", *args], capture_output=True, text=True, timeout=120
    )


def _start_writer(root: Path) -> subprocess.Popen[str]:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), str(FILES)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    return writer


def _finish(writer: subprocess.Popen[str]) -> str:
    out, _ = writer.communicate("go\n", timeout=120)
    assert writer.returncode == 0
    return out


def test_history_during_another_apply_does_not_roll_it_back(tmp_path: Path) -> None:
    writer = _start_writer(tmp_path)
    try:
        listed = _rigtui("history", "--path", str(tmp_path))
        assert listed.returncode == 0, listed.stderr
        assert "applying" in listed.stdout, "shown as in flight, not rolled back"
        assert (tmp_path / "gen" / "f0.txt").exists(), "the first file is still there"
    finally:
        out = _finish(writer)
    assert f"applied {history(tmp_path)[0].id} {FILES}" in out
    assert len(list((tmp_path / "gen").iterdir())) == FILES
    assert [e.state for e in history(tmp_path)] == ["applied"]


def test_a_second_writer_waits_for_the_first_and_says_so(tmp_path: Path) -> None:
    writer = _start_writer(tmp_path)
    undo = subprocess.Popen(
        [sys.executable, "-m", "rigtui", "undo", "--path", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert undo.stderr is not None
        said = undo.stderr.readline()  # printed while it waits: the writer still holds the lock
        assert "another rigtui (pid" in said and "waiting" in said
        assert (tmp_path / "gen" / "f0.txt").exists()
    finally:
        _finish(writer)
    out, err = undo.communicate(timeout=120)
    assert undo.returncode == 0, err
    assert "undid change set" in out
    assert not (tmp_path / "gen").exists(), "the whole change set, then its folder, undone"
    assert [e.state for e in history(tmp_path)] == ["undone"]

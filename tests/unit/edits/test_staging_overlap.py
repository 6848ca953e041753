"""A large change set is staged in a thread while the journal records it: whatever fails or
crashes in that window, the project ends as it was (no staging file, no new folder)."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rigtui.edits import atomic
from rigtui.edits.atomic import BATCH_FILES
from rigtui.edits.engine import apply_proposal, recover, undo
from rigtui.edits.errors import PatchRefused
from rigtui.edits.fsops import TEMP_SUFFIX, ProjectFS
from rigtui.edits.journal import Journal, journal_path
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare

FILES = BATCH_FILES + 8  # over the threshold: the staging thread is used


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    for i in range(FILES):
        (root / "pkg" / f"m{i}.py").write_text(f"value = {i}\n")
    return root


def _patch() -> str:
    """Every file changed, and one new file in a folder that does not exist yet."""
    parts = [
        f"--- a/pkg/m{i}.py\n+++ b/pkg/m{i}.py\n@@ -1 +1 @@\n-value = {i}\n+value = {i + 1}\n"
        for i in range(FILES)
    ]
    parts.append("--- /dev/null\n+++ b/new/deep/n.py\n@@ -0,0 +1 @@\n+made = True\n")
    return "".join(parts)


def _proposed(tmp_path: Path) -> tuple[Path, dict[str, str], Proposal]:
    """The project, its tree before anything is applied, and the patch prepared on it."""
    root = _project(tmp_path)
    return root, _tree(root), prepare(root, parse_patch(_patch()))


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): "/" if p.is_dir() else p.read_text()
        for p in sorted(root.rglob("*"))
    }


def _temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def test_a_large_change_set_applies_and_undoes_exactly(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _tree(root)
    apply_proposal(prepare(root, parse_patch(_patch())))
    assert (root / "pkg" / "m3.py").read_text() == "value = 4\n"
    assert (root / "new" / "deep" / "n.py").read_text() == "made = True\n"
    assert not _temps(root)
    assert not atomic._note_path(root).exists()
    undo(root)
    assert _tree(root) == before


def test_a_journal_failure_removes_what_was_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, before, proposal = _proposed(tmp_path)

    def full_disk(self: Journal, *args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Journal, "begin", full_disk)
    with pytest.raises(sqlite3.OperationalError):
        apply_proposal(proposal)
    assert _tree(root) == before  # no staging file, no `new/deep` folder
    assert not atomic._note_path(root).exists()


def test_a_staging_failure_rolls_the_journal_entry_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, before, proposal = _proposed(tmp_path)
    stage = ProjectFS.stage
    calls = []

    def disk_full_at_the_fifth(self: ProjectFS, rel: str, *args: object) -> str:
        calls.append(rel)
        if len(calls) == 5:
            raise OSError(errno.ENOSPC, "No space left on device", rel)
        return stage(self, rel, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ProjectFS, "stage", disk_full_at_the_fifth)
    with pytest.raises(PatchRefused, match="No space left"):
        apply_proposal(proposal)
    assert _tree(root) == before  # the four staged files are gone too
    states = sqlite3.connect(journal_path(root)).execute("SELECT state FROM change_sets")
    assert [state for (state,) in states] == ["rolled_back"]
    assert not atomic._note_path(root).exists()


CRASH = """
import os, sys, threading
from pathlib import Path
from rigtui.edits import atomic
from rigtui.edits.engine import apply_proposal
from rigtui.edits.journal import Journal
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare

staged = threading.Event()
stage = atomic.Staging._stage

def stage_then_say(self):
    stage(self)
    staged.set()

def crash(self, *args, **kwargs):  # the process dies before the journal holds the change set
    staged.wait()
    os._exit(9)

atomic.Staging._stage = stage_then_say
Journal.begin = crash
root = Path(sys.argv[1])
apply_proposal(prepare(root, parse_patch(Path(sys.argv[2]).read_text())))
"""


def test_a_crash_before_the_journal_commit_is_cleaned_by_recovery(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _tree(root)
    patch = tmp_path / "change.patch"
    patch.write_text(_patch())
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH), str(root), str(patch)],
        env={**os.environ},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 9, done.stderr
    assert len(_temps(root)) == FILES + 1  # the crash left every staging file
    assert (root / "new" / "deep").is_dir()
    assert atomic._note_path(root).exists()
    assert recover(root) == []  # no change set was journaled: nothing to put back
    assert _tree(root) == before  # but its staging files and new folders are gone
    assert not atomic._note_path(root).exists()


def test_a_planted_note_cannot_remove_files_outside_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / f".v.x{TEMP_SUFFIX}"
    victim.write_text("keep")
    empty = tmp_path / "empty"
    empty.mkdir()
    noted = ["../outside/v", "/etc/passwd", "pkg/m1.py"]
    atomic._write_note(root, noted, ["../empty", "..", "/tmp"])
    assert atomic.remove_staging_leftovers(root)
    assert victim.read_text() == "keep" and outside.is_dir() and empty.is_dir()
    assert (root / "pkg" / "m1.py").exists()


def test_a_link_planted_at_the_note_is_never_written_through(tmp_path: Path) -> None:
    root, before, proposal = _proposed(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    note = atomic._note_path(root)
    note.symlink_to(victim)
    apply_proposal(proposal)  # no note can be written: staged after the journal instead
    assert victim.read_text() == "keep"
    assert (root / "pkg" / "m3.py").read_text() == "value = 4\n"
    assert not _temps(root)
    undo(root)
    assert _tree(root) == before


def test_a_change_set_id_journaled_already_is_refused_as_such(tmp_path: Path) -> None:
    root, _, proposal = _proposed(tmp_path)
    writes = proposal.writes()
    with Journal.for_root(root) as journal:
        journal.begin("cs1", writes)
        with pytest.raises(PatchRefused, match="change set cs1 was already applied"):
            journal.begin("cs1", writes)
        assert [e.id for e in journal.busy()] == ["cs1"]  # the first record is untouched

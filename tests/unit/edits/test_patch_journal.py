"""The undo journal: undo/redo byte for byte across restarts, refusal when files changed since,
recovery after a real crash between renames, and a corrupt or newer journal left untouched."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui.edits.engine import PatchConflict, apply_proposal, history, recover, redo, undo
from rigtui.edits.errors import PatchRefused
from rigtui.edits.journal import PAGE_SIZE, SCHEMA_VERSION, Journal, journal_path
from rigtui.edits.journal import SCHEMA as JOURNAL_SCHEMA
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from rigtui.errors import StoreError

PATCH = """*** Begin Patch
*** Update File: a.txt
@@
-a
+A
*** Update File: b.txt
@@
-b
+B
*** Delete File: c.txt
*** Add File: d/new.txt
+new
*** End Patch
"""
BEFORE = {"a.txt": b"a\r\n", "b.txt": b"b", "c.txt": b"\xef\xbb\xbfc\n"}
AFTER = {"a.txt": b"A\r\n", "b.txt": b"B", "d/new.txt": b"new\n"}


def _project(root: Path) -> Path:
    for name, data in BEFORE.items():
        (root / name).write_bytes(data)
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_undo_and_redo_restore_bytes_exactly(tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = apply_proposal(prepare(root, parse_patch(PATCH)))
    assert _files(root) == AFTER
    entry = undo(root)
    assert entry.id == result.change_set_id and entry.state == "undone"
    assert _files(root) == BEFORE
    redo(root)
    assert _files(root) == AFTER
    assert [e.state for e in history(root)] == ["applied"]


def test_undo_survives_a_restart(tmp_path: Path) -> None:
    root = _project(tmp_path)
    apply_proposal(prepare(root, parse_patch(PATCH)))
    # A separate process (a fresh rigtui) undoes it from the journal alone.
    done = subprocess.run(
        [sys.executable, "-m", "rigtui", "undo", "--path", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "undid change set" in done.stdout
    assert _files(root) == BEFORE


def test_undo_refuses_when_a_file_changed_after_apply_unless_forced(tmp_path: Path) -> None:
    root = _project(tmp_path)
    apply_proposal(prepare(root, parse_patch(PATCH)))
    (root / "a.txt").write_bytes(b"edited by hand\n")
    with pytest.raises(PatchConflict) as info:
        undo(root)
    assert info.value.paths == ["a.txt"] and "--force" in str(info.value)
    assert (root / "a.txt").read_bytes() == b"edited by hand\n"
    assert (root / "b.txt").read_bytes() == b"B", "a refused undo changes nothing"
    forced = undo(root, force=True)
    assert _files(root) == BEFORE and forced.kept_id
    # The hand edit it overwrote is journaled: a plain redo brings exactly it back.
    back = redo(root)
    assert back.id == forced.kept_id and back.paths == ["a.txt"]
    assert _files(root) == {**BEFORE, "a.txt": b"edited by hand\n"}
    undo(root)  # and that is undoable in turn
    assert _files(root) == BEFORE


def test_a_chmod_after_apply_is_a_change_undo_respects_and_keeps(tmp_path: Path) -> None:
    root = _project(tmp_path)
    apply_proposal(prepare(root, parse_patch(PATCH)))
    mode = (root / "b.txt").stat().st_mode & 0o777
    (root / "b.txt").chmod(mode | 0o020)  # g+w: any permission bit counts, not only x
    with pytest.raises(PatchConflict) as info:
        undo(root)
    assert info.value.paths == ["b.txt"]
    (root / "b.txt").chmod(mode)
    (root / "a.txt").chmod(0o755)
    with pytest.raises(PatchConflict) as info:
        undo(root)
    assert info.value.paths == ["a.txt"]
    forced = undo(root, force=True)
    assert _files(root) == BEFORE and not (root / "a.txt").stat().st_mode & 0o100
    assert redo(root).id == forced.kept_id  # the chmod comes back with the content it had
    assert (root / "a.txt").stat().st_mode & 0o100


def test_a_new_apply_ends_the_redo_chain(tmp_path: Path) -> None:
    root = _project(tmp_path)
    apply_proposal(prepare(root, parse_patch(PATCH)))
    undo(root)
    other = "*** Begin Patch\n*** Add File: z.txt\n+z\n*** End Patch\n"
    apply_proposal(prepare(root, parse_patch(other)))
    with pytest.raises(PatchRefused, match="nothing to redo"):
        redo(root)
    undo(root)
    with pytest.raises(PatchRefused, match="nothing to undo"):
        undo(root)
    assert _files(root) == BEFORE


def test_undo_of_two_change_sets_in_reverse_order(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("1\n")
    for old, new in (("1", "2"), ("2", "3")):
        patch = f"*** Begin Patch\n*** Update File: f.txt\n@@\n-{old}\n+{new}\n*** End Patch\n"
        apply_proposal(prepare(tmp_path, parse_patch(patch)))
    undo(tmp_path)
    assert (tmp_path / "f.txt").read_text() == "2\n"
    undo(tmp_path)
    assert (tmp_path / "f.txt").read_text() == "1\n"
    redo(tmp_path)
    redo(tmp_path)
    assert (tmp_path / "f.txt").read_text() == "3\n"


CRASH = """
import os, sys
from pathlib import Path
from rigtui.edits import engine
from tests.support.faults import install
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare

root, patch, crash_at, action = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
count = 0
def crash(path):
    global count
    count += 1
    if count == crash_at:
        os._exit(9)  # a real crash: no rollback, no cleanup, no journal update
install(crash)
if action == "apply":
    engine.apply_proposal(prepare(root, parse_patch(Path(patch).read_text())))
else:
    engine.undo(root)
"""


def _crash(root: Path, patch: Path, at: int, action: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(root), str(patch), str(at), action],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr


def test_recover_after_a_crash_between_renames_puts_every_file_back(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    _project(root)
    patch = tmp_path / "change.patch"
    patch.write_text(PATCH)
    _crash(root, patch, 2, "apply")
    half = _files(root)
    assert half["a.txt"] == b"A\r\n" and half["b.txt"] == b"B" and half["c.txt"] == BEFORE["c.txt"]
    assert any(name.endswith(".rigtui.tmp") for name in half), "the crash left a staged temp"
    [cs_id] = recover(root)
    assert _files(root) == BEFORE
    assert [(e.id, e.state) for e in history(root)] == [(cs_id, "rolled_back")]
    assert recover(root) == [], "recovery runs once"


def test_recover_after_a_crash_during_undo_keeps_the_change_applied(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    _project(root)
    apply_proposal(prepare(root, parse_patch(PATCH)))
    _crash(root, tmp_path / "unused", 1, "undo")
    assert _files(root) != AFTER
    recover(root)
    assert _files(root) == AFTER
    assert history(root)[0].state == "applied"
    undo(root)
    assert _files(root) == BEFORE


def test_corrupt_journal_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = journal_path(tmp_path)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as info:
        Journal.for_root(tmp_path)
    assert str(path) in info.value.message
    assert path.read_bytes() == b"this is not a database" * 100


def test_journal_from_a_newer_rigtui_is_refused(tmp_path: Path) -> None:
    path = journal_path(tmp_path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(StoreError, match="newer rigtui"):
        undo(tmp_path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 99


def test_journal_uses_a_rollback_journal_and_records_hashes(tmp_path: Path) -> None:
    root = _project(tmp_path)
    apply_proposal(prepare(root, parse_patch(PATCH)))
    db = sqlite3.connect(journal_path(root))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] != "wal"  # a rollback journal
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    rows = db.execute(
        "SELECT path, before_hash IS NULL, after_hash IS NULL FROM file_changes"
    ).fetchall()
    assert sorted(rows) == [("a.txt", 0, 0), ("b.txt", 0, 0), ("c.txt", 0, 1), ("d/new.txt", 1, 0)]


def test_a_wal_journal_from_an_older_rigtui_converts_and_keeps_its_history(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = apply_proposal(prepare(root, parse_patch(PATCH)))
    db = sqlite3.connect(journal_path(root))
    assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"  # as older ones were
    db.close()
    entry = undo(root)
    assert entry.id == first.change_set_id and entry.state == "undone"
    db = sqlite3.connect(journal_path(root))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] != "wal"  # a rollback journal
    assert [e.id for e in history(root)] == [first.change_set_id]


def test_a_new_journal_takes_large_pages_and_an_older_one_keeps_its_own(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    (tmp_path / "old").mkdir()
    new_root = _project(tmp_path / "new")
    apply_proposal(prepare(new_root, parse_patch(PATCH)))
    db = sqlite3.connect(journal_path(new_root))
    assert db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 65536
    db.close()
    old_root = _project(tmp_path / "old")
    path = journal_path(old_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)  # as an older rigtui made it: the default page size
    db.executescript(
        f"PRAGMA page_size=4096; {JOURNAL_SCHEMA}; PRAGMA user_version={SCHEMA_VERSION}"
    )
    db.close()
    applied = apply_proposal(prepare(old_root, parse_patch(PATCH)))
    assert _files(old_root) == AFTER
    assert undo(old_root).id == applied.change_set_id
    assert _files(old_root) == BEFORE
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


MODES_PATCH = (
    "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"
    "diff --git a/lib.sh b/lib.sh\nold mode 100755\nnew mode 100644\n"
)


def _modes(root: Path) -> dict[str, int]:
    return {name: stat.S_IMODE((root / name).stat().st_mode) for name in ("run.sh", "lib.sh")}


def _mode_project(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "p"
    root.mkdir()
    for name, mode in (("run.sh", 0o644), ("lib.sh", 0o755), ("a.txt", 0o644)):
        (root / name).write_text(name[0] + "\n")
        (root / name).chmod(mode)
    patch = tmp_path / "modes.patch"
    patch.write_text(MODES_PATCH)
    return root, patch


def test_recover_puts_a_mode_back_after_a_crash_mid_apply(tmp_path: Path) -> None:
    root, patch = _mode_project(tmp_path)
    _crash(root, patch, 1, "apply")  # run.sh is executable now; the rest is untouched
    assert _modes(root) == {"run.sh": 0o755, "lib.sh": 0o755}
    recover(root)
    assert _modes(root) == {"run.sh": 0o644, "lib.sh": 0o755}
    assert (root / "a.txt").read_text() == "a\n" and (root / "run.sh").read_text() == "r\n"
    assert history(root)[0].state == "rolled_back"


def test_recover_after_a_crash_mid_undo_keeps_the_modes_applied(tmp_path: Path) -> None:
    root, patch = _mode_project(tmp_path)
    apply_proposal(prepare(root, parse_patch(MODES_PATCH)))
    assert _modes(root) == {"run.sh": 0o755, "lib.sh": 0o644}
    _crash(root, patch, 1, "undo")  # undo goes backwards: lib.sh got its old mode back
    assert _modes(root) == {"run.sh": 0o755, "lib.sh": 0o755}
    recover(root)
    assert _modes(root) == {"run.sh": 0o755, "lib.sh": 0o644}
    assert (root / "a.txt").read_text() == "A\n" and history(root)[0].state == "applied"
    undo(root)
    assert _modes(root) == {"run.sh": 0o644, "lib.sh": 0o755}

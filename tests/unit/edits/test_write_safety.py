"""Attacks on where rigtui writes: a link planted at a staging name, a folder swapped for a
link, a link planted at a target mid-apply, `Delete File:` on a link; and the folders a change
set makes or empties end exactly as `git apply` (and an undo) leaves them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui.edits.engine import apply_proposal, history, recover, redo, undo
from rigtui.edits.errors import PatchRefused
from rigtui.edits.fsops import temp_name
from rigtui.edits.journal import Journal
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from tests.support.faults import after_each_replace


def _envelope(*body: str) -> str:
    return "*** Begin Patch\n" + "\n".join(body) + "\n*** End Patch\n"


CHANGE = _envelope("*** Update File: f.txt", "@@", "-old", "+new")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the project that an attack tries to overwrite."""
    target = tmp_path / "outside.txt"
    target.write_text("precious\n")
    return target


@pytest.fixture
def root(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "f.txt").write_text("old\n")
    return project


def _tree(root: Path) -> dict[str, str]:
    """Every entry under root: files with their text, folders and links marked."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            out[rel] = "/"
        else:
            out[rel] = path.read_text()
    return out


def _plant(root: Path, rel: str, tag: str, target: Path) -> Path:
    link = (root / rel).parent / temp_name(Path(rel).name, tag)
    link.symlink_to(target)
    return link


# --- links planted at staging names ------------------------------------------------------------


def test_apply_never_writes_through_a_link_planted_at_its_staging_name(
    root: Path, outside: Path
) -> None:
    proposal = prepare(root, parse_patch(CHANGE))
    _plant(root, "f.txt", proposal.id, outside)  # the model is told the change set id
    apply_proposal(proposal)
    assert outside.read_text() == "precious\n"
    assert not (root / "f.txt").is_symlink() and (root / "f.txt").read_text() == "new\n"


def test_undo_and_redo_never_write_through_planted_links(root: Path, outside: Path) -> None:
    result = apply_proposal(prepare(root, parse_patch(CHANGE)))
    link = _plant(root, "f.txt", result.change_set_id, outside)
    # Undo in a fresh process, as `rigtui undo` is run.
    done = subprocess.run(
        [sys.executable, "-m", "rigtui", "undo", "--path", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert outside.read_text() == "precious\n"
    assert not (root / "f.txt").is_symlink() and (root / "f.txt").read_text() == "old\n"
    link.unlink(missing_ok=True)
    _plant(root, "f.txt", result.change_set_id, outside)
    redo(root)
    assert outside.read_text() == "precious\n"
    assert not (root / "f.txt").is_symlink() and (root / "f.txt").read_text() == "new\n"


def test_recovery_never_writes_through_a_planted_link(root: Path, outside: Path) -> None:
    proposal = prepare(root, parse_patch(CHANGE))
    writes = proposal.writes()
    (root / "f.txt").write_text("new\n")  # a crash left the change half done...
    with Journal.for_root(root) as journal:  # ...and the journal says it was in flight
        journal.begin(proposal.id, writes)
    _plant(root, "f.txt", proposal.id, outside)
    assert recover(root) == [proposal.id]
    assert outside.read_text() == "precious\n"
    assert not (root / "f.txt").is_symlink() and (root / "f.txt").read_text() == "old\n"


# --- folders swapped for links, links planted at targets ---------------------------------------


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_a_folder_swapped_for_a_link_after_review_is_refused(
    tmp_path: Path, root: Path, where: str
) -> None:
    (root / "sub").mkdir()
    (root / "sub" / "g.txt").write_text("old\n")
    elsewhere = root / "other" if where == "inside" else tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "g.txt").write_text("old\n")
    patch = _envelope("*** Update File: sub/g.txt", "@@", "-old", "+new")
    proposal = prepare(root, parse_patch(patch))
    (root / "sub" / "g.txt").unlink()
    (root / "sub").rmdir()
    (root / "sub").symlink_to(elsewhere)  # same content behind it: hashes alone would pass
    with pytest.raises(PatchRefused) as info:
        apply_proposal(proposal)
    assert "sub: is a symbolic link, not a folder" in info.value.message
    assert (elsewhere / "g.txt").read_text() == "old\n"


def test_a_link_planted_at_a_target_mid_apply_is_replaced_not_followed(
    root: Path, outside: Path
) -> None:
    (root / "g.txt").write_text("old\n")
    patch = CHANGE + _envelope("*** Update File: g.txt", "@@", "-old", "+new")
    patch = patch.replace("*** End Patch\n*** Begin Patch\n", "")

    def plant(path: str) -> None:
        if path == "f.txt":  # between the two renames: g.txt becomes a link outside
            (root / "g.txt").unlink()
            (root / "g.txt").symlink_to(outside)

    with after_each_replace(plant):
        apply_proposal(prepare(root, parse_patch(patch)))
    assert outside.read_text() == "precious\n"
    assert not (root / "g.txt").is_symlink() and (root / "g.txt").read_text() == "new\n"


@pytest.mark.parametrize("inside", [True, False], ids=["link-inside", "link-outside"])
def test_delete_file_on_a_link_deletes_the_link_and_undo_brings_it_back(
    root: Path, outside: Path, inside: bool
) -> None:
    target = root / "f.txt" if inside else outside
    (root / "link.txt").symlink_to(target)
    before = _tree(root)
    apply_proposal(prepare(root, parse_patch(_envelope("*** Delete File: link.txt"))))
    assert not (root / "link.txt").is_symlink() and not (root / "link.txt").exists()
    assert target.read_text() == ("old\n" if inside else "precious\n")
    undo(root)
    assert _tree(root) == before and os.readlink(root / "link.txt") == str(target)
    redo(root)
    assert not (root / "link.txt").is_symlink()
    assert target.exists()


# --- folders: made, emptied, rolled back --------------------------------------------------------


def test_folders_end_as_git_apply_leaves_them_and_undo_restores_the_tree(root: Path) -> None:
    (root / "requests").mkdir()
    (root / "requests" / "api.py").write_text("get\n")
    (root / "keep").mkdir()  # an empty folder nobody touches stays
    before = _tree(root)
    patch = _envelope(
        "*** Update File: requests/api.py", "*** Move to: src/requests/api.py", "@@", "-get",
        "+get2", "*** Add File: docs/deep/new.md", "+hello",
    )  # fmt: skip
    apply_proposal(prepare(root, parse_patch(patch)))
    after = _tree(root)
    assert "requests" not in after, "a folder a move empties is removed, as git apply does"
    assert after["src/requests/api.py"] == "get2\n" and after["docs/deep/new.md"] == "hello\n"
    assert after["keep"] == "/"
    undo(root)
    assert _tree(root) == before, "undo removes the folders the apply made"
    redo(root)
    assert _tree(root) == after


def test_undo_keeps_a_folder_that_existed_empty_before(root: Path) -> None:
    (root / "empty").mkdir()
    apply_proposal(prepare(root, parse_patch(_envelope("*** Add File: empty/x.txt", "+x"))))
    undo(root)
    assert (root / "empty").is_dir() and not any((root / "empty").iterdir())


def test_a_failed_apply_leaves_no_folder_it_made(root: Path) -> None:
    before = _tree(root)
    patch = _envelope(
        "*** Add File: a/b/c.txt", "+c", "*** Update File: f.txt", "@@", "-old", "+new"
    )

    def fail(path: str) -> None:
        if path == "a/b/c.txt":
            raise OSError(28, "No space left on device")

    with (
        after_each_replace(fail),
        pytest.raises(PatchRefused, match="every file already replaced was restored"),
    ):
        apply_proposal(prepare(root, parse_patch(patch)))
    assert _tree(root) == before
    assert [e.state for e in history(root)] == ["rolled_back"]


def test_recovery_removes_the_folders_an_interrupted_apply_made(tmp_path: Path, root: Path) -> None:
    patch = tmp_path / "p.patch"
    patch.write_text(_envelope("*** Add File: new/deep/x.txt", "+x", "*** Delete File: f.txt"))
    script = (
        "import os, sys\nfrom pathlib import Path\nfrom rigtui.edits import engine\n"
        "from rigtui.edits.parse import parse_patch\nfrom rigtui.edits.prepare import prepare\n"
        "from tests.support.faults import install\n"
        "install(lambda path: os._exit(9))\n"
        "root = Path(sys.argv[1])\n"
        "engine.apply_proposal(prepare(root, parse_patch(Path(sys.argv[2]).read_text())))\n"
    )
    before = _tree(root)
    done = subprocess.run([sys.executable, "-c", script, str(root), str(patch)], timeout=60)
    assert done.returncode == 9
    assert (root / "new" / "deep" / "x.txt").exists(), "the crash came after the first rename"
    assert len(recover(root)) == 1
    assert _tree(root) == before


# --- bad input: one clear refusal, nothing changed ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("loop/x.txt", "symlink loop"),
        ("q" * 300 + ".txt", "longer than 255 bytes"),
        ("f.txt/inner.txt", "f.txt: is a file, not a folder"),
    ],
    ids=["symlink-loop", "300-byte-name", "file-used-as-folder"],
)
def test_unusable_paths_are_refused_clearly(root: Path, path: str, words: str) -> None:
    (root / "loop").symlink_to("loop2")
    (root / "loop2").symlink_to("loop")
    before = _tree(root)
    with pytest.raises(PatchRefused) as info:
        apply_proposal(prepare(root, parse_patch(_envelope(f"*** Add File: {path}", "+x"))))
    assert words in info.value.message
    assert _tree(root) == before


def test_undo_onto_a_folder_is_refused_and_changes_nothing(root: Path) -> None:
    apply_proposal(prepare(root, parse_patch(CHANGE)))
    (root / "f.txt").unlink()
    (root / "f.txt").mkdir()
    (root / "f.txt" / "inside.txt").write_text("mine\n")
    for force in (False, True):
        with pytest.raises(PatchRefused) as info:
            undo(root, force=force)
        assert "f.txt: is a folder" in info.value.message
        assert (root / "f.txt" / "inside.txt").read_text() == "mine\n"
    assert [e.state for e in history(root)] == ["applied"]


def test_a_journal_missing_a_table_is_one_clear_error(root: Path) -> None:
    from rigtui.edits.journal import journal_path
    from rigtui.errors import StoreError

    apply_proposal(prepare(root, parse_patch(CHANGE)))
    db = sqlite3.connect(journal_path(root))
    db.execute("DROP TABLE file_changes")
    db.commit()
    db.close()
    with pytest.raises(StoreError) as info:
        undo(root)
    assert "undo journal is incomplete (no file_changes table)" in info.value.message
    assert "move" in (info.value.fix or "")
    done = subprocess.run(
        [sys.executable, "-m", "rigtui", "history", "--path", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no file_changes table" in done.stderr
    assert (root / "f.txt").read_text() == "new\n"


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real 1 MiB file system (tmpfs), for a full disk."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_under_rigtui_home_is_said_as_such(
    root: Path, small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rigtui.errors import StoreError

    monkeypatch.setenv("RIGTUI_HOME", str(small_disk))
    apply_proposal(prepare(root, parse_patch(CHANGE)))  # the journal exists
    fd = os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:  # fill the disk to the last block
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    big = "\n".join(f"+{'x' * 200} {i}" for i in range(3000))
    with pytest.raises(StoreError) as info:
        apply_proposal(prepare(root, parse_patch(_envelope("*** Add File: big.txt", big))))
    assert "the disk is full" in info.value.message and "journal.db" in info.value.message
    assert "free space" in (info.value.fix or "")
    assert not (root / "big.txt").exists() and (root / "f.txt").read_text() == "new\n"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rigtui", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("path", "words"),
    [("loop/x.txt", "symlink loop"), ("q" * 300, "longer than 255 bytes"),
     ("f.txt/inner.txt", "f.txt: is a file, not a folder")],
    ids=["symlink-loop", "300-byte-name", "file-used-as-folder"],
)  # fmt: skip
def test_unusable_paths_are_one_line_and_exit_2(
    tmp_path: Path, root: Path, path: str, words: str
) -> None:
    (root / "loop").symlink_to("loop")
    patch = tmp_path / "p.patch"
    patch.write_text(_envelope(f"*** Add File: {path}", "+x"))
    before = _tree(root)
    done = _cli("apply", "--yes", "--path", str(root), str(patch))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and words in done.stderr and "Traceback" not in done.stderr
    assert _tree(root) == before


def test_undo_onto_a_folder_is_one_line_and_exit_2(tmp_path: Path, root: Path) -> None:
    apply_proposal(prepare(root, parse_patch(CHANGE)))
    (root / "f.txt").unlink()
    (root / "f.txt").mkdir()
    done = _cli("undo", "--path", str(root))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "f.txt: is a folder" in done.stderr


def test_a_folder_without_access_is_one_line_and_exit_2(tmp_path: Path, root: Path) -> None:
    from tests.support.permissions import run_python

    (root / "locked").mkdir()
    (root / "locked" / "g.txt").write_text("old\n")
    patch = tmp_path / "p.patch"
    patch.write_text(_envelope("*** Update File: locked/g.txt", "@@", "-old", "+new"))
    (root / "locked").chmod(0)
    try:
        done = run_python("-m", "rigtui", "apply", "--yes", "--path", str(root), str(patch))
    finally:
        (root / "locked").chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "locked" in done.stderr
    assert "Permission denied" in done.stderr and "Traceback" not in done.stderr
    assert (root / "locked" / "g.txt").read_text() == "old\n"

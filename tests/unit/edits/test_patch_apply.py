"""Atomic apply: bytes preserved (CRLF, BOM, final newline, mode), unsafe paths and non-UTF-8
files refused, a file changed since the proposal never overwritten, partial acceptance."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rigtui.edits import atomic
from rigtui.edits.engine import PatchConflict, apply_proposal
from rigtui.edits.errors import PatchRefused
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from tests.support.faults import after_each_replace


def _envelope(*body: str) -> str:
    return "*** Begin Patch\n" + "\n".join(body) + "\n*** End Patch\n"


def _apply(root: Path, patch: str, accepted: set[str] | None = None) -> None:
    apply_proposal(prepare(root, parse_patch(patch)), accepted)


CHANGE_B = _envelope("*** Update File: f.txt", "@@", " a", "-b", "+B")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\n"),
        (b"a\nb", b"a\nB"),
        (b"a\r\nb", b"a\r\nB"),
        (b"\xef\xbb\xbfa\nb\n", b"\xef\xbb\xbfa\nB\n"),
        (b"a\nb\r\nc\n", b"a\nB\r\nc\n"),
    ],
    ids=["crlf", "no-final-newline", "crlf-no-final-newline", "bom", "mixed-endings"],
)
def test_bytes_around_the_change_are_preserved(tmp_path: Path, before: bytes, after: bytes) -> None:
    (tmp_path / "f.txt").write_bytes(before)
    _apply(tmp_path, CHANGE_B)
    assert (tmp_path / "f.txt").read_bytes() == after


def test_added_lines_after_a_last_line_without_newline(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a\r\nb")
    _apply(tmp_path, _envelope("*** Update File: f.txt", "@@", " b", "+c"))
    assert (tmp_path / "f.txt").read_bytes() == b"a\r\nb\r\nc"


def test_file_mode_kept_and_new_files_get_the_default_mode(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\necho a\n")
    script.chmod(0o751)
    _apply(
        tmp_path,
        _envelope(
            "*** Update File: run.sh", "@@", "-echo a", "+echo b", "*** Add File: n.txt", "+x"
        ),
    )
    assert script.read_text() == "#!/bin/sh\necho b\n"
    assert script.stat().st_mode & 0o777 == 0o751
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "n.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_latin1_file_is_patched_byte_for_byte(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"caf\xe9\na\nb\n")
    _apply(tmp_path, CHANGE_B)
    assert (tmp_path / "f.txt").read_bytes() == b"caf\xe9\na\nB\n"
    # A patch whose own lines hold the Latin-1 byte (read as bytes, as `rigtui apply` reads it)
    patch = b"--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n-caf\xe9\n+caf\xe9s\n a\n"
    _apply(tmp_path, patch.decode("utf-8", "surrogateescape"))
    assert (tmp_path / "f.txt").read_bytes() == b"caf\xe9s\na\nB\n"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/passwd", "absolute"),
        ("../outside.txt", "`..`"),
        ("sub/../../outside.txt", "`..`"),
        (".git/config", ".git"),
        (".GIT/config", ".git"),  # the same folder on case-insensitive file systems
        ("link/evil.txt", "outside the project"),
        ("gitlink/config", ".git"),  # a link inside the project to its .git folder
        (".", "the project folder itself"),  # was an IndexError
        ("./", "the project folder itself"),
    ],
)
def test_unsafe_paths_are_refused(tmp_path: Path, path: str, words: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "link").symlink_to(tmp_path)
    (root / "gitlink").symlink_to(root / ".git")
    with pytest.raises(PatchRefused) as info:
        _apply(root, _envelope(f"*** Add File: {path}", "+x"))
    assert words in info.value.message
    assert not (tmp_path / "outside.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_symlink_inside_the_project_edits_its_target(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("a\nb\n")
    (tmp_path / "f.txt").symlink_to(tmp_path / "real.txt")
    _apply(tmp_path, CHANGE_B)
    assert (tmp_path / "f.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text() == "a\nB\n"


def test_file_changed_since_proposal_is_refused_then_rebased(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb\n")
    proposal = prepare(tmp_path, parse_patch(CHANGE_B))
    (tmp_path / "f.txt").write_text("top\na\nb\n")
    with pytest.raises(PatchConflict) as info:
        apply_proposal(proposal)
    assert info.value.paths == ["f.txt"] and info.value.rebased is not None
    assert (tmp_path / "f.txt").read_text() == "top\na\nb\n", "never overwritten silently"
    result = apply_proposal(proposal, allow_rebase=True)
    assert result.rebased
    assert (tmp_path / "f.txt").read_text() == "top\na\nB\n"


def test_conflict_without_rebase_when_hunks_no_longer_match(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb\n")
    proposal = prepare(tmp_path, parse_patch(CHANGE_B))
    (tmp_path / "f.txt").write_text("rewritten\n")
    with pytest.raises(PatchConflict) as info:
        apply_proposal(proposal, allow_rebase=True)
    assert info.value.rebased is None and "no longer match" in info.value.message


def test_only_accepted_hunks_apply_and_later_offsets_shift(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("".join(f"{i}\n" for i in range(1, 21)))
    patch = (
        "--- a/f.txt\n+++ b/f.txt\n"
        "@@ -2,1 +2,3 @@\n-2\n+two\n+TWO\n+2\n"
        "@@ -10,1 +12,0 @@\n-10\n"
        "@@ -18,1 +19,1 @@\n-18\n+eighteen\n"
    )
    proposal = prepare(tmp_path, parse_patch(patch))
    result = apply_proposal(proposal, {"1.1", "1.3"})
    assert result.rejected == ["1.2"]
    lines = (tmp_path / "f.txt").read_text().splitlines()
    assert lines[:5] == ["1", "two", "TWO", "2", "3"]
    assert "10" in lines and lines[-3:] == ["eighteen", "19", "20"]


def test_nothing_accepted_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb\n")
    with pytest.raises(PatchRefused, match="no hunk was accepted"):
        _apply(tmp_path, CHANGE_B, set())


def test_failure_part_way_restores_every_replaced_file(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("1\n")
    (tmp_path / "blocker").write_text("a file where a folder is needed\n")
    patch = _envelope(
        "*** Update File: one.txt", "@@", "-1", "+ONE",
        "*** Delete File: blocker",
        "*** Add File: blocker2/x.txt", "+x",
    )  # fmt: skip
    proposal = prepare(tmp_path, parse_patch(patch))
    calls: list[str] = []

    def fail_on_second(path: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(5, "simulated I/O error", path)

    with after_each_replace(fail_on_second), pytest.raises(PatchRefused, match="restored"):
        apply_proposal(proposal)
    assert (tmp_path / "one.txt").read_text() == "1\n"
    assert (tmp_path / "blocker").read_text() == "a file where a folder is needed\n"
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(atomic.TEMP_SUFFIX)]
    assert leftovers == []


def test_move_and_delete(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x\n")
    (tmp_path / "gone.txt").write_text("bye\n")
    _apply(
        tmp_path,
        _envelope(
            "*** Update File: old.txt",
            "*** Move to: d/new.txt",
            "@@",
            "-x",
            "+y",
            "*** Delete File: gone.txt",
        ),
    )
    assert not (tmp_path / "old.txt").exists() and not (tmp_path / "gone.txt").exists()
    assert (tmp_path / "d" / "new.txt").read_text() == "y\n"

"""Three-way merges of whole files, checked against `git merge-file` on random edits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rigtui.edits.merge import merge3

BASE = b"".join(f"line {i}\n".encode() for i in range(12))


def _replace(data: bytes, index: int, new: bytes) -> bytes:
    lines = data.splitlines(keepends=True)
    lines[index] = new
    return b"".join(lines)


def test_one_sided_and_identical_changes_are_taken() -> None:
    ours = _replace(BASE, 1, b"ours 1\n")
    theirs = _replace(BASE, 9, b"theirs 9\n")
    merged = merge3(BASE, ours, theirs)
    assert merged.clean and merged.data == _replace(ours, 9, b"theirs 9\n")
    assert merge3(BASE, ours, ours).data == ours
    assert merge3(BASE, BASE, theirs).data == theirs
    assert merge3(BASE, ours, BASE).data == ours


def test_a_region_both_changed_differently_is_a_conflict_and_ours_is_kept() -> None:
    ours = _replace(BASE, 5, b"ours\n")
    theirs = _replace(BASE, 5, b"theirs\n")
    merged = merge3(BASE, ours, theirs)
    assert not merged.clean and merged.data == ours
    (conflict,) = merged.conflicts
    assert (conflict.start, conflict.end) == (5, 6)
    assert conflict.ours == (b"ours\n",) and conflict.theirs == (b"theirs\n",)
    assert conflict.base == (b"line 5\n",)


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "why"),
    [
        (None, b"a\n", b"b\n", "added in both"),
        (b"a\n", b"b\n", None, "deleted by the task"),
        (b"a\n", None, b"b\n", "deleted in the project"),
        (b"\0a", b"\0b", b"\0c", "binary"),
    ],
)
def test_whole_file_conflicts(base, ours, theirs, why) -> None:
    merged = merge3(base, ours, theirs)
    assert why in merged.whole_file and merged.data == ours


def test_deletions_and_additions_resolve_when_one_sided() -> None:
    assert merge3(b"a\n", b"a\n", None).data is None  # the task deleted it
    assert merge3(b"a\n", None, b"a\n").data is None  # the user deleted it, the task did not
    assert merge3(None, None, b"new\n").data == b"new\n"
    assert merge3(b"\0x", b"\0x", b"\0y").data == b"\0y"  # binary, one side changed


def test_line_endings_and_a_missing_final_newline_stay_exact() -> None:
    base = b"a\r\nb\r\nc"
    merged = merge3(base, b"A\r\nb\r\nc", b"a\r\nb\r\nC")
    assert merged.clean and merged.data == b"A\r\nb\r\nC"


LINES = st.lists(st.sampled_from([b"a\n", b"b\n", b"c\n", b"d\n", b"e\n"]), max_size=12)


@st.composite
def edited(draw: st.DrawFn, base: list[bytes]) -> list[bytes]:
    out = list(base)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(out)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            out.insert(at, draw(st.sampled_from([b"x\n", b"y\n", b"z\n"])))
        elif out and at < len(out):
            if action == "delete":
                del out[at]
            else:
                out[at] = draw(st.sampled_from([b"X\n", b"Y\n"]))
    return out


def test_both_sides_deleting_one_of_a_run_of_equal_lines_delete_it_once() -> None:
    """Which of three equal lines a side deleted is ambiguous; git's diff slides the change
    down, so two sides deleting "one b" made the same change (found by the test below)."""
    merged = merge3(b"a\nb\nb\nb\n", b"a\nb\nb\n", b"x\na\nb\nb\n")
    assert merged.clean and merged.data == b"x\na\nb\nb\n"


UNIQUE_LINES = st.lists(st.sampled_from([b"a\n", b"b\n", b"c\n", b"d\n", b"e\n"]), unique=True)


def _git_merge_file(folder: Path, base: list[bytes], ours: list[bytes], theirs: list[bytes]):  # type: ignore[no-untyped-def]
    for name, lines in (("base", base), ("ours", ours), ("theirs", theirs)):
        (folder / name).write_bytes(b"".join(lines))
    return subprocess.run(
        ["git", "merge-file", "-p", str(folder / "ours"), str(folder / "base"),
         str(folder / "theirs")],
        capture_output=True, check=False,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git for git merge-file")
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_clean_merges_agree_with_git_merge_file(tmp_path_factory, data) -> None:
    """Where the diffs are unambiguous (no line repeats in base), a merge both git and merge3
    call clean gives the same bytes. (In runs of equal lines the two may align a change
    differently, and both outcomes are sound: the next test checks those for symmetry.)"""
    base = data.draw(UNIQUE_LINES)
    ours, theirs = data.draw(edited(base)), data.draw(edited(base))
    done = _git_merge_file(tmp_path_factory.mktemp("merge"), base, ours, theirs)
    merged = merge3(b"".join(base), b"".join(ours), b"".join(theirs))
    if done.returncode == 0 and merged.clean:
        assert merged.data == done.stdout


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_merges_are_symmetric_even_with_repeated_lines(data) -> None:
    base = data.draw(LINES)
    ours, theirs = data.draw(edited(base)), data.draw(edited(base))
    merged = merge3(b"".join(base), b"".join(ours), b"".join(theirs))
    swapped = merge3(b"".join(base), b"".join(theirs), b"".join(ours))
    assert swapped.clean == merged.clean
    if merged.clean:
        assert swapped.data == merged.data

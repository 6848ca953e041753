"""Git file modes in unified diffs: `old mode`/`new mode` (a mode-change hunk, accepted or
rejected like any hunk), `new file mode 100755` (an executable new file), `deleted file mode`;
applied atomically with the content, journaled for undo/redo, refused when the file's mode is not
the expected old one; symbolic links and submodules refused. Real files, real `git`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from rigtui.cli import main
from rigtui.edits.diff import unified_diff
from rigtui.edits.engine import PatchConflict, apply_proposal, history, redo, undo
from rigtui.edits.errors import PatchRefused, PatchSyntaxError
from rigtui.edits.model import EXECUTABLE, REGULAR, with_git_mode
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from rigtui.edits.render import describe_hunk, file_title, render_proposal

MODE_ONLY = "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
MODE_AND_CONTENT = (
    "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\nindex 1111111..2222222\n"
    "--- a/run.sh\n+++ b/run.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo a\n+echo b\n"
)
NEW_EXECUTABLE = (
    "diff --git a/bin/tool b/bin/tool\nnew file mode 100755\nindex 0000000..3333333\n"
    "--- /dev/null\n+++ b/bin/tool\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+echo tool\n"
)
SCRIPT = b"#!/bin/sh\necho a\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "run.sh"
    path.write_bytes(SCRIPT)
    path.chmod(0o644)
    return path


# --- parsing -------------------------------------------------------------------------------


def test_a_mode_change_alone_is_a_change_set_with_one_mode_hunk() -> None:
    cs = parse_patch(MODE_ONLY)
    [change] = cs.files
    assert (change.kind, change.path, change.move_to) == ("update", "run.sh", None)
    [hunk] = change.hunks
    assert hunk.id == "1.1" and hunk.lines == ()
    assert hunk.mode_change == (REGULAR, EXECUTABLE) and hunk.mode_text == "100644 → 100755"
    assert hunk.to_text() == "old mode 100644\nnew mode 100755\n"


def test_the_mode_hunk_comes_first_then_the_content_hunks() -> None:
    cs = parse_patch(MODE_AND_CONTENT + MODE_ONLY.replace("run.sh", "other.sh"))
    assert cs.hunk_ids() == ["1.1", "1.2", "2.1"]
    first = cs.files[0]
    assert first.mode_hunk is not None and first.mode_hunk.id == "1.1"
    assert [h.id for h in first.content_hunks] == ["1.2"]


def test_new_and_deleted_file_modes_belong_to_the_file() -> None:
    deleted = (
        "diff --git a/x b/x\ndeleted file mode 100755\n--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )
    empty = "diff --git a/e.sh b/e.sh\nnew file mode 100755\nindex 0000000..e69de29\n"
    cs = parse_patch(NEW_EXECUTABLE + deleted + empty)
    assert [(f.kind, f.path, f.mode) for f in cs.files] == [
        ("add", "bin/tool", EXECUTABLE),
        ("delete", "x", EXECUTABLE),
        ("add", "e.sh", EXECUTABLE),
    ]
    assert all(f.mode_hunk is None for f in cs.files)


def test_a_rename_with_a_mode_change_and_an_old_style_mode() -> None:
    patch = (
        "diff --git a/a.sh b/b.sh\nold mode 100664\nnew mode 100755\nsimilarity index 100%\n"
        "rename from a.sh\nrename to b.sh\n"
    )
    [change] = parse_patch(patch).files
    assert (change.path, change.move_to) == ("a.sh", "b.sh")
    assert change.mode_hunk is not None and change.mode_hunk.mode_change == (REGULAR, EXECUTABLE)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("new file mode 120000", "symbolic link"),
        ("deleted file mode 120000", "symbolic link"),
        ("new mode 160000", "submodule"),
        ("new file mode 040000", "folder"),
        ("new mode 100", "not a regular file's mode"),
        ("new mode rwxr-xr-x", "no octal file mode"),
    ],
)
def test_modes_other_than_regular_files_are_refused_naming_the_line(line: str, words: str) -> None:
    first = "old mode 100644\n" if line.startswith("new mode") else ""
    with pytest.raises(PatchSyntaxError) as info:
        parse_patch(f"diff --git a/l b/l\n{first}{line}\n")
    assert words in info.value.message
    assert f"line {2 + bool(first)}" in info.value.message and info.value.fix


def test_mode_lines_stay_with_their_own_file() -> None:
    plain = "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+A\n"
    odd = "diff --git a/x b/y b/x b/y\nold mode 100755\nnew mode 100644\n"
    cs = parse_patch(MODE_ONLY + plain + odd)
    assert [(f.path, bool(f.mode_hunk)) for f in cs.files] == [
        ("run.sh", True),
        ("a.txt", False),
        ("x b/y", True),  # a path holding " b/" is still split in the middle
    ]


def test_half_a_mode_change_is_refused() -> None:
    with pytest.raises(PatchSyntaxError, match=r"line 2: `new mode` without `old mode`"):
        parse_patch("diff --git a/x b/x\nnew mode 100755\n")


def test_a_mode_change_to_the_same_mode_changes_nothing() -> None:
    with pytest.raises(PatchSyntaxError, match="changes no files"):
        parse_patch("diff --git a/x b/x\nold mode 100644\nnew mode 100644\n")


def test_the_apply_patch_envelope_has_no_modes() -> None:
    cs = parse_patch("*** Begin Patch\n*** Update File: run.sh\n@@\n-a\n+b\n*** End Patch\n")
    assert cs.files[0].mode_hunk is None and cs.files[0].mode is None


# --- applying, undo, redo ------------------------------------------------------------------


def test_a_pure_mode_change_applies_undoes_and_redoes(tmp_path: Path, script: Path) -> None:
    proposal = prepare(tmp_path, parse_patch(MODE_ONLY))
    assert proposal.hunk_ids() == ["1.1"]
    [write] = proposal.writes()
    assert (write.before, write.before_mode, write.after_mode) == (SCRIPT, 0o644, 0o755)
    result = apply_proposal(proposal)
    assert result.paths == ["run.sh"]
    assert _mode(script) == 0o755 and script.read_bytes() == SCRIPT
    undo(tmp_path)
    assert _mode(script) == 0o644 and script.read_bytes() == SCRIPT
    redo(tmp_path)
    assert _mode(script) == 0o755 and script.read_bytes() == SCRIPT
    assert [e.state for e in history(tmp_path)] == ["applied"]


def test_making_a_file_not_executable(tmp_path: Path, script: Path) -> None:
    script.chmod(0o755)
    patch = "diff --git a/run.sh b/run.sh\nold mode 100755\nnew mode 100644\n"
    apply_proposal(prepare(tmp_path, parse_patch(patch)))
    assert _mode(script) == 0o644
    undo(tmp_path)
    assert _mode(script) == 0o755


@pytest.mark.parametrize(
    ("accepted", "content", "mode"),
    [
        ({"1.1", "1.2"}, b"#!/bin/sh\necho b\n", 0o755),
        ({"1.2"}, b"#!/bin/sh\necho b\n", 0o644),
        ({"1.1"}, SCRIPT, 0o755),
    ],
    ids=["both", "content-only", "mode-only"],
)
def test_mode_and_content_hunks_are_accepted_separately(
    tmp_path: Path, script: Path, accepted: set[str], content: bytes, mode: int
) -> None:
    proposal = prepare(tmp_path, parse_patch(MODE_AND_CONTENT))
    result = apply_proposal(proposal, accepted)
    assert result.rejected == sorted({"1.1", "1.2"} - accepted)
    assert script.read_bytes() == content and _mode(script) == mode
    undo(tmp_path)
    assert script.read_bytes() == SCRIPT and _mode(script) == 0o644
    redo(tmp_path)
    assert script.read_bytes() == content and _mode(script) == mode


def test_rejecting_the_mode_hunk_of_a_mode_only_change_applies_nothing(
    tmp_path: Path, script: Path
) -> None:
    with pytest.raises(PatchRefused, match="no hunk was accepted"):
        apply_proposal(prepare(tmp_path, parse_patch(MODE_ONLY)), set())
    assert _mode(script) == 0o644


def test_new_file_mode_100755_creates_an_executable(tmp_path: Path) -> None:
    empty = "diff --git a/e.sh b/e.sh\nnew file mode 100755\nindex 0000000..e69de29\n"
    plain = NEW_EXECUTABLE.replace("bin/tool", "notes.txt").replace("100755", "100644")
    apply_proposal(prepare(tmp_path, parse_patch(NEW_EXECUTABLE + empty + plain)))
    tool = tmp_path / "bin" / "tool"
    assert tool.read_bytes() == b"#!/bin/sh\necho tool\n"
    assert _mode(tool) == 0o777 & ~_umask() and _mode(tool) & 0o100
    assert (tmp_path / "e.sh").read_bytes() == b"" and _mode(tmp_path / "e.sh") & 0o100
    assert _mode(tmp_path / "notes.txt") == 0o666 & ~_umask()
    undo(tmp_path)
    assert not tool.exists() and not (tmp_path / "e.sh").exists()
    redo(tmp_path)
    assert _mode(tool) == 0o777 & ~_umask()


def test_new_file_mode_replacing_an_existing_file_sets_the_stated_mode(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tool").write_text("old\n")
    (tmp_path / "bin" / "tool").chmod(0o640)
    proposal = prepare(tmp_path, parse_patch(NEW_EXECUTABLE))
    assert "new, replaces the existing file" in file_title(proposal.files[0]).plain
    apply_proposal(proposal)
    assert _mode(tmp_path / "bin" / "tool") == 0o750


def test_deleting_a_file_with_a_mode_restores_that_mode_on_undo(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x\n")
    (tmp_path / "x").chmod(0o755)
    patch = (
        "diff --git a/x b/x\ndeleted file mode 100755\n--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n"
    )
    apply_proposal(prepare(tmp_path, parse_patch(patch)))
    assert not (tmp_path / "x").exists()
    undo(tmp_path)
    assert (tmp_path / "x").read_text() == "x\n" and _mode(tmp_path / "x") == 0o755


@pytest.mark.parametrize(
    ("before", "mode", "after"),
    [
        (0o644, EXECUTABLE, 0o755),
        (0o664, EXECUTABLE, 0o775),
        (0o600, EXECUTABLE, 0o700),  # a private file stays private
        (0o640, EXECUTABLE, 0o750),
        (0o200, EXECUTABLE, 0o300),  # executable by its owner at least
        (0o775, REGULAR, 0o664),
        (0o751, REGULAR, 0o640),
    ],
)
def test_only_the_executable_bits_change(before: int, mode: int, after: int) -> None:
    assert with_git_mode(before, mode) == after


def test_private_permissions_survive_a_mode_change_on_disk(tmp_path: Path, script: Path) -> None:
    script.chmod(0o600)
    apply_proposal(prepare(tmp_path, parse_patch(MODE_ONLY)))
    assert _mode(script) == 0o700
    undo(tmp_path)
    assert _mode(script) == 0o600


def test_a_binary_file_can_change_mode(tmp_path: Path) -> None:
    blob = tmp_path / "tool.bin"
    blob.write_bytes(b"\x7fELF\x00\x01\xff\xfe")
    blob.chmod(0o644)
    apply_proposal(prepare(tmp_path, parse_patch(MODE_ONLY.replace("run.sh", "tool.bin"))))
    assert blob.read_bytes() == b"\x7fELF\x00\x01\xff\xfe" and _mode(blob) == 0o755


def test_a_rename_with_a_mode_change(tmp_path: Path, script: Path) -> None:
    patch = (
        "diff --git a/run.sh b/bin/run\nold mode 100644\nnew mode 100755\n"
        "similarity index 100%\nrename from run.sh\nrename to bin/run\n"
    )
    proposal = prepare(tmp_path, parse_patch(patch))
    assert proposal.hunk_ids() == ["1.1"], "the mode hunk carries the rename"
    apply_proposal(proposal)
    moved = tmp_path / "bin" / "run"
    assert not script.exists() and moved.read_bytes() == SCRIPT and _mode(moved) == 0o755
    undo(tmp_path)
    assert not moved.exists() and script.read_bytes() == SCRIPT and _mode(script) == 0o644


# --- refusals ------------------------------------------------------------------------------


def test_a_file_without_the_expected_old_mode_is_refused(tmp_path: Path, script: Path) -> None:
    script.chmod(0o755)
    with pytest.raises(PatchRefused) as info:
        prepare(tmp_path, parse_patch(MODE_AND_CONTENT))
    message = info.value.message
    assert message.startswith("run.sh: its mode is 100755")
    assert "expects old mode 100644" in message and "already has the new mode" in message
    assert info.value.fix and "chmod -x run.sh" in info.value.fix
    assert script.read_bytes() == SCRIPT and _mode(script) == 0o755, "nothing changed"


def test_a_mode_changed_between_review_and_apply_is_a_conflict(
    tmp_path: Path, script: Path
) -> None:
    proposal = prepare(tmp_path, parse_patch(MODE_ONLY))
    script.chmod(0o755)
    with pytest.raises(PatchConflict) as info:
        apply_proposal(proposal, allow_rebase=True)
    assert info.value.paths == ["run.sh"] and info.value.rebased is None
    assert _mode(script) == 0o755


def test_a_chmod_after_the_proposal_is_not_silently_reverted(tmp_path: Path, script: Path) -> None:
    patch = "--- a/run.sh\n+++ b/run.sh\n@@ -2 +2 @@\n-echo a\n+echo b\n"
    proposal = prepare(tmp_path, parse_patch(patch))
    script.chmod(0o700)
    with pytest.raises(PatchConflict) as info:
        apply_proposal(proposal)
    assert info.value.rebased is not None, "the hunks still fit: a re-base is offered"
    apply_proposal(proposal, allow_rebase=True)
    assert script.read_bytes() == b"#!/bin/sh\necho b\n" and _mode(script) == 0o700


def test_a_mode_hunk_cannot_be_edited(tmp_path: Path, script: Path) -> None:
    proposal = prepare(tmp_path, parse_patch(MODE_AND_CONTENT))
    with pytest.raises(PatchRefused, match=r"hunk 1\.1 changes the mode of run\.sh") as info:
        proposal.with_edited_hunk("1.1", "-echo a\n+echo c\n")
    assert "accept or reject" in (info.value.fix or "")
    edited = proposal.with_edited_hunk("1.2", " #!/bin/sh\n-echo a\n+echo c\n")
    apply_proposal(edited)
    assert script.read_text() == "#!/bin/sh\necho c\n" and _mode(script) == 0o755


# --- what the review and the CLI show ------------------------------------------------------


def test_the_file_title_and_hunk_show_the_mode_change(tmp_path: Path, script: Path) -> None:
    (tmp_path / "other.sh").write_text("x\n")
    proposal = prepare(tmp_path, parse_patch(MODE_AND_CONTENT + MODE_ONLY.replace("run", "other")))
    first, second = proposal.files
    assert file_title(first).plain == "run.sh  modified  mode 100644 → 100755  +1 -1"
    assert file_title(second).plain == "other.sh  modified  mode 100644 → 100755"
    assert describe_hunk(first.located[0]) == "hunk 1.1: mode 100644 → 100755"
    assert describe_hunk(first.located[1]) == "hunk 1.2 at line 1"


def test_check_shows_modes_and_changes_nothing(
    tmp_path: Path, script: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patch_file = tmp_path / "change.patch"
    patch_file.write_text(MODE_AND_CONTENT + NEW_EXECUTABLE)
    assert main(["apply", str(patch_file), "--path", str(tmp_path), "--check"]) == 0
    out = capsys.readouterr().out
    assert "run.sh  modified  mode 100644 → 100755  +1 -1" in out
    assert "- mode 100644" in out and "+ mode 100755 (executable)" in out
    assert "bin/tool  new  mode 100755  +2 -0" in out
    assert _mode(script) == 0o644 and not (tmp_path / "bin").exists()


def test_render_draws_a_mode_hunk_in_both_layouts(tmp_path: Path, script: Path) -> None:
    from rich.console import Console

    proposal = prepare(tmp_path, parse_patch(MODE_ONLY))
    for layout in ("unified", "split"):
        console = Console(width=80, record=True)
        console.print(render_proposal(proposal, layout))  # type: ignore[arg-type]
        text = console.export_text()
        assert "mode 100644" in text and "mode 100755 (executable)" in text


# --- git's own diffs, and ours read by git -------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "core.fileMode=true", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@needs_git
def test_rigtui_applies_what_git_diff_writes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "run.sh").write_bytes(SCRIPT)
    (repo / "run.sh").chmod(0o644)
    (repo / "lib.sh").write_text("x\n")
    (repo / "lib.sh").chmod(0o755)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    (repo / "run.sh").chmod(0o755)
    (repo / "run.sh").write_text("#!/bin/sh\necho b\n")
    (repo / "lib.sh").chmod(0o644)
    (repo / "new.sh").write_text("#!/bin/sh\n")
    (repo / "new.sh").chmod(0o755)
    _git(repo, "add", "-N", "new.sh")
    patch = _git(repo, "diff")
    _git(repo, "checkout", "--", "run.sh", "lib.sh")
    (repo / "new.sh").unlink()
    _git(repo, "reset", "-q")
    assert _mode(repo / "run.sh") == 0o644 and _mode(repo / "lib.sh") == 0o755
    apply_proposal(prepare(repo, parse_patch(patch)))
    assert _mode(repo / "run.sh") == 0o755 and _mode(repo / "lib.sh") == 0o644
    assert (repo / "run.sh").read_text() == "#!/bin/sh\necho b\n"
    assert _mode(repo / "new.sh") & 0o100
    _git(repo, "add", "-N", "new.sh")
    assert _git(repo, "diff") == patch, "git sees exactly the change it wrote"


@needs_git
def test_git_applies_the_mode_lines_unified_diff_writes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "run.sh").write_bytes(SCRIPT)
    (repo / "run.sh").chmod(0o644)
    patch = unified_diff("run.sh", SCRIPT, SCRIPT, before_mode=0o644, after_mode=0o755)
    patch += unified_diff("new.sh", None, b"#!/bin/sh\n", after_mode=0o755)
    assert patch.startswith(MODE_ONLY)
    (tmp_path / "p.diff").write_text(patch)
    _git(repo, "apply", str(tmp_path / "p.diff"))
    assert _mode(repo / "run.sh") & 0o100 and _mode(repo / "new.sh") & 0o100
    # and rigtui reads it back the same way, undoing git's work
    back = unified_diff("run.sh", SCRIPT, SCRIPT, before_mode=0o755, after_mode=0o644)
    apply_proposal(prepare(repo, parse_patch(back)))
    assert _mode(repo / "run.sh") == 0o644 and (repo / "run.sh").read_bytes() == SCRIPT


def test_unified_diff_without_modes_is_unchanged() -> None:
    assert unified_diff("run.sh", SCRIPT, SCRIPT) == ""
    assert unified_diff("run.sh", SCRIPT, SCRIPT, before_mode=0o644, after_mode=0o664) == ""
    assert "mode" not in unified_diff("run.sh", SCRIPT, b"x\n")
    assert unified_diff("gone.sh", SCRIPT, None, before_mode=0o755).startswith(
        "diff --git a/gone.sh b/gone.sh\ndeleted file mode 100755\n--- a/gone.sh\n"
    )


def test_the_proposed_event_carries_each_files_mode(tmp_path: Path, script: Path) -> None:
    from rigtui.session.changes import proposed_event

    both = MODE_ONLY + NEW_EXECUTABLE
    files = {f["path"]: f for f in proposed_event(prepare(tmp_path, parse_patch(both))).files}
    assert files["run.sh"]["mode"] == "mode 100644 → 100755"
    assert files["bin/tool"]["mode"] == "mode 100755"

"""Git file modes in unified diffs: `old mode`/`new mode` (a mode-change hunk, accepted or
rejected like any hunk), `new file mode 100755` (an executable new file), `deleted file mode`;
applied atomically with the content, journaled for undo/redo, refused when the file's mode is not
the expected old one; symbolic links and submodules refused. Real files, real `git`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rigtui.edits.errors import PatchSyntaxError
from rigtui.edits.model import EXECUTABLE, REGULAR
from rigtui.edits.parse import parse_patch

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

"""Both patch formats become the same change-set model."""

from __future__ import annotations

import pytest

from rigtui.edits.errors import PatchSyntaxError
from rigtui.edits.model import HunkLine
from rigtui.edits.parse import parse_hunk, parse_patch

ENVELOPE = """*** Begin Patch
*** Update File: src/app.py
*** Move to: src/main.py
@@ def run():
     x = 1
-    y = 2
+    y = 3
@@
-old
+new
*** End of File
*** Delete File: gone.txt
*** Add File: docs/new.md
+# Title
+
+body
*** End Patch
"""

GIT_DIFF = """diff --git a/src/a.py b/src/a.py
index 1111111..2222222 100644
--- a/src/a.py
+++ b/src/a.py
@@ -1,3 +1,3 @@ def f():
 one
-two
+TWO
 three
@@ -10,2 +10,3 @@
 ten
 eleven
+twelve
diff --git a/new.txt b/new.txt
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/before.py b/after.py
similarity index 100%
rename from before.py
rename to after.py
"""


def test_envelope_files_hunks_and_markers() -> None:
    cs = parse_patch(ENVELOPE)
    kinds = [(f.kind, f.path, f.move_to) for f in cs.files]
    assert kinds == [
        ("update", "src/app.py", "src/main.py"),
        ("delete", "gone.txt", None),
        ("add", "docs/new.md", None),
    ]
    first, second = cs.files[0].hunks
    assert first.anchor == "def run():"
    assert first.old_lines == ["    x = 1", "    y = 2"]
    assert first.new_lines == ["    x = 1", "    y = 3"]
    assert second.end_of_file and not first.end_of_file
    assert cs.files[2].hunks[0].new_lines == ["# Title", "", "body"]
    assert cs.hunk_ids() == ["1.1", "1.2", "3.1"]


def test_git_diff_add_delete_rename_and_no_newline_marker() -> None:
    cs = parse_patch(GIT_DIFF)
    kinds = [(f.kind, f.path, f.move_to) for f in cs.files]
    assert kinds == [
        ("update", "src/a.py", None),
        ("add", "new.txt", None),
        ("delete", "old.txt", None),
        ("update", "before.py", "after.py"),
    ]
    h1, h2 = cs.files[0].hunks
    assert (h1.old_start, h1.new_start, h1.section) == (1, 1, "def f():")
    assert (h2.old_start, h2.added, h2.removed) == (10, 1, 0)
    assert cs.files[1].hunks[0].new_no_newline
    assert cs.files[3].hunks == ()


def test_plain_unified_diff_strips_one_folder_unless_the_project_says_p0(tmp_path) -> None:
    text = "--- lib/x.c\t2024-01-01\n+++ lib/x.c\t2024-01-02\n@@ -1 +1 @@\n-a\n+b\n"
    assert parse_patch(text).files[0].path == "x.c", "like patch -p1"
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "x.c").write_text("a\n")
    cs = parse_patch(text, root=tmp_path)
    assert cs.files[0].path == "lib/x.c", "-p0 detected: the name is the project's own"
    assert cs.files[0].hunks[0].lines == (HunkLine("-", "a"), HunkLine("+", "b"))
    assert parse_patch(text, strip=0).files[0].path == "lib/x.c"
    assert parse_patch("--- x.c\n+++ x.c\n@@ -1 +1 @@\n-a\n+b\n").files[0].path == "x.c"


def test_crlf_patch_text_is_read_like_lf() -> None:
    cs = parse_patch(ENVELOPE.replace("\n", "\r\n"))
    assert cs.files[0].hunks[0].new_lines == ["    x = 1", "    y = 3"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("hello world\n", "not a patch"),
        ("*** Begin Patch\n*** Add File: a\n+x\n", "End Patch"),
        ("*** Begin Patch\n*** End Patch\n", "changes no files"),
        ("*** Begin Patch\n*** Update File: a.txt\n*** End Patch\n", "has no hunks"),
        ("*** Begin Patch\n*** Frobnicate File: a\n*** End Patch\n", "line 2"),
        ("*** Begin Patch\n*** Update File: a\n@@\nnope\n*** End Patch\n", "not a hunk line"),
        ("--- a\n+++ a\n@@ -1,2 +1,2 @@\n-x\n+y\n", "promises 2 old"),
        ("--- a\n+++ a\n@@ -1 +1 @\n-x\n", "bad hunk header"),
    ],
)
def test_bad_patches_name_the_problem(text: str, words: str) -> None:
    with pytest.raises(PatchSyntaxError) as info:
        parse_patch(text)
    assert words in str(info.value)
    assert info.value.exit_code == 2


def test_edited_hunk_ignores_comment_lines_and_needs_a_change() -> None:
    hunk = parse_hunk("@@ -3,2 +3,2 @@\n# edit me\n a\n-b\n+c\n")
    assert hunk.old_start == 3 and hunk.old_lines == ["a", "b"] and hunk.new_lines == ["a", "c"]
    with pytest.raises(PatchSyntaxError, match="changes nothing"):
        parse_hunk("@@ -1 +1 @@\n a\n")


def test_git_quoted_names_in_headers_and_renames_are_read_byte_exact() -> None:
    """git C-quotes odd names everywhere: `diff --git` (the only names of an empty new file),
    `rename from/to`, and `---`/`+++`; octal escapes are the name's UTF-8 (or other) bytes."""
    text = (
        'diff --git "a/a\\nb.txt" "b/a\\nb.txt"\n'
        "new file mode 100644\n"
        "index 0000000..e69de29\n"
        'diff --git "a/old\\tname.txt" "b/caf\\303\\251 \\"x\\".txt"\n'
        "similarity index 100%\n"
        'rename from "old\\tname.txt"\n'
        'rename to "caf\\303\\251 \\"x\\".txt"\n'
        'diff --git "a/lat\\351.txt" "b/lat\\351.txt"\n'
        "index 1111111..2222222 100644\n"
        '--- "a/lat\\351.txt"\n'
        '+++ "b/lat\\351.txt"\n'
        "@@ -1 +1 @@\n-a\n+b\n"
    )
    added, renamed, latin = parse_patch(text).files
    assert (added.kind, added.path) == ("add", "a\nb.txt")
    assert (renamed.path, renamed.move_to) == ("old\tname.txt", 'café "x".txt')
    assert latin.path == "lat\udce9.txt"  # the byte 0xe9, as os.fsdecode gives it

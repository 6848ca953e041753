"""Files named with a newline or an escape sequence (real files on disk) are shown escaped by
every command that prints a path: the index queries, `apply --check`, `apply`, `history` and
`undo`. No output carries a raw ESC byte or a line broken by a name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rigtui.cli import main

NEWLINE, RED = "a\nb.py", "\x1b[31mred.py"
SHOWN_NEWLINE, SHOWN_RED = "a\\nb.py", "\\x1b[31mred.py"

# What `git diff` writes for these names: C-quoted in the headers.
GIT_PATCH = """\
diff --git "a/\\033[31mred.txt" "b/\\033[31mred.txt"
new file mode 100644
index 0000000..a9d1386
--- /dev/null
+++ "b/\\033[31mred.txt"
@@ -0,0 +1 @@
+red \x1b[2J
diff --git "a/a\\nb.txt" "b/a\\nb.txt"
new file mode 100644
index 0000000..2d00bd5
--- /dev/null
+++ "b/a\\nb.txt"
@@ -0,0 +1 @@
+line one
diff --git a/keep.txt b/keep.txt
index df967b9..459bb10 100644
--- a/keep.txt
+++ b/keep.txt
@@ -1 +1,2 @@
 base
+more
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "\x1b" not in out and "\x1b" not in err
    return code, out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / NEWLINE).write_text("def newline_name():\n    return red_name()\n")
    (root / RED).write_text("def red_name():\n    return '\x1b[2J cleared'\n")
    return root


def test_index_queries_show_names_escaped(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--path", str(project)]
    code, out = run(capsys, "symbols", "red_name", *where)
    assert code == 0 and out.startswith(f"{SHOWN_RED}:1  function  red_name")
    code, out = run(capsys, "refs", "red_name", *where)
    assert code == 0 and out == f"{SHOWN_NEWLINE}:2  call    return red_name()\n"
    code, out = run(capsys, "search", "cleared", *where)
    assert code == 0 and out == f"{SHOWN_RED}:2: return '\\x1b[2J cleared'\n"
    code, out = run(capsys, "map", *where)
    assert code == 0
    assert f"{SHOWN_RED}:\n" in out and f"{SHOWN_NEWLINE}:\n" in out
    code, out = run(capsys, "search", "newline", "name", *where, "--json")
    assert code == 0 and '"path": "a\\nb.py"' in out  # JSON escapes it its own way


@pytest.fixture
def patched(tmp_path: Path) -> tuple[Path, Path]:
    """A project and the git patch that adds the two oddly named files to it."""
    root = tmp_path / "patched"
    root.mkdir()
    (root / "keep.txt").write_text("base\n")
    patch = tmp_path / "names.patch"
    patch.write_text(GIT_PATCH)
    return root, patch


def test_apply_check_apply_history_and_undo_show_names_escaped(
    patched: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, patch = patched
    where = ["--path", str(root)]

    code, out = run(capsys, "apply", str(patch), *where, "--check")
    assert code == 0
    lines = out.splitlines()
    assert "would create \\x1b[31mred.txt" in lines and "would create a\\nb.txt" in lines
    assert any(line.startswith("\\x1b[31mred.txt  new") for line in lines)
    assert any(line.startswith("a\\nb.txt  new") for line in lines)
    assert any(line.endswith("+ red \\x1b[2J") for line in lines)  # the file's text too
    assert sorted(p.name for p in root.iterdir()) == ["keep.txt"]

    code, out = run(capsys, "apply", str(patch), *where, "--yes")
    assert code == 0
    applied = out.splitlines()[0]
    assert applied.startswith("applied change set ")
    assert applied.endswith(": \\x1b[31mred.txt, a\\nb.txt, keep.txt")
    assert (root / "a\nb.txt").read_text() == "line one\n"
    assert (root / "\x1b[31mred.txt").read_text() == "red \x1b[2J\n"

    code, out = run(capsys, "history", *where)
    assert code == 0 and len(out.splitlines()) == 1
    assert "\\x1b[31mred.txt" in out and "a\\nb.txt" in out

    code, out = run(capsys, "undo", *where)
    assert code == 0
    undid = out.splitlines()[0]
    assert undid.startswith("undid change set ") and "\\x1b[31mred.txt, " in undid
    assert sorted(p.name for p in root.iterdir()) == ["keep.txt"]


def test_the_journal_keeps_a_name_with_a_newline_whole(
    patched: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, patch = patched
    assert main(["apply", str(patch), "--path", str(root), "--yes"]) == 0
    capsys.readouterr()
    assert main(["history", "--path", str(root), "--json"]) == 0
    (entry,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert entry["files"] == ["\x1b[31mred.txt", "a\nb.txt", "keep.txt"]

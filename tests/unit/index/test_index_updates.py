"""Updating a changed file rewrites only the rows that changed, and what it leaves is exactly
what a fresh index of the same files stores; a crash in the middle of an update loses nothing;
many small updates keep full-text search fast."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from rigtui.index import CodeIndex, index_db_path
from rigtui.index.rowdiff import diff_rows
from rigtui.index.schema import MIGRATIONS, SCHEMA_VERSION

from .conftest import ProjectMaker, write_files

OpenIndex = Callable[[Path], CodeIndex]

ORIGINAL = """\
import os


def alpha(path):
    return os.path.join(path, "a")


def beta(x):
    return alpha(x) + alpha(x)


class Gamma:
    def run(self):
        return beta(1)
"""


def stored(index: CodeIndex, path: str) -> dict[str, list[tuple]]:
    """Everything stored about one file, without row ids (which are free to differ)."""
    file_id = index.store.scalar("SELECT id FROM files WHERE path=?", (path,))
    q = {
        "file": "SELECT path, language, status, size, hash, lines, non_utf8, syntax_error"
        " FROM files WHERE id=?",
        "defs": "SELECT name, qualname, kind, line, end_line, parent, signature FROM defs"
        " WHERE file_id=?",
        "refs": "SELECT name, kind, line FROM refs WHERE file_id=?",
        "chunks": "SELECT c.start_line, c.end_line, f.body, f.words FROM chunks c"
        " JOIN chunks_fts f ON f.rowid = c.id WHERE c.file_id=?",
    }
    return {name: sorted(index.store.rows(sql, (file_id,))) for name, sql in q.items()}


def fresh_copy(
    tmp_path: Path, source: Path, open_index: OpenIndex, name: str = "fresh"
) -> CodeIndex:
    """A cold index of the same files in another folder."""
    copy = tmp_path / name
    write_files(copy, {p.name: p.read_bytes() for p in source.iterdir() if p.is_file()})
    index = open_index(copy)
    index.update()
    return index


def def_ids(index: CodeIndex) -> dict[str, int]:
    return dict(index.store.rows("SELECT name, id FROM defs"))


def test_diff_rows_keeps_equal_rows_and_moves_rows_with_the_same_key() -> None:
    old = [(1, ("a", 1)), (2, ("b", 2)), (3, ("b", 3)), (4, ("c", 4))]
    diff = diff_rows(old, [("a", 1), ("b", 3), ("b", 9), ("d", 5)], key=lambda r: r[0])
    assert diff.updates == [(2, ("b", 9))]  # ("b", 3) kept its row 3
    assert diff.deletes == [4]
    assert diff.inserts == [("d", 5)]
    same = diff_rows(old, [r for _, r in old], key=lambda r: r[0])
    assert (same.updates, same.deletes, same.inserts) == ([], [], [])
    dupes = diff_rows([(1, ("x", 1)), (2, ("x", 1))], [("x", 1)], key=lambda r: r[0])
    assert (dupes.updates, dupes.deletes, dupes.inserts) == ([], [2], [])


def test_an_edit_rewrites_only_the_changed_rows(
    tmp_path: Path, make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project({"m.py": ORIGINAL})
    index = open_index(root)
    index.update()
    write_files(root, {"later.py": "def later(): pass\n"})  # rows with higher ids
    index.update()
    ids = def_ids(index)
    chunk_ids = {r[0] for r in index.store.rows("SELECT id FROM chunks")}

    # two lines inserted at the top, beta renamed, a function appended
    edited = ORIGINAL.replace("def beta", "def delta").replace("beta(1)", "delta(1)")
    (root / "m.py").write_text("# header\n\n" + edited + "\n\ndef epsilon():\n    return 5\n")
    assert index.update_paths(["m.py"]) == ["m.py"]

    after = def_ids(index)
    assert {n: after[n] for n in ("alpha", "Gamma", "run")} == {
        n: ids[n] for n in ("alpha", "Gamma", "run")
    }  # moved two lines down, updated in place
    assert "beta" not in after and {"delta", "epsilon"} <= set(after)
    assert {s.line for s in index.find_symbol("alpha")} == {6}
    assert [r.line for r in index.references("alpha")] == [11, 11]
    assert chunk_ids & {r[0] for r in index.store.rows("SELECT id FROM chunks")}
    assert index.search("beta") == [] and index.search("delta")[0].line == 10
    assert index.search("header")[0].path == "m.py"

    fresh = fresh_copy(tmp_path, root, open_index)
    assert stored(index, "m.py") == stored(fresh, "m.py")
    assert index.outline("m.py") == fresh.outline("m.py")
    assert index.store.scalar("SELECT count(*) FROM chunks_fts") == fresh.store.scalar(
        "SELECT count(*) FROM chunks_fts"
    )


def test_shrinking_and_growing_a_file_matches_a_fresh_index(
    tmp_path: Path, make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    long = "".join(f"def f{i}(x):\n    return g{i}(x)\n\n\n" for i in range(80))
    root = make_project({"m.py": long})
    index = open_index(root)
    index.update()
    contents = (ORIGINAL, long, "", long[: len(long) // 3], b"\x00binary", ORIGINAL)
    for step, content in enumerate(contents):
        write_files(root, {"m.py": content})
        assert index.update_paths(["m.py"]) == ["m.py"]
        fresh = fresh_copy(tmp_path, root, open_index, f"fresh{step}")
        assert stored(index, "m.py") == stored(fresh, "m.py"), step
    assert index.indexer.trees.reused >= 3  # the later saves were parsed incrementally
    orphans = index.store.scalar(
        "SELECT count(*) FROM chunks_fts WHERE rowid NOT IN (SELECT id FROM chunks)"
    )
    assert orphans == 0


CRASH_MID_UPDATE = """
import os, sys
from pathlib import Path
from rigtui.index import CodeIndex
from rigtui.index.store import IndexStore

def crash(self, *args):  # the process dies after defs were written, before refs and chunks
    os._exit(9)

IndexStore._sync_refs = crash
index = CodeIndex.open(Path(sys.argv[1]))
index.update_paths(["m.py"])
"""


def test_a_crash_in_the_middle_of_an_update_leaves_the_old_rows(
    tmp_path: Path, make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project({"m.py": ORIGINAL})
    with CodeIndex.open(root) as index:
        index.update()
        before = stored(index, "m.py")
    (root / "m.py").write_text(ORIGINAL.replace("alpha", "zeta"))
    child = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH_MID_UPDATE), str(root)],
        capture_output=True,
        text=True,
    )
    assert child.returncode == 9, child.stderr

    index = open_index(root)
    assert stored(index, "m.py") == before  # the half-written transaction is gone
    assert index.update().changed == 1  # and the next run finishes the update
    assert index.find_symbol("alpha") == [] and index.find_symbol("zeta")
    assert stored(index, "m.py") == stored(fresh_copy(tmp_path, root, open_index), "m.py")


def fts_segments(index: CodeIndex) -> int:
    """FTS5 keeps segment pages in `chunks_fts_data` under rowids that start with the segment id."""
    return int(
        index.store.scalar("SELECT count(DISTINCT id >> 37) FROM chunks_fts_data WHERE id > 10")
    )


def test_small_updates_do_not_pile_up_full_text_segments(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    body = "".join(f"def f{i}(x):\n    return g{i}(x)\n\n\n" for i in range(100))
    root = make_project({f"m{i}.py": body for i in range(10)})
    index = open_index(root)
    index.update()
    seen = []
    for i in range(40):  # each save writes one small segment
        (root / "m0.py").write_text(body + f"def edit_{i}(): pass\n")
        index.update_paths(["m0.py"])
        seen.append(fts_segments(index))
    assert max(seen) <= 8  # FTS5's default lets 16 gather before merging them
    assert [h.path for h in index.search("edit")] == ["m0.py"]


def test_an_index_from_schema_1_is_migrated(make_project: ProjectMaker) -> None:
    root = make_project({"a.py": "def alpha(): pass\n"})
    db = index_db_path(root)
    conn = sqlite3.connect(db)
    conn.executescript(f"{MIGRATIONS[0]}\nPRAGMA user_version=1;")
    conn.execute("INSERT INTO meta VALUES ('kept', 'yes')")
    conn.commit()
    conn.close()
    with CodeIndex.open(root) as index:
        assert index.store.scalar("PRAGMA user_version") == SCHEMA_VERSION == 4
        assert index.store.scalar("SELECT value FROM meta WHERE key='kept'") == "yes"
        crisis = "SELECT v FROM chunks_fts_config WHERE k='crisismerge'"
        assert index.store.scalar(crisis) == 8
        assert index.update().changed == 1 and index.find_symbol("alpha")

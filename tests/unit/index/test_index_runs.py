"""Index runs: what is skipped and why, files that would stop a lesser indexer, incremental
add/change/delete/rename, and refusing a bad database without touching it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from rigtui.errors import StoreError
from rigtui.index import CodeIndex, index_db_path
from rigtui.index.indexer import BATCH_BYTES, BATCH_FILES, batches
from rigtui.index.schema import SCHEMA_VERSION
from rigtui.protocol import IndexProgress

from .conftest import ProjectMaker

OpenIndex = Callable[[Path], CodeIndex]


def paths(index: CodeIndex) -> set[str]:
    return {r[0] for r in index.store.rows("SELECT path FROM files WHERE status='ok'")}


def test_ignore_rules_are_the_shared_ones(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project(
        {
            ".gitignore": "*.log\ngenerated/\n",
            ".rigtuiignore": "secret.py\n",
            "app.py": "def main(): pass\n",
            "debug.log": "def logged(): pass\n",
            "generated/out.py": "def gen(): pass\n",
            "secret.py": "def hidden(): pass\n",
            "pkg/.gitignore": "local_*.py\n",
            "pkg/local_tmp.py": "def tmp(): pass\n",
            "pkg/mod.py": "def mod(): pass\n",
            "node_modules/dep/index.js": "function dep() {}\n",
            "build/lib.py": "def built(): pass\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/site.py": "def site(): pass\n",
            ".git/config.py": "def git(): pass\n",
        }
    )
    index = open_index(root)
    index.update()
    assert paths(index) == {".gitignore", ".rigtuiignore", "app.py", "pkg/.gitignore", "pkg/mod.py"}
    assert index.find_symbol("hidden") == [] and index.find_symbol("dep") == []


def test_bad_files_are_counted_and_never_stop_a_run(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project(
        {
            "latin1.py": "# caf\xe9\ndef menu(): pass\n".encode("latin-1"),
            "broken.py": "def good(): pass\n\ndef bad(:\n    pass\n\nclass Later: pass\n",
            "image.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00binary",
            "huge.py": "x = 1\n" * 300_000,  # ~1.8 MB, over the 1 MiB default
            "ok.py": "def fine(): pass\n",
        }
    )
    loop = root / "loop"
    loop.mkdir()
    os.symlink(root, loop / "back")  # a symlink loop must end
    index = open_index(root)
    ready = index.update()
    assert ready.files == 3
    assert ready.skipped == {"binary": 1, "too_large": 1}
    assert ready.warnings == {"non_utf8": 1, "syntax_error": 1, "partial": 0}
    assert index.find_symbol("menu")[0].path == "latin1.py"
    assert {"good", "Later"} <= {s.name for s in index.outline("broken.py")}
    assert index.search("caf")[0].path == "latin1.py"  # decoded with replacement, still searchable


def test_max_file_size_comes_from_settings(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project(
        {
            ".rigtui.toml": "[index]\nmax_file_size = 100\n",
            "big.py": "# pad\n" * 40 + "def f(): pass\n",
        }
    )
    ready = open_index(root).update()
    assert ready.skipped == {"too_large": 1}


def test_changing_max_file_size_re_indexes_the_files_it_moves(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project(
        {
            ".rigtui.toml": "[index]\nmax_file_size = 100\n",
            "big.py": "# pad\n" * 40 + "def f(): pass\n",
        }
    )
    assert open_index(root).update().skipped == {"too_large": 1}
    (root / ".rigtui.toml").write_text("[index]\nmax_file_size = 100000\n")
    index = open_index(root)
    ready = index.update()
    assert ready.skipped == {}, "big.py did not change, the limit did"
    assert index.find_symbol("f")[0].path == "big.py"
    (root / ".rigtui.toml").write_text("[index]\nmax_file_size = 100\n")
    index = open_index(root)
    assert index.update().skipped == {"too_large": 1}
    assert index.find_symbol("f") == []


def test_incremental_add_change_delete_rename(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project({"a.py": "def alpha(): pass\n", "b.py": "def beta(): pass\n"})
    index = open_index(root)
    assert index.update().changed == 2
    assert index.update().changed == 0  # nothing on disk changed

    (root / "c.py").write_text("def gamma(): pass\n")
    (root / "a.py").write_text("def alpha2(): pass\n")
    (root / "b.py").rename(root / "renamed.py")
    ready = index.update()
    assert (ready.changed, ready.removed) == (3, 1)
    assert [s.path for s in index.find_symbol("beta")] == ["renamed.py"]
    assert index.find_symbol("alpha") == [] and index.find_symbol("alpha2")[0].path == "a.py"
    assert index.search("beta")[0].path == "renamed.py"
    assert index.search("alpha") == []  # old chunks are gone, not just hidden
    assert index.store.scalar("SELECT count(*) FROM chunks_fts") == 3

    (root / "c.py").unlink()
    assert index.update().removed == 1
    assert index.find_symbol("gamma") == [] and index.search("gamma") == []


def test_a_touched_file_with_the_same_content_is_not_reparsed(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    root = make_project({"a.py": "def alpha(): pass\n"})
    index = open_index(root)
    index.update()
    before = index.store.scalar("SELECT id FROM defs")
    st = (root / "a.py").stat()
    os.utime(root / "a.py", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert index.update().changed == 0
    assert index.store.scalar("SELECT id FROM defs") == before  # rows untouched
    assert index.update().changed == 0  # and the new mtime was stored


def test_pool_and_progress(make_project: ProjectMaker, open_index: OpenIndex) -> None:
    root = make_project({f"m{i}.py": f"def f{i}(): return f{i - 1}()\n" for i in range(200)})
    seen: list[IndexProgress] = []
    ready = open_index(root).update(progress=seen.append, workers=2)
    assert ready.files == 200 and ready.symbols == 200
    assert seen[0].done == 0 and seen[-1].done == seen[-1].total == 200
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_pool_batches_hold_a_bounded_amount_of_source() -> None:
    todo = [(f"f{i}", None) for i in range(60)]
    sizes = [1000] * 30 + [600_000, 600_000, 5_000_000, 2_000_000] + [10] * 26
    runs = list(batches(todo, sizes, max_file_size=3_000_000))
    assert [item for run in runs for item in run] == todo
    assert [len(run) for run in runs] == [BATCH_FILES, 7, 2, 1, BATCH_FILES, 2]
    for run in runs:
        weight = sum(sizes[int(rel[1:])] for rel, _ in run if sizes[int(rel[1:])] <= 3_000_000)
        assert len(run) <= BATCH_FILES and (weight <= BATCH_BYTES or len(run) == 1)


def test_a_pooled_run_hands_out_the_largest_files_first(tmp_path: Path) -> None:
    from rigtui.index.indexer import Indexer

    indexer = Indexer(tmp_path, store=None, max_file_size=1000)  # type: ignore[arg-type]
    todo = [("small", None), ("over_the_limit", None), ("large", None), ("middle", "h")]
    order, sizes = indexer._largest_first(todo, [10, 5000, 900, 300])
    assert [rel for rel, _ in order] == ["large", "middle", "small", "over_the_limit"]
    assert sizes == [900, 300, 10, 5000] and order[1] == ("middle", "h")


def test_a_pooled_run_over_large_files(make_project: ProjectMaker) -> None:
    big = "".join(f"def big_{i}(x):\n    return x + {i}\n" for i in range(16_000))  # ~500 KB
    files = {f"m{i}.py": f"def f{i}(): pass\n" for i in range(160)}
    files |= {f"big{k}.py": big.replace("big_", f"big{k}_") for k in range(4)}
    files["huge.py"] = big * 3
    root = make_project(files)
    with CodeIndex.open(root, max_file_size=1024 * 1024) as index:
        ready = index.update(workers=2)
        assert ready.files == 164 and ready.skipped == {"too_large": 1}
        assert ready.symbols == 160 + 4 * 16_000
        assert [s.path for s in index.find_symbol("big3_15999")] == ["big3.py"]


def test_update_paths_handles_folders(make_project: ProjectMaker, open_index: OpenIndex) -> None:
    root = make_project({"pkg/a.py": "def alpha(): pass\n"})
    index = open_index(root)
    index.update()
    (root / "pkg").rename(root / "moved")
    assert set(index.update_paths(["pkg", "moved"])) == {"pkg/a.py", "moved/a.py"}
    assert [s.path for s in index.find_symbol("alpha")] == ["moved/a.py"]


def test_database_location_and_wal(make_project: ProjectMaker, open_index: OpenIndex) -> None:
    root = make_project({"a.py": "x = 1\n"})
    index = open_index(root)
    assert index.db_path == index_db_path(root) and index.db_path.name == "index.db"
    assert index.store.scalar("PRAGMA journal_mode") == "wal"
    assert index.store.scalar("PRAGMA user_version") == SCHEMA_VERSION == 4


def test_corrupt_database_is_refused_and_kept(make_project: ProjectMaker) -> None:
    root = make_project({"a.py": "x = 1\n"})
    db = index_db_path(root)
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="corrupt") as info:
        CodeIndex.open(root)
    assert str(db) in str(info.value)
    assert db.read_bytes() == b"not a database at all" * 100


def test_newer_database_is_refused_and_kept(make_project: ProjectMaker) -> None:
    root = make_project({"a.py": "x = 1\n"})
    db = index_db_path(root)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="newer") as info:
        CodeIndex.open(root)
    assert str(db) in str(info.value) and info.value.exit_code == 2
    assert db.read_bytes() == before


def test_a_pathological_file_is_indexed_in_part_with_a_note(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    """A megabyte of `x=1;` on one line: 250,000 definitions in Python. It is parsed in
    pieces and stops at the cap, keeping the first definitions; the run says so."""
    from rigtui.commands._index_support import summary_text
    from rigtui.index.extract import MAX_DEFS

    root = make_project({"dense.py": "x=1;" * 250_000, "ok.py": "def fine(): pass\n"})
    index = open_index(root)
    ready = index.update()
    assert ready.warnings["partial"] == 1 and ready.partial == ["dense.py"]
    assert index.store.scalar("SELECT count(*) FROM defs") == MAX_DEFS + 1
    assert index.find_symbol("fine")[0].path == "ok.py"
    assert index.find_symbol("x")[0].line == 1
    assert "dense.py: indexed in part (one file adds at most 20,000 definitions" in summary_text(
        ready
    )
    assert "partial" not in index.update().warnings or index.update().changed == 0

"""The repo map's graph as it is built for large projects: flat arrays read from a snapshot of
the database, a focused ranking pushed out from the focus that agrees with PageRank computed to
convergence, and the unfocused ranking kept with the graph."""

from __future__ import annotations

import marshal
import random
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from rigtui.index import CodeIndex, repomap

from .conftest import ProjectMaker
from .test_index_retrieval import GRAPH as SMALL

OpenIndex = Callable[[Path], CodeIndex]


def random_project(seed: int, files: int = 40) -> dict[str, str]:
    """Modules that import and call each other's functions at random."""
    rng = random.Random(seed)
    out = {}
    for k in range(files):
        lines = []
        for other in rng.sample(range(files), rng.randint(0, 5)):
            if other != k:
                lines.append(f"from pkg.m{other} import f{other}_0, f{other}_1")
        for j in range(3):
            body = [f"    f{o}_{rng.randint(0, 1)}()" for o in rng.sample(range(files), 2)]
            lines += [f"def f{k}_{j}():", *body, ""]
        out[f"pkg/m{k}.py"] = "\n".join(lines) + "\n"
    return out


def converged_rank(graph: repomap.Graph, personal: dict[int, float]) -> list[float]:
    """PageRank personalised to `personal` by power iteration until it stops moving: what the
    rank a file does not pass on (leak, damping) goes back to the personal files."""
    n = len(graph.paths)
    total = sum(personal.values())
    teleport = {i: w / total for i, w in personal.items()}
    rank = [1.0 / n] * n
    for _ in range(1000):
        nxt = [0.0] * n
        kept = 0.0
        for src in range(n):
            kept += rank[src] * graph.leak[src]
            for dst, w in graph.out_edges(src):
                nxt[dst] += repomap.DAMPING * rank[src] * w
        spread = (1 - repomap.DAMPING) + repomap.DAMPING * kept
        for i, t in teleport.items():
            nxt[i] += spread * t
        delta = sum(abs(a - b) for a, b in zip(nxt, rank, strict=True))
        rank = nxt
        if delta < 1e-13:
            break
    return rank


def test_module_names_are_the_stem_or_the_folder_of_an_index_file() -> None:
    paths = [
        "pkg/util.py", "pkg/__init__.py", "__init__.py", "a/b/index.js", "lib.rs", "src/mod.rs",
        "x/.bashrc", "x/a.", "a.tar.gz", "Makefile", "d/lib/lib.go", "a/b/c.d/e.f.g",
    ]  # fmt: skip
    for path in paths:
        p = PurePosixPath(path)
        expected = p.parent.name if p.stem in ("__init__", "index", "mod", "lib") else p.stem
        assert repomap._module_name(path) == expected, path


def test_the_focused_ranking_agrees_with_pagerank_run_to_convergence(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    index = open_index(make_project(random_project(seed=3)))
    index.update()
    graph = index.graph()
    assert len(graph.paths) == 40 and len(graph.edge_dst) > 40
    for focus in ({0: 1.0}, {7: 1.0, 21: 1.0}, {5: 2.0, 30: 1.0}):
        pushed = repomap.personal_rank(graph, focus)
        exact = converged_rank(graph, focus)
        error = sum(abs(pushed.get(i, 0.0) - exact[i]) for i in range(len(exact)))
        assert error < 1e-3
        top = sorted(range(len(exact)), key=lambda i: -exact[i])[:5]
        assert sorted(pushed, key=lambda i: -pushed[i])[:5] == top


def test_the_unfocused_rank_is_pagerank_run_to_convergence(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    index = open_index(make_project(random_project(seed=5)))
    index.update()
    graph = index.graph()
    exact = converged_rank(graph, dict.fromkeys(range(len(graph.paths)), 1.0))
    assert sum(abs(a - b) for a, b in zip(graph.rank, exact, strict=True)) < 1e-3


def test_a_focus_that_uses_nothing_is_followed_by_the_unfocused_map(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    index = open_index(make_project({**SMALL, "notes/lonely.py": "def lonely():\n    pass\n"}))
    index.update()
    focused = index.repo_map(500, focus_files=["notes/lonely.py"])
    assert focused.startswith("notes/lonely.py:\n    1│ def lonely():\n")
    rest = focused.split("\n", 2)[2]
    unfocused = index.repo_map(500)
    assert (
        rest.splitlines()[:4]
        == [line for line in unfocused.splitlines() if "lonely" not in line][:4]
    )
    assert all(name in rest for name in ("connect", "draw", "summarize"))


def test_the_unfocused_ranking_past_what_is_kept_is_computed_in_full(
    make_project: ProjectMaker, open_index: OpenIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(random_project(seed=7))
    first = open_index(root)
    first.update()
    expected = first.repo_map(4096)
    assert first.graph().complete and len(first.graph().top_score) > 20
    first.store.conn.execute("DELETE FROM derived")
    monkeypatch.setattr(repomap, "KEPT_RANKING", 5)
    second = open_index(root)
    graph = second.graph()
    assert not graph.complete and len(graph.top_score) == 5
    assert second.repo_map(4096) == expected
    assert second.repo_map(8) == first.repo_map(8)


@pytest.mark.parametrize(
    "damage",
    [
        lambda stored: stored[:-4],  # an array cut short
        lambda stored: marshal.dumps(([], [], True, {})),  # the first layout: one marshal
        lambda stored: b"",
    ],
)
def test_a_stored_graph_of_another_layout_is_built_again(
    make_project: ProjectMaker,
    open_index: OpenIndex,
    monkeypatch: pytest.MonkeyPatch,
    damage: Callable[[bytes], bytes],
) -> None:
    root = make_project(SMALL)
    first = open_index(root)
    first.update()
    expected = first.repo_map(300, focus_files=["app/main.py"])
    generation = first.store.generation()
    stored = first.store.derived(repomap.GRAPH_KEY, generation) or b""
    first.store.save_derived(repomap.GRAPH_KEY, generation, damage(stored))
    built: list[int] = []
    real_build = repomap.build_graph
    monkeypatch.setattr(repomap, "build_graph", lambda store: built.append(1) or real_build(store))
    second = open_index(root)
    assert second.repo_map(300, focus_files=["app/main.py"]) == expected
    assert built == [1]


def test_the_graph_is_built_while_another_thread_holds_the_store(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    """The build reads its own snapshot: the live index can write meanwhile."""
    index = open_index(make_project(SMALL))
    index.update()
    done: list[repomap.Graph] = []
    with index.store.lock:
        worker = threading.Thread(target=lambda: done.append(repomap.build_graph(index.store)))
        worker.start()
        worker.join(timeout=60)
    assert done and "app/db.py" in done[0].paths

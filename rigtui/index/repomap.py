"""A map of the repository within a token budget: the files and symbols that matter most,
ranked by a PageRank over "file A uses a name file B defines", personalised by the focus.

The graph is built from the database once per index generation and kept in memory; a query
then costs a short power iteration and a render."""

from __future__ import annotations

import marshal
import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from rigtui.display import safe_line, safe_name
from rigtui.index.lookup import split_qualified
from rigtui.index.store import IndexStore

DAMPING = 0.85
ITERATIONS = 25
TOLERANCE = 1e-4  # L1 change per step; the order of the top of the ranking is stable by then
MAX_DEFINERS = 10  # a name defined in more files than this (`__init__`, `get`) says little
NO_EVIDENCE = 0.02  # a use of a name whose file is neither imported nor a neighbour (builtins)
FOCUS_SYMBOL_BOOST = 10.0
MIN_OUT_WEIGHT = 1.0
FOCUS_USE_BONUS = 1.0  # added per use from a focus file: what the focus uses comes first
CHARS_PER_TOKEN = 4

# Languages where files in one folder see each other's names without an import.
FOLDER_SCOPED = frozenset({"go", "java", "c", "cpp", "rust", "ruby"})
# Reference kinds written as a bare name, which needs the name itself imported to be ours.
BARE_KINDS = frozenset({"call", "type", "class"})

DefItem = tuple[str, str, int, str]  # name, qualname, line, signature


@dataclass
class Graph:
    """Files are numbered 0..n-1. `uses` holds (source, target, name, share of the source's
    out-weight): the source uses `name`, which the target defines."""

    generation: int
    paths: list[str]
    defs: list[list[DefItem]]
    out_edges: list[tuple[list[int], list[float]]]
    uses: list[tuple[int, int, str, float]]
    definers: dict[str, list[int]]
    leak: list[float]  # share of a file's rank that goes back to the teleport vector
    _default_rank: list[float] | None = field(default=None, repr=False)

    @property
    def index_of(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.paths)}


def _module_name(path: str) -> str:
    """The name an import uses for a file: `pkg/util.py` -> util, `pkg/__init__.py` -> pkg."""
    p = PurePosixPath(path)
    return p.parent.name if p.stem in ("__init__", "index", "mod", "lib") else p.stem


# A new layout of Graph needs a new key; marshal's format belongs to one Python version.
GRAPH_KEY = f"repomap-graph-1-py{sys.version_info[0]}.{sys.version_info[1]}"


def load_graph(store: IndexStore) -> Graph:
    """The graph of the index's current generation: the stored one when it is current (a
    few marshalled arrays load in a fraction of a build), else built and stored."""
    generation = store.generation()
    data = store.derived(GRAPH_KEY, generation)
    if data is not None:
        try:
            fields = marshal.loads(data)
            return Graph(generation, *fields)
        except (ValueError, EOFError, TypeError):  # another Python's marshal: build it again
            pass
    graph = build_graph(store)
    fields = (graph.paths, graph.defs, graph.out_edges, graph.uses, graph.definers, graph.leak)
    store.save_derived(GRAPH_KEY, graph.generation, marshal.dumps(fields))
    return graph


def build_graph(store: IndexStore) -> Graph:
    generation = store.generation()
    rows = store.rows("SELECT id, path, language FROM files WHERE status='ok' ORDER BY path")
    node = {file_id: i for i, (file_id, _, _) in enumerate(rows)}
    paths = [path for _, path, _ in rows]
    defs: list[list[DefItem]] = [[] for _ in paths]
    definers: dict[str, set[int]] = defaultdict(set)  # every definition of a name
    free_definers: dict[str, set[int]] = defaultdict(set)  # those a bare call can reach
    for file_id, name, qualname, kind, line, signature in store.rows(
        "SELECT file_id, name, qualname, kind, line, signature FROM defs ORDER BY file_id, line, name"
    ):
        i = node[file_id]
        definers[name].add(i)
        if kind != "method":
            free_definers[name].add(i)
        defs[i].append((name, qualname, line, signature))
    refs = store.rows("SELECT file_id, name, kind, count(*) FROM refs GROUP BY file_id, name, kind")
    imports: dict[int, set[str]] = defaultdict(set)
    for file_id, name, kind, _ in refs:
        if kind == "import":
            imports[node[file_id]].add(name)
    modules: dict[str, set[int]] = defaultdict(set)
    for i, path in enumerate(paths):
        modules[_module_name(path)].add(i)
    folders = [
        path.rpartition("/")[0] if language in FOLDER_SCOPED else None for _, path, language in rows
    ]
    context = (imports, [_module_name(p) for p in paths], folders)
    raw: list[tuple[int, int, str, float]] = []
    for file_id, name, kind, count in refs:
        src = node[file_id]
        if kind == "import":  # a file-level edge; the imported names count where used
            if name in modules:
                _add_uses(raw, src, modules[name], "", 2.0, context, True)
            continue
        # `f()` cannot reach a method; `x.f()` can reach anything named f
        targets = (free_definers if kind == "call" else definers).get(name)
        if targets:
            weight = math.sqrt(count) * (0.1 if name.startswith("_") else 1.0)
            _add_uses(raw, src, targets, name, weight, context, kind not in BARE_KINDS)
    return _finish(generation, paths, defs, raw, {k: sorted(v) for k, v in definers.items()})


def _add_uses(
    uses: list,
    src: int,
    targets: set[int],
    name: str,
    weight: float,
    context: tuple,
    qualified: bool,
) -> None:
    """Record that `src` uses `name` from each of `targets`. A use counts in full only with
    evidence: the name imported, or (for `x.name`) the target's module imported, or the
    target in the same package folder in languages where that makes names visible."""
    if len(targets) > MAX_DEFINERS:
        return
    imports, module_of, folder_of = context
    seen = imports.get(src, ())
    share = weight / len(targets)
    for dst in targets:
        if dst == src:
            continue
        evident = (
            name in seen
            or (qualified and module_of[dst] in seen)
            or (folder_of[src] is not None and folder_of[dst] == folder_of[src])
        )
        uses.append((src, dst, name, share if evident else share * NO_EVIDENCE))


def _finish(generation: int, paths: list[str], defs: list, raw: list, definers: dict) -> Graph:
    pair: dict[tuple[int, int], float] = defaultdict(float)
    out_weight = [0.0] * len(paths)
    for src, dst, _name, weight in raw:
        pair[(src, dst)] += weight
        out_weight[src] += weight
    # A file passes on its rank in proportion to its uses, but weak uses stay weak: below
    # MIN_OUT_WEIGHT the rest of its rank goes back to the teleport vector.
    norm = [max(w, MIN_OUT_WEIGHT) for w in out_weight]
    out_edges: list[tuple[list[int], list[float]]] = [([], []) for _ in paths]
    for (src, dst), weight in pair.items():
        out_edges[src][0].append(dst)
        out_edges[src][1].append(weight / norm[src])
    uses = [(s, d, n, w / norm[s]) for s, d, n, w in raw if n]
    leak = [1.0 - min(1.0, w / m) for w, m in zip(out_weight, norm, strict=True)]
    return Graph(generation, paths, defs, out_edges, uses, definers, leak)


def pagerank(graph: Graph, personal: dict[int, float]) -> list[float]:
    """Personalised PageRank by power iteration; files with no outgoing uses give their rank
    back through the personalisation vector."""
    n = len(graph.paths)
    if n == 0:
        return []
    total = sum(personal.values())
    teleport = {i: w / total for i, w in personal.items()} if total else None
    rank = [1.0 / n] * n
    for _ in range(ITERATIONS):
        nxt = [0.0] * n
        dangling = 0.0
        for src, (dsts, weights) in enumerate(graph.out_edges):
            r = rank[src]
            dangling += r * graph.leak[src]
            if not dsts:
                continue
            r *= DAMPING
            for dst, w in zip(dsts, weights, strict=True):
                nxt[dst] += r * w
        spread = (1 - DAMPING) + DAMPING * dangling
        if teleport is None:
            base = spread / n
            nxt = [v + base for v in nxt]
        else:
            for i, t in teleport.items():
                nxt[i] += spread * t
        delta = sum(abs(a - b) for a, b in zip(nxt, rank, strict=True))
        rank = nxt
        if delta < TOLERANCE:
            break
    return rank


def _rank(graph: Graph, personal: dict[int, float]) -> list[float]:
    if personal:
        return pagerank(graph, personal)
    if graph._default_rank is None:
        graph._default_rank = pagerank(graph, {})
    return graph._default_rank


def rank_symbols(
    graph: Graph, focus_files: set[int], focus_names: set[str]
) -> list[tuple[float, int, str]]:
    """(score, file, name) for definitions, best first: a definition earns the rank its users
    pass along to it."""
    personal: dict[int, float] = dict.fromkeys(focus_files, 1.0)
    for name in focus_names:
        for i in graph.definers.get(name, ()):
            personal[i] = personal.get(i, 0.0) + 1.0
    rank = _rank(graph, personal)
    scores: dict[tuple[int, str], float] = defaultdict(float)
    for src, dst, name, share in graph.uses:
        scores[(dst, name)] += rank[src] * share
        if src in focus_files:
            scores[(dst, name)] += share * FOCUS_USE_BONUS
    for name in focus_names:
        for i in graph.definers.get(name, ()):
            scores[(i, name)] = (scores.get((i, name), 0.0) + rank[i]) * FOCUS_SYMBOL_BOOST
    # files no one references still appear, after the rest, by their own rank
    for i, items in enumerate(graph.defs):
        for name, *_ in items[:2]:
            scores.setdefault((i, name), rank[i] * 1e-3)
    ranked = [(score, key[0], key[1]) for key, score in scores.items()]
    ranked.sort(key=lambda t: -t[0])
    return ranked


def render(graph: Graph, chosen: list[tuple[float, int, str]]) -> str:
    """Files in rank order, each with its chosen definitions' signatures in source order."""
    by_file: dict[int, set[str]] = defaultdict(set)
    order: list[int] = []
    for _, file_id, name in chosen:
        if file_id not in by_file:
            order.append(file_id)
        by_file[file_id].add(name)
    out: list[str] = []
    for file_id in order:
        out.append(f"{safe_name(graph.paths[file_id])}:")
        names = by_file[file_id]
        for name, qualname, line, signature in graph.defs[file_id]:
            if name in names:
                indent = "    " * qualname.count(".")
                out.append(f"{line:>5}│ {indent}{safe_line(signature)}")
    return "\n".join(out) + ("\n" if out else "")


def fit(graph: Graph, ranked: list[tuple[float, int, str]], token_budget: int) -> str:
    """The longest prefix of the ranking whose rendering fits the budget (binary search)."""
    limit = token_budget * CHARS_PER_TOKEN
    lo, hi, best = 0, min(len(ranked), limit // 8 + 1), ""
    while lo <= hi:
        mid = (lo + hi) // 2
        text = render(graph, ranked[:mid])
        if len(text) <= limit:
            best, lo = text, mid + 1
        else:
            hi = mid - 1
    return best


def repo_map(
    graph: Graph,
    token_budget: int,
    focus_files: list[str] | tuple[str, ...] = (),
    focus_symbols: list[str] | tuple[str, ...] = (),
) -> str:
    ids = graph.index_of
    focus_ids = {ids[p] for p in focus_files if p in ids}
    names = {split_qualified(s)[0] for s in focus_symbols}
    return fit(graph, rank_symbols(graph, focus_ids, names), token_budget)

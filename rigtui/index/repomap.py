"""A map of the repository within a token budget: the files and symbols that matter most,
ranked by a PageRank over "file A uses a name file B defines", personalised by the focus.

The graph is built once per index generation from one snapshot of the database, reading one
file's references at a time, into flat arrays (no signatures: a map reads the definitions of
the files it shows), and is stored in the database with that generation. The unfocused
ranking is computed with it (power iteration) and stored too, so an unfocused map costs a
render. A focused map ranks by pushing rank out from the focus (personalised PageRank to a
small residual per file: work in proportion to what the focus reaches, not to the project),
then fills the rest of its budget from the unfocused ranking."""

from __future__ import annotations

import heapq
import marshal
import math
import sqlite3
import sys
from array import array
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, groupby
from operator import itemgetter, mul

from rigtui.display import safe_line, safe_name
from rigtui.index.lookup import split_qualified
from rigtui.index.store import IndexStore

DAMPING = 0.85
ITERATIONS = 25
TOLERANCE = 1e-4  # L1 change per step; the order of the top of the ranking is stable by then
PUSH_RESIDUAL = 1e-6  # a focused ranking stops pushing from a file holding less (of 1 in all)
MAX_DEFINERS = 10  # a name defined in more files than this (`__init__`, `get`) says little
NO_EVIDENCE = 0.02  # a use of a name whose file is neither imported nor a neighbour (builtins)
FOCUS_SYMBOL_BOOST = 10.0
MIN_OUT_WEIGHT = 1.0
FOCUS_USE_BONUS = 1.0  # added per use from a focus file: what the focus uses comes first
LEAD_SCORE = 1e-3  # a file's first two definitions score this share of its rank
CHARS_PER_TOKEN = 4
KEPT_RANKING = 8192  # unfocused entries stored with the graph (a map of 16k tokens needs fewer)
SCORE_PARTS = 4  # the unfocused ranking is summed a quarter of the names at a time

# Languages where files in one folder see each other's names without an import.
FOLDER_SCOPED = frozenset({"go", "java", "c", "cpp", "rust", "ruby"})
# Reference kinds written as a bare name, which needs the name itself imported to be ours.
BARE_KINDS = frozenset({"call", "type", "class"})

Ranked = list[tuple[float, int, str]]  # (score, file, name), best first
DefItem = tuple[str, str, int, str]  # name, qualname, line, signature

# name -> its definers: one file as an int (node * 2, + 1 when a bare call reaches it), else
# (every definer, the definers a bare call reaches), None for more than MAX_DEFINERS
Definers = dict[str, "int | tuple[tuple[int, ...] | None, tuple[int, ...] | None]"]

_ARRAYS = {  # the graph's array fields and their type codes
    "file_ids": "q",
    "edge_start": "q", "edge_count": "i", "edge_dst": "i", "edge_weight": "f", "leak": "d",
    "use_start": "q", "use_count": "i", "use_dst": "i", "use_name": "i", "use_share": "f",
    "lead": "i", "rank": "d", "top_score": "d", "top_node": "i", "top_name": "i",
}  # fmt: skip


@dataclass
class Graph:
    """Files are numbered 0..n-1 in path order. File i passes rank along its out-edges,
    edge_dst/edge_weight[edge_start[i] : edge_start[i] + edge_count[i]] (weights are shares of
    its out-weight; `leak[i]` is what goes back to the teleport vector). Its uses, likewise in
    the use arrays, say that i uses `names[use_name[k]]`, which file use_dst[k] defines, with
    share use_share[k]. `lead` holds each file's first two definitions' names (-1: none),
    `rank` the unfocused PageRank, and top_* the unfocused ranking's first KEPT_RANKING
    entries (`complete` when that is all of it)."""

    generation: int
    paths: list[str]
    names: list[str]
    complete: bool
    file_ids: array
    edge_start: array
    edge_count: array
    edge_dst: array
    edge_weight: array
    leak: array
    use_start: array
    use_count: array
    use_dst: array
    use_name: array
    use_share: array
    lead: array
    rank: array
    top_score: array
    top_node: array
    top_name: array
    _index_of: dict[str, int] | None = field(default=None, repr=False)
    _node_of: dict[int, int] | None = field(default=None, repr=False)
    _name_ids: dict[str, int] | None = field(default=None, repr=False)
    _full: Ranked | None = field(default=None, repr=False)

    @property
    def index_of(self) -> dict[str, int]:
        if self._index_of is None:
            self._index_of = {p: i for i, p in enumerate(self.paths)}
        return self._index_of

    @property
    def name_ids(self) -> dict[str, int]:
        if self._name_ids is None:
            self._name_ids = {name: k for k, name in enumerate(self.names)}
        return self._name_ids

    @property
    def node_of(self) -> dict[int, int]:
        """files.id -> file number."""
        if self._node_of is None:
            self._node_of = {f: i for i, f in enumerate(self.file_ids)}
        return self._node_of

    def out_edges(self, i: int) -> Iterable[tuple[int, float]]:
        a = self.edge_start[i]
        b = a + self.edge_count[i]
        return zip(self.edge_dst[a:b], self.edge_weight[a:b], strict=True)

    def uses_of(self, i: int) -> Iterable[tuple[int, int, float]]:
        a = self.use_start[i]
        b = a + self.use_count[i]
        return zip(self.use_dst[a:b], self.use_name[a:b], self.use_share[a:b], strict=True)

    def top(self) -> Ranked:
        names = self.names
        return [
            (s, i, names[k])
            for s, i, k in zip(self.top_score, self.top_node, self.top_name, strict=True)
        ]


def _module_name(path: str) -> str:
    """The name an import uses for a file: `pkg/util.py` -> util, `pkg/__init__.py` -> pkg
    (PurePosixPath's stem and parent's name, without building a path object per file)."""
    folder, _, name = path.rpartition("/")
    dot = name.rfind(".")
    stem = name[:dot] if 0 < dot < len(name) - 1 else name
    return folder.rpartition("/")[2] if stem in ("__init__", "index", "mod", "lib") else stem


# A new layout of Graph needs a new key; marshal's format belongs to one Python version.
GRAPH_KEY = f"repomap-graph-2-py{sys.version_info[0]}.{sys.version_info[1]}"


def load_graph(store: IndexStore) -> Graph:
    """The graph of the index's current generation: the stored one when it is current (a
    few arrays load in a fraction of a build), else built and stored."""
    generation = store.generation()
    with store.derived_blob(GRAPH_KEY, generation) as blob:
        if blob is not None:
            try:
                return _unpack(generation, blob)
            except (ValueError, EOFError, TypeError, KeyError):  # another layout: build anew
                pass
    graph = build_graph(store)
    store.save_derived(GRAPH_KEY, graph.generation, *_pack(graph))
    return graph


def _pack(graph: Graph) -> list[bytes | memoryview]:
    """The stored graph in parts: the length of a marshalled header (paths, names, the
    arrays' sizes), the header, and each array's bytes."""
    arrays = [getattr(graph, name) for name in _ARRAYS]
    sizes = [len(a) * a.itemsize for a in arrays]
    header = marshal.dumps((graph.paths, graph.names, graph.complete, sizes))
    return [len(header).to_bytes(8, "little"), header, *(memoryview(a).cast("B") for a in arrays)]


def _unpack(generation: int, blob: sqlite3.Blob) -> Graph:
    """A stored graph, read a part at a time."""
    length = int.from_bytes(blob.read(8), "little")
    if not 0 < length <= len(blob) - 8:
        raise ValueError("a stored graph of another layout")
    paths, names, complete, sizes = marshal.loads(blob.read(length))
    if 8 + length + sum(sizes) != len(blob):
        raise ValueError("a stored graph of another layout")
    a = {}
    for (name, code), size in zip(_ARRAYS.items(), sizes, strict=True):
        a[name] = array(code)
        a[name].frombytes(blob.read(size))
    n = len(paths)
    lengths = [
        (n, ("file_ids", "edge_start", "edge_count", "leak", "use_start", "use_count", "rank")),
        (2 * n, ("lead",)),
        (len(a["edge_dst"]), ("edge_weight",)),
        (len(a["use_dst"]), ("use_name", "use_share")),
        (len(a["top_score"]), ("top_node", "top_name")),
    ]
    if any(len(a[name]) != size for size, group in lengths for name in group):
        raise ValueError("a stored graph of another layout")
    return Graph(generation, paths, names, complete, **a)


# --- building ---------------------------------------------------------------------------------


class _Builder:
    """The arrays of a graph, filled one source file at a time."""

    def __init__(self, n: int) -> None:
        self.names: list[str] = []
        self.name_ids: dict[str, int] = {}
        self.edge_start = array("q", [0]) * n
        self.edge_count = array("i", [0]) * n
        self.edge_dst, self.edge_weight = array("i"), array("f")
        self.use_start = array("q", [0]) * n
        self.use_count = array("i", [0]) * n
        self.use_dst, self.use_name, self.use_share = array("i"), array("i"), array("f")
        self.leak = array("d", [1.0]) * n  # a file that uses nothing passes on nothing

    def name_id(self, name: str) -> int:
        found = self.name_ids.get(name)
        if found is None:
            found = self.name_ids[name] = len(self.names)
            self.names.append(name)
        return found

    def add_source(self, src: int, uses: list[tuple[int, str, float]]) -> None:
        """`uses` (target, name, weight) of one file; "" names a file-level use (an import)."""
        pair: dict[int, float] = defaultdict(float)
        out_weight = 0.0
        for dst, _name, weight in uses:
            pair[dst] += weight
            out_weight += weight
        # A file passes on its rank in proportion to its uses, but weak uses stay weak: below
        # MIN_OUT_WEIGHT the rest of its rank goes back to the teleport vector.
        norm = max(out_weight, MIN_OUT_WEIGHT)
        self.edge_start[src] = len(self.edge_dst)
        self.edge_count[src] = len(pair)
        self.edge_dst.extend(pair)
        self.edge_weight.extend(w / norm for w in pair.values())
        self.leak[src] = 1.0 - min(1.0, out_weight / norm)
        named = [(dst, name, weight) for dst, name, weight in uses if name]
        self.use_start[src] = len(self.use_dst)
        self.use_count[src] = len(named)
        self.use_dst.extend(dst for dst, _, _ in named)
        self.use_name.extend(self.name_id(name) for _, name, _ in named)
        self.use_share.extend(weight / norm for _, _, weight in named)


def build_graph(store: IndexStore) -> Graph:
    """The graph of the rows as they are, read from a snapshot (a writer may go on meanwhile):
    definitions once, then references one file at a time, grouped by name and kind."""
    with store.snapshot() as conn:
        return _build(conn)


def _build(conn: sqlite3.Connection) -> Graph:
    generation = int(conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0])
    files = conn.execute(
        "SELECT id, path, language FROM files WHERE status='ok' ORDER BY path"
    ).fetchall()
    n = len(files)
    node = {file_id: i for i, (file_id, _, _) in enumerate(files)}
    file_ids = array("q", node)
    paths = [path for _, path, _ in files]
    b = _Builder(n)
    definers, lead = _definers(conn, node)
    module_of = [_module_name(p) for p in paths]
    modules: dict[str, list[int]] = defaultdict(list)
    for i, module in enumerate(module_of):
        modules[module].append(i)
    folders = [
        path.rpartition("/")[0] if language in FOLDER_SCOPED else None
        for _, path, language in files
    ]
    del files
    refs = conn.execute(
        "SELECT file_id, name, kind, count(*) FROM refs GROUP BY file_id, name, kind"
        " ORDER BY file_id"
    )
    for file_id, group in groupby(refs, key=itemgetter(0)):
        src = node.get(file_id)
        if src is None:
            continue
        rows = list(group)
        seen = {name for _, name, kind, _ in rows if kind == "import"}
        context = (seen, module_of, folders)
        uses: list[tuple[int, str, float]] = []
        for _, name, kind, count in rows:
            if kind == "import":  # a file-level edge; the imported names count where used
                if name in modules:
                    _add_uses(uses, src, modules[name], "", 2.0, context, True)
                continue
            # `f()` cannot reach a method; `x.f()` can reach anything named f
            targets = _targets(definers.get(name), kind == "call")
            if targets:
                weight = math.sqrt(count) * (0.1 if name.startswith("_") else 1.0)
                _add_uses(uses, src, targets, name, weight, context, kind not in BARE_KINDS)
        if uses:
            b.add_source(src, uses)
    del definers, modules, module_of, folders, node
    leads = array("i", (b.name_id(name) if name is not None else -1 for name in lead))
    del lead, b.name_ids
    graph = Graph(
        generation, paths, b.names, True, file_ids, b.edge_start, b.edge_count,
        b.edge_dst, b.edge_weight, b.leak, b.use_start, b.use_count, b.use_dst, b.use_name,
        b.use_share, leads, array("d"), array("d"), array("i"), array("i"),
    )  # fmt: skip
    graph.rank = array("d", pagerank(graph))
    _keep_top(graph)
    return graph


def _definers(conn: sqlite3.Connection, node: dict[int, int]) -> tuple[Definers, list[str | None]]:
    """Every name's definers (compactly: most names have one), and each file's first two
    definitions by line (then name)."""
    definers: Definers = {}
    rows = conn.execute(
        "SELECT name, file_id, max(kind != 'method') FROM defs"
        " WHERE name IN (SELECT name FROM refs) GROUP BY name, file_id"
    )
    for name, group in groupby(rows, key=itemgetter(0)):
        found = [(node[file_id], free) for _, file_id, free in group if file_id in node]
        if len(found) == 1:
            definers[name] = 2 * found[0][0] + found[0][1]
        elif found:
            free = tuple(i for i, f in found if f)
            definers[name] = (
                tuple(i for i, _ in found) if len(found) <= MAX_DEFINERS else None,
                free if len(free) <= MAX_DEFINERS else None,
            )
    lead: list[str | None] = [None] * (2 * len(node))
    for file_id, name, k in conn.execute(
        "SELECT file_id, name, k FROM (SELECT file_id, name, row_number() OVER"
        " (PARTITION BY file_id ORDER BY line, name) AS k FROM defs) WHERE k <= 2"
    ):
        if file_id in node:
            lead[2 * node[file_id] + k - 1] = name
    return definers, lead


def _targets(entry: object, bare_call: bool) -> tuple[int, ...] | None:
    if entry is None:
        return None
    if isinstance(entry, int):
        return (entry >> 1,) if (entry & 1 or not bare_call) else None
    every, free = entry  # type: ignore[misc]
    return free if bare_call else every


def _add_uses(
    uses: list,
    src: int,
    targets: Iterable[int],
    name: str,
    weight: float,
    context: tuple,
    qualified: bool,
) -> None:
    """Record that `src` uses `name` from each of `targets`. A use counts in full only with
    evidence: the name imported, or (for `x.name`) the target's module imported, or the
    target in the same package folder in languages where that makes names visible."""
    targets = tuple(targets)
    if len(targets) > MAX_DEFINERS:
        return
    seen, module_of, folder_of = context
    share = weight / len(targets)
    for dst in targets:
        if dst == src:
            continue
        evident = (
            name in seen
            or (qualified and module_of[dst] in seen)
            or (folder_of[src] is not None and folder_of[dst] == folder_of[src])
        )
        uses.append((dst, name, share if evident else share * NO_EVIDENCE))


# --- ranking ----------------------------------------------------------------------------------


def pagerank(graph: Graph) -> list[float]:
    """Unfocused PageRank by power iteration; the rank a file does not pass on (its leak, and
    the damping) is spread over every file. One flat pass over the edges per step."""
    n = len(graph.paths)
    if n == 0:
        return []
    # each edge's source: edges are stored by source, in the order the sources were built
    order = sorted(range(n), key=graph.edge_start.__getitem__)
    source = array("i")
    for i in order:
        source.extend(array("i", [i]) * graph.edge_count[i])
    dst, weight = graph.edge_dst, graph.edge_weight
    leak = graph.leak.tolist()
    rank = [1.0 / n] * n
    for _ in range(ITERATIONS):
        nxt = [0.0] * n
        passed = [r * DAMPING for r in rank]
        for s, d, w in zip(source, dst, weight, strict=True):
            nxt[d] += passed[s] * w
        base = ((1 - DAMPING) + DAMPING * sum(map(mul, rank, leak))) / n
        nxt = [v + base for v in nxt]
        delta = sum(abs(a - b) for a, b in zip(nxt, rank, strict=True))
        rank = nxt
        if delta < TOLERANCE:
            break
    return rank


def personal_rank(graph: Graph, personal: dict[int, float]) -> dict[int, float]:
    """PageRank personalised to `personal` (file -> weight; the rank a file does not pass on
    goes back to these files), by pushing: a file's residual is added to its rank and passed
    along its out-edges, until no file holds more than PUSH_RESIDUAL. Files the focus does not
    reach are left out (rank 0)."""
    n = len(graph.paths)
    total = sum(personal.values())
    residual = [0.0] * n
    queued = bytearray(n)
    queue = deque(personal)
    for i, w in personal.items():
        residual[i] = w / total
        queued[i] = 1
    rank: dict[int, float] = {}
    start, count, dst, weight = (
        graph.edge_start,
        graph.edge_count,
        graph.edge_dst,
        graph.edge_weight,
    )
    while queue:
        u = queue.popleft()
        queued[u] = 0
        r = residual[u]
        residual[u] = 0.0
        rank[u] = rank.get(u, 0.0) + r
        r *= DAMPING
        a = start[u]
        b = a + count[u]
        for v, w in zip(dst[a:b], weight[a:b], strict=True):
            x = residual[v] + r * w
            residual[v] = x
            if x > PUSH_RESIDUAL and not queued[v]:
                queued[v] = 1
                queue.append(v)
    mass = sum(rank.values()) + sum(residual)
    return {i: v / mass for i, v in rank.items()}


def _score_uses(graph: Graph, rank: Iterable[tuple[int, float]], bonus: set[int]) -> dict:
    """(file, name id) -> what the files with `rank` pass to that definition by using it."""
    n = len(graph.paths)
    scores: dict[int, float] = {}
    get = scores.get
    for src, r in rank:
        if src in bonus:
            r += FOCUS_USE_BONUS
        for dst, name, share in graph.uses_of(src):
            key = name * n + dst
            scores[key] = get(key, 0.0) + r * share
    return scores


def _score_part(graph: Graph, rank: list[float], part: int) -> dict:
    """`_score_uses` for every file's rank, of the names whose id is `part` modulo
    SCORE_PARTS only."""
    n = len(graph.paths)
    scores: dict[int, float] = {}
    get = scores.get
    for src, r in enumerate(rank):
        for dst, name, share in graph.uses_of(src):
            if name % SCORE_PARTS == part:
                key = name * n + dst
                scores[key] = get(key, 0.0) + r * share
    return scores


def _with_leads(
    graph: Graph, scores: dict, rank: Iterable[tuple[int, float]], part: int | None = None
) -> None:
    """Files no one references still appear, after the rest, by their own rank."""
    n, lead = len(graph.paths), graph.lead
    for i, r in rank:
        for k in (lead[2 * i], lead[2 * i + 1]):
            if k >= 0 and (part is None or k % SCORE_PARTS == part):
                scores.setdefault(k * n + i, r * LEAD_SCORE)


def _by_score(item: tuple[int, float]) -> tuple[float, int]:
    """Best first; among equal scores the smaller key (name id, then file) first."""
    return item[1], -item[0]


def _ordered(scores: dict, n: int, name_of: list[str] | dict[int, str], limit: int) -> Ranked:
    """The `limit` best of `scores` ((file, name id) keys)."""
    best = heapq.nlargest(limit, scores.items(), key=_by_score)
    return [(score, key % n, name_of[key // n]) for key, score in best]


def _unfocused_best(graph: Graph, limit: int | None) -> tuple[list[tuple[int, float]], int]:
    """The `limit` best (key, score) of the unfocused ranking (all for None), and how many
    entries it has. Scores are summed for a part of the names at a time: a dict of every
    definition in use is what a build would otherwise hold most of."""
    rank = graph.rank.tolist()
    best: list[tuple[int, float]] = []
    total = 0
    for part in range(SCORE_PARTS):
        scores = _score_part(graph, rank, part)
        _with_leads(graph, scores, enumerate(rank), part)
        total += len(scores)
        best = heapq.nlargest(limit or total, chain(best, scores.items()), key=_by_score)
        del scores
    return best, total


def _keep_top(graph: Graph) -> None:
    best, total = _unfocused_best(graph, KEPT_RANKING)
    n = len(graph.paths)
    graph.complete = total <= KEPT_RANKING
    graph.top_score = array("d", (score for _, score in best))
    graph.top_node = array("i", (key % n for key, _ in best))
    graph.top_name = array("i", (key // n for key, _ in best))


def unfocused(graph: Graph, want: int) -> Ranked:
    """The first `want` entries of the unfocused ranking (all of it computed only when the
    stored part is too short)."""
    if want <= len(graph.top_score) or graph.complete:
        return graph.top()[:want]
    if graph._full is None:
        best, _ = _unfocused_best(graph, None)
        n, names = len(graph.paths), graph.names
        graph._full = [(score, key % n, names[key // n]) for key, score in best]
    return graph._full[:want]


def rank_symbols(
    graph: Graph,
    focus_files: set[int],
    focus_names: dict[str, list[int]],
    want: int,
) -> Ranked:
    """(score, file, name) for definitions, best first, at least `want` of them when there are
    as many: a definition earns the rank its users pass along to it. With a focus (files, or
    names with the files defining them), what the focus reaches comes first, then the
    unfocused ranking."""
    if not focus_files and not focus_names:
        return unfocused(graph, want)
    personal: dict[int, float] = dict.fromkeys(focus_files, 1.0)
    for files in focus_names.values():
        for i in files:
            personal[i] = personal.get(i, 0.0) + 1.0
    rank = personal_rank(graph, personal)
    scores = _score_uses(graph, rank.items(), focus_files)
    n = len(graph.paths)
    extra: dict[int, str] = {}  # focus names no use mentions get ids past the graph's
    for name, files in focus_names.items():
        k = graph.name_ids.get(name)
        if k is None:
            k = len(graph.names) + len(extra)
            extra[k] = name
        for i in files:
            scores[k * n + i] = (scores.get(k * n + i, 0.0) + rank.get(i, 0.0)) * FOCUS_SYMBOL_BOOST
    _with_leads(graph, scores, rank.items())
    name_of = {**dict(enumerate(graph.names)), **extra} if extra else graph.names
    ranked = _ordered(scores, n, name_of, len(scores))
    if len(ranked) < want:
        have = {(i, name) for _, i, name in ranked}
        for entry in unfocused(graph, want + len(ranked)):
            if (entry[1], entry[2]) not in have:
                ranked.append(entry)
                if len(ranked) >= want:
                    break
    return ranked


# --- rendering --------------------------------------------------------------------------------


class Definitions:
    """The definitions of the files a map shows, read from the index as they are now."""

    def __init__(self, store: IndexStore, graph: Graph) -> None:
        self.store = store
        self.graph = graph
        self._cache: dict[int, list[DefItem]] = {}

    def of(self, i: int) -> list[DefItem]:
        found = self._cache.get(i)
        if found is None:
            found = self._cache[i] = self.store.rows(
                "SELECT name, qualname, line, signature FROM defs WHERE file_id=?"
                " ORDER BY line, name",
                (self.graph.file_ids[i],),
            )
        return found

    def definers(self, name: str) -> list[int]:
        """The files (numbers) that define `name`."""
        rows = self.store.rows(
            "SELECT DISTINCT file_id, name FROM defs WHERE name = ? COLLATE NOCASE", (name,)
        )
        node_of = self.graph.node_of
        return sorted({node_of[f] for f, exact in rows if exact == name and f in node_of})


def render(graph: Graph, chosen: Ranked, defs: Definitions) -> str:
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
        for name, qualname, line, signature in defs.of(file_id):
            if name in names:
                indent = "    " * qualname.count(".")
                out.append(f"{line:>5}│ {indent}{safe_line(signature)}")
    return "\n".join(out) + ("\n" if out else "")


def fit(graph: Graph, ranked: Ranked, token_budget: int, defs: Definitions) -> str:
    """The longest prefix of the ranking whose rendering fits the budget (binary search)."""
    limit = token_budget * CHARS_PER_TOKEN
    lo, hi, best = 0, min(len(ranked), _most_entries(token_budget)), ""
    while lo <= hi:
        mid = (lo + hi) // 2
        text = render(graph, ranked[:mid], defs)
        if len(text) <= limit:
            best, lo = text, mid + 1
        else:
            hi = mid - 1
    return best


def _most_entries(token_budget: int) -> int:
    """No rendering of more entries than this fits (each takes 8 characters at least)."""
    return token_budget * CHARS_PER_TOKEN // 8 + 1


def repo_map(
    store: IndexStore,
    graph: Graph,
    token_budget: int,
    focus_files: list[str] | tuple[str, ...] = (),
    focus_symbols: list[str] | tuple[str, ...] = (),
) -> str:
    ids = graph.index_of
    defs = Definitions(store, graph)
    focus_ids = {ids[p] for p in focus_files if p in ids}
    names = {split_qualified(s)[0] for s in focus_symbols}
    focus_names = {name: defs.definers(name) for name in names if name}
    ranked = rank_symbols(graph, focus_ids, focus_names, _most_entries(token_budget))
    return fit(graph, ranked, token_budget, defs)

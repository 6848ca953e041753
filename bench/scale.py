"""Benchmark the code index as a project grows: ~0.86, ~3 and ~9 MLOC of real code, then a tree
of 100,000 files, every figure beside a reference measured in the same run.

    python bench/scale.py [--quick] [--sizes S,M,L] [--files 100000] [--repeat 40]

Trees (each a fresh temporary project, one folder per source):

    S  this interpreter's standard library with its tests, copied as bench/index.py does
    M  S + sympy + numpy (its sdist: C and Python)
    L  M + django, plotly 5, pandas, scipy, statsmodels (sdists: C, C++, Cython, Python), and
       three, echarts, monaco-editor (npm: JavaScript and TypeScript)
    F  the files of plotly 5 (many small real files, 15,301 each copy) copied side by side
       until the tree holds `--files` files (the last copy cut short)

Sources are fetched once with the package managers' own clients and cached in
~/.cache/rigtui-bench/scale: wheels with `pip download --only-binary :all:`, sdists with
`pip download --no-binary :all: --no-build-isolation` (pip prepares an sdist's metadata before it
saves it; a metadata-only stand-in for the meson-python backend, written into the cache, answers
that without building anything), npm packages with `npm pack`. A source that cannot be fetched
is skipped with a line saying so, and its tree is smaller than its label.

Each tree is measured in a fresh process: the files the index walks (its own ignore rules) and
their lines ("LOC": text files within the size limit, which the index reads in full; "code":
those in a language with a parser); cold index time beside `ctags` given those same files; peak
RSS of the process and its pool workers; no-change re-index beside the walk alone and a bare
scandir+stat of every file; database size; symbol lookup and text search (p50/p95 over random defined names,
and a few very common words) beside `rg` on the same files and words; the repo
map's graph build (done once per index generation), its load from the database, and a map of
1024 tokens focused on one file and unfocused. Then the growth from the smallest tree: each
figure's ratio and its exponent against the LOC ratio (1.0 = linear).

`--quick` runs S and M and a 20,000-file tree (about 2 minutes on 2 idle cores); the full run
5 to 7 minutes (fetching the sources the first time: ~140 MB, about 30 s more). Cold runs are
timed in wall-clock and CPU seconds, and the load average is printed with each tree: on a
shared machine the CPU figures are the ones to compare. Not a timed test: it prints figures
for a human to read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rigtui.ignore import IgnoreRules  # noqa: E402
from rigtui.index.languages import language_for  # noqa: E402


def _bench_index():  # type: ignore[no-untyped-def]
    """bench/index.py's helpers (RssSampler, ctags, percentiles), loaded by path."""
    spec = importlib.util.spec_from_file_location("bench_index", ROOT / "bench" / "index.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


bi = _bench_index()
RssSampler, timed, percentiles = bi.RssSampler, bi.timed, bi.percentiles

CACHE = Path.home() / ".cache" / "rigtui-bench" / "scale"
MAX_FILE_SIZE = 1024 * 1024  # the index's default limit
# key -> (how it is fetched, what is asked for)
SOURCES: dict[str, tuple[str, str]] = {
    "sympy": ("wheel", "sympy==1.14.0"),
    "numpy": ("sdist", "numpy==2.4.6"),
    "django": ("wheel", "django==5.2.19"),
    "plotly": ("wheel", "plotly==5.24.1"),
    "pandas": ("sdist", "pandas==3.1.1"),
    "scipy": ("sdist", "scipy==1.17.1"),
    "statsmodels": ("sdist", "statsmodels==0.15.0"),
    "three": ("npm", "three@0.187.0"),
    "echarts": ("npm", "echarts@6.1.0"),
    "monaco-editor": ("npm", "monaco-editor@0.57.0"),
}
TREES: dict[str, tuple[str, list[str]]] = {
    "S": ("~0.86 MLOC", ["stdlib"]),
    "M": ("~3 MLOC", ["stdlib", "sympy", "numpy"]),
    "L": ("~9 MLOC", ["stdlib", *SOURCES]),
}
COMMON_WORDS = ["self", "return", "value", "data", "error", "function"]
TARGETS = {"memory": "< 250 MiB", "symbol_p95": "< 1 ms", "search_p95": "< 5 ms"}

# pip prepares an sdist's metadata before saving it, which for meson-python projects means
# importing `mesonpy`. This stand-in (on PYTHONPATH for that one pip run) copies PKG-INFO.
MESONPY_SHIM = '''"""Metadata-only stand-in for mesonpy, so `pip download` can save an sdist."""
from pathlib import Path


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    text = Path("PKG-INFO").read_text()
    meta = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    name = f"{meta['Name'].replace('-', '_')}-{meta['Version']}.dist-info"
    (Path(metadata_directory) / name).mkdir()
    (Path(metadata_directory) / name / "METADATA").write_text(text)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("this stand-in only prepares metadata")
'''


# --- sources ----------------------------------------------------------------------------------


def fetch(key: str) -> Path | None:
    """The cached archive of a source, fetched when missing; None (said) when it cannot be."""
    how, spec = SOURCES[key]
    folder = CACHE / "archives" / key
    found = sorted(folder.glob("*")) if folder.is_dir() else []
    if found:
        return found[0]
    part = CACHE / "archives" / f".{key}.part"
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    env = dict(os.environ)
    if how == "npm":
        cmd = ["npm", "pack", "--silent", spec, "--pack-destination", str(part)]
    else:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(part), spec]
        if how == "wheel":
            cmd += ["--only-binary", ":all:"]
        else:
            shim = CACHE / "pip-shim"
            (shim / "mesonpy").mkdir(parents=True, exist_ok=True)
            (shim / "mesonpy" / "__init__.py").write_text(MESONPY_SHIM)
            cmd += ["--no-binary", ":all:", "--no-build-isolation"]
            env["PYTHONPATH"] = str(shim)
    print(f"  fetching {spec} ({how}) ...", flush=True)
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"  skip {key}: {spec} could not be fetched ({exc})")
        return None
    got = sorted(part.glob("*"))
    if done.returncode != 0 or len(got) != 1:
        why = (done.stderr.strip().splitlines() or ["no file saved"])[-1]
        print(f"  skip {key}: {spec} could not be fetched ({why})")
        return None
    part.rename(folder)
    return folder / got[0].name


def unpacked(key: str) -> Path | None:
    """The source's files, unpacked once into the cache."""
    dest = CACHE / "src" / key
    if (dest / ".complete").exists():
        return dest
    archive = fetch(key)
    if archive is None:
        return None
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
    else:
        with tarfile.open(archive) as t:
            t.extractall(dest, filter="data")
    (dest / ".complete").write_text("")
    return dest


def assemble(root: Path, keys: list[str]) -> list[str]:
    """Copy each source into its own folder of `root`; returns the keys present."""
    present = []
    for key in keys:
        if key == "stdlib":
            (root / "stdlib").mkdir()
            bi.copy_stdlib(root / "stdlib", with_tests=True)
            present.append(key)
            continue
        src = unpacked(key)
        if src is None:
            continue
        subprocess.run(["cp", "-a", f"{src}/.", str(root / key)], check=True)
        (root / key / ".complete").unlink()
        present.append(key)
    return present


def replicate(root: Path, key: str, total: int) -> int:
    """Copies of one source's walked files side by side until `total` files; returns copies."""
    src = unpacked(key)
    if src is None:
        return 0
    files = [p.as_posix() for p in IgnoreRules(src).walk() if p.name != ".complete"]
    copies = math.ceil(total / len(files))
    left = total
    for n in range(copies):
        for rel in files[: min(left, len(files))]:
            dest = root / f"copy{n:02d}" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, dest)
        left -= len(files)
    return copies


# --- measuring --------------------------------------------------------------------------------


def text_files(root: Path, files: list[str]) -> tuple[list[str], int, int, int]:
    """The files the index reads in full (text within the size limit), their LOC, the LOC of
    those with a parser, and how many files are over the limit."""
    out, loc, code, big = [], 0, 0, 0
    for rel in files:
        data = (root / rel).read_bytes()
        if len(data) > MAX_FILE_SIZE:
            big += 1
            continue
        if b"\x00" in data[:8192]:
            continue
        out.append(rel)
        n = data.count(b"\n")
        loc += n
        if language_for(rel):
            code += n
    return out, loc, code, big


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (the pool's workers, ctags)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_ctags(root: Path, files: list[str]) -> tuple[float, float] | None:
    """As bench/index.py runs it, its warnings kept off the report: (wall, CPU), best of three."""
    if not shutil.which("ctags"):
        return None
    listing = root.parent / "files.txt"
    listing.write_text("\n".join(files) + "\n")
    cmd = ["ctags", "-f", str(root.parent / "tags"), "-L", str(listing)]
    walls, cpus = [], []
    for _ in "abc":
        before = cpu_seconds()
        walls.append(timed(lambda: subprocess.run(cmd, cwd=root, capture_output=True)))
        cpus.append(cpu_seconds() - before)
    return min(walls), min(cpus)


def run_rg(root: Path, files: list[str], words: list[str]) -> tuple[float, float] | None:
    """rg over the same files; the list is given in argument chunks that fit the kernel's limit
    (one rg per chunk, run one after the other: a few ms more per word for a large tree)."""
    if not shutil.which("rg"):
        return None
    chunks, size, current = [], 0, []
    for f in files:
        if size + len(f) > 500_000:
            chunks.append(current)
            current, size = [], 0
        current.append(f)
        size += len(f) + 1
    chunks.append(current)
    samples = []
    for word in words:
        start = time.perf_counter()
        for chunk in chunks:
            cmd = ["rg", "--no-ignore", "-n", "-i", "-e", word, "--", *chunk]
            subprocess.run(cmd, cwd=root, capture_output=True)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def walk_floor(root: Path) -> float:
    """The least a no-change check does: list every folder and stat every file (no rules)."""

    def run() -> int:
        n, stack = 0, [str(root)]
        while stack:
            for entry in os.scandir(stack.pop()):
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    os.stat(entry.path)
                    n += 1
        return n

    return min(timed(run) for _ in range(3))


def measure(
    label: str, build: Callable[[Path], str], repeat: int, queries: bool = True
) -> dict | None:
    """Every figure for the tree `build` makes in `root` (it returns what it put there)."""
    from rigtui.index import CodeIndex, repomap

    work = Path(tempfile.mkdtemp(prefix="rigtui-scale-"))
    os.environ["RIGTUI_HOME"] = str(work / "home")
    root = work / "tree"
    root.mkdir()
    r: dict = {"label": label}
    try:
        r["sources"] = build(root)
        files = [p.as_posix() for p in IgnoreRules(root).walk()]
        if not files:
            return None
        r["files"] = len(files)
        texts, r["loc"], r["code"], r["too_large"] = text_files(root, files)
        r["load"] = [os.getloadavg()[0]]
        base = RssSampler()._tree(os.getpid())
        with RssSampler() as rss:
            index = CodeIndex.open(root)
            before = cpu_seconds()
            r["cold"] = timed(index.update)
            r["cold_cpu"] = cpu_seconds() - before  # the pool's workers are reaped by then
        r["rss_base"], r["memory"] = base / 2**20, rss.peak / 2**20
        r["symbols"] = index.store.scalar("SELECT count(*) FROM defs")
        r["refs"] = index.store.scalar("SELECT count(*) FROM refs")
        r["chunks"] = index.store.scalar("SELECT count(*) FROM chunks")
        r["nochange"] = statistics.median(timed(index.update) for _ in range(3))
        r["walk_rules"] = min(timed(lambda: sum(1 for _ in IgnoreRules(root).walk())) for _ in "ab")
        r["walk_floor"] = walk_floor(root)
        with RssSampler() as rss:
            r.update(graph_and_maps(index, repomap, repeat))
            if queries:
                r.update(lookups(index, repeat))
        r["memory_queries"] = rss.peak / 2**20
        index.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        r["db_mib"] = index.db_path.stat().st_size / 2**20
        index.close()
        r["ctags"] = run_ctags(root, texts)
        r["load"].append(os.getloadavg()[0])
        if queries:
            r["rg"] = run_rg(root, texts, r.pop("search_words"))
            r["rg_common"] = run_rg(root, texts, COMMON_WORDS)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return r


def graph_and_maps(index, repomap, repeat: int) -> dict:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    out: dict = {}
    out["graph_build"] = timed(index.graph)  # none is stored yet: built, and stored
    graph = index.graph()
    out["graph_uses"] = len(graph.use_dst)
    out["graph_edges"] = len(graph.edge_dst)
    out["graph_bytes"] = index.store.scalar(
        "SELECT length(data) FROM derived WHERE key=?", (repomap.GRAPH_KEY,)
    )
    out["graph_load"] = timed(lambda: repomap.load_graph(index.store))
    out["pagerank"] = timed(lambda: repomap.pagerank(graph))
    out["map_unfocused_first"] = timed(lambda: index.repo_map(1024))
    out["map_unfocused"] = statistics.median(timed(lambda: index.repo_map(1024)) for _ in "abc")
    paths = list(graph.paths)
    focus = rng.sample(paths, min(repeat, len(paths)))
    out["map"] = percentiles(
        [timed(lambda f=f: index.repo_map(1024, focus_files=[f])) for f in focus]
    )
    return out


def lookups(index, repeat: int) -> dict:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    names = [
        r[0] for r in index.store.rows("SELECT DISTINCT name FROM defs WHERE length(name) > 3")
    ]
    sym = [timed(lambda n=n: index.find_symbol(n)) for n in rng.sample(names, min(200, len(names)))]
    common_defs = [r[0] for r in index.store.rows(
        "SELECT name FROM defs GROUP BY name ORDER BY count(*) DESC LIMIT 5"
    )]  # fmt: skip
    words = rng.sample(names, min(repeat, len(names)))
    text = [timed(lambda w=w: index.search(w)) for w in words]
    common = [timed(lambda w=w: index.search(w)) for w in COMMON_WORDS]
    return {
        "symbol": percentiles(sym),
        "symbol_common": max(timed(lambda n=n: index.find_symbol(n)) for n in common_defs),
        "symbol_common_names": common_defs,
        "search": percentiles(text),
        "search_common": percentiles(common),
        "search_words": words[:20],
    }


# --- reporting --------------------------------------------------------------------------------

MS = 1000.0


def report(r: dict) -> None:
    print(f"\n== {r['label']}: {r['sources']}")
    print(
        f"load average {r['load'][0]:.1f} before, {r['load'][1]:.1f} after, on {os.cpu_count()}"
        " cores (other work on the machine slows the wall-clock figures, not the CPU ones)"
    )
    print(
        f"{r['files']:,} files, {r['loc'] / 1e6:.2f} MLOC ({r['code'] / 1e6:.2f} MLOC with a"
        f" parser; {r['too_large']} files over 1 MiB not indexed), {r['symbols']:,} definitions,"
        f" {r['refs']:,} references, {r['chunks']:,} chunks"
    )
    line = (
        f"cold index           {r['cold']:.1f} s ({r['cold'] / (r['loc'] / 1e6):.1f} s/MLOC),"
        f" CPU {r['cold_cpu']:.1f} s"
    )
    if r["ctags"]:
        wall, cpu = r["ctags"]
        line += (
            f"   (ctags {wall:.1f} s, CPU {cpu:.1f} s; ratio {r['cold'] / wall:.1f}x wall,"
            f" {r['cold_cpu'] / cpu:.1f}x CPU)"
        )
    print(line)
    print(
        f"peak memory          {r['memory']:.0f} MiB incl. pool workers (process before the run"
        f" {r['rss_base']:.0f} MiB); during map and queries {r['memory_queries']:.0f} MiB"
        f"   (target {TARGETS['memory']})"
    )
    print(
        f"no-change re-index   {r['nochange'] * MS:.0f} ms   (walk with the ignore rules"
        f" {r['walk_rules'] * MS:.0f} ms; bare scandir+stat of every file {r['walk_floor'] * MS:.0f} ms)"
    )
    print(
        f"database             {r['db_mib']:.0f} MiB ({r['db_mib'] / (r['loc'] / 1e6):.0f} MiB/MLOC)"
    )
    if "symbol" in r:
        s50, s95 = r["symbol"]
        print(
            f"symbol lookup        p50 {s50 * MS:.3f} ms, p95 {s95 * MS:.3f} ms; most defined names"
            f" ({', '.join(r['symbol_common_names'][:3])}, ...) worst {r['symbol_common'] * MS:.1f} ms"
            f"   (target p95 {TARGETS['symbol_p95']})"
        )
        t50, t95 = r["search"]
        line = f"text search          p50 {t50 * MS:.2f} ms, p95 {t95 * MS:.2f} ms"
        if r["rg"]:
            line += f"   (rg p50 {r['rg'][0] * MS:.0f} ms, p95 {r['rg'][1] * MS:.0f} ms)"
        print(line)
        c50, c95 = r["search_common"]
        line = f"  common words       p50 {c50 * MS:.1f} ms, p95 {c95 * MS:.1f} ms [{' '.join(COMMON_WORDS)}]"
        if r["rg_common"]:
            line += (
                f"   (rg p50 {r['rg_common'][0] * MS:.0f} ms, p95 {r['rg_common'][1] * MS:.0f} ms)"
            )
        print(line)
    m50, m95 = r["map"]
    print(
        f"repo map graph       build {r['graph_build']:.2f} s (once per index generation),"
        f" load {r['graph_load'] * MS:.0f} ms; {r['graph_edges']:,} file edges, {r['graph_uses']:,}"
        f" uses, {r['graph_bytes'] / 2**20:.1f} MiB stored; PageRank {r['pagerank'] * MS:.0f} ms"
    )
    print(
        f"repo map 1024 tok    focused p50 {m50 * MS:.0f} ms, p95 {m95 * MS:.0f} ms; unfocused"
        f" first {r['map_unfocused_first'] * MS:.0f} ms, again {r['map_unfocused'] * MS:.0f} ms"
    )


def growth(rows: list[dict]) -> None:
    """Each figure per MLOC, and its growth from the first tree as an exponent of the LOC ratio."""
    sized = [r for r in rows if "symbol" in r]
    if len(sized) < 2:
        return
    first = sized[0]
    figures = [
        ("cold s", lambda r: r["cold"]),
        ("cold CPU s", lambda r: r["cold_cpu"]),
        ("ctags s", lambda r: r["ctags"][0] if r["ctags"] else float("nan")),
        ("database MiB", lambda r: r["db_mib"]),
        ("peak MiB (cold)", lambda r: r["memory"]),
        ("peak MiB (queries)", lambda r: r["memory_queries"]),
        ("no-change ms", lambda r: r["nochange"] * MS),
        ("symbol p95 ms", lambda r: r["symbol"][1] * MS),
        ("search p95 ms", lambda r: r["search"][1] * MS),
        ("common search p95 ms", lambda r: r["search_common"][1] * MS),
        ("rg p95 ms", lambda r: r["rg"][1] * MS if r["rg"] else float("nan")),
        ("graph build s", lambda r: r["graph_build"]),
        ("map focused p95 ms", lambda r: r["map"][1] * MS),
        ("map unfocused ms", lambda r: r["map_unfocused_first"] * MS),
    ]
    print("\n== growth (exponent: log(figure ratio) / log(LOC ratio); 1 = linear, 0 = flat)")
    head = f"{'':22}" + "".join(f"{r['label'].split(':')[0]:>14}" for r in sized)
    print(head + "".join(f"{'exp ' + r['label'].split(':')[0]:>12}" for r in sized[1:]))
    print(f"{'MLOC':22}" + "".join(f"{r['loc'] / 1e6:>14.2f}" for r in sized))
    for name, get in figures:
        values = [get(r) for r in sized]
        cells = "".join(f"{v:>14.3g}" for v in values)
        exps = ""
        for r, v in zip(sized[1:], values[1:], strict=True):
            ratio = r["loc"] / first["loc"]
            ok = values[0] > 0 and v > 0 and not math.isnan(v) and ratio > 1
            exps += f"{math.log(v / values[0]) / math.log(ratio):>12.2f}" if ok else f"{'-':>12}"
        print(f"{name:22}{cells}{exps}")


def build_for(tree: str, files: int) -> tuple[str, Callable[[Path], str], bool]:
    """(label, what makes the tree, whether to time queries) for a tree's letter."""
    if tree == "F":

        def many(root: Path) -> str:
            return f"{replicate(root, 'plotly', files)} copies of plotly's walked files"

        return f"F: {files:,} files", many, False
    label, keys = TREES[tree]
    return f"{tree}: {label}", lambda root: ", ".join(assemble(root, keys)), True


def child(tree: str, files: int, repeat: int, out: Path) -> int:
    """Measure one tree in this (fresh) process and write the figures as JSON."""
    label, build, queries = build_for(tree, files)
    r = measure(label, build, repeat if queries else 10, queries)
    out.write_text(json.dumps(r))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="trees S and M, 20,000 files")
    parser.add_argument("--sizes", help="trees to run, e.g. S,M,L (default S,M,L)")
    parser.add_argument("--files", type=int, help="files in the many-files tree (0: none)")
    parser.add_argument("--repeat", type=int, default=40, help="samples per query figure")
    parser.add_argument("--child", nargs=2, metavar=("TREE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    files = args.files if args.files is not None else (20_000 if args.quick else 100_000)
    if args.child:
        return child(args.child[0], files, args.repeat, Path(args.child[1]))
    trees = [t.strip() for t in (args.sizes or ("S,M" if args.quick else "S,M,L")).split(",")]
    if files:
        trees.append("F")
    started = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, cache {CACHE}")
    print("each tree is measured in a fresh process (its memory starts from nothing)")
    rows = []
    for tree in trees:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            cmd = [sys.executable, __file__, "--child", tree, out.name, "--files", str(files),
                   "--repeat", str(args.repeat)]  # fmt: skip
            done = subprocess.run(cmd, check=False)
            text = Path(out.name).read_text()
        if done.returncode != 0 or text in ("", "null"):
            print(f"\n== {tree}: no figures (no source could be fetched, or the run failed)")
            continue
        r = json.loads(text)
        report(r)
        if tree != "F":
            rows.append(r)
    growth(rows)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

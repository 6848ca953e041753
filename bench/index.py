"""Benchmark the code index on this interpreter's standard library, beside ctags and ripgrep.

    python bench/index.py [--runs lib,all] [--repeat N]

Two runs: the stdlib's `*.py` without its test folders, then with them. Each copies the files
into a temporary project (so ignore rules and hashing see exactly what the index sees), lists
them with the index's own ignore rules, and hands that same list to `ctags` and `rg`. The cold
index is the `rigtui index` command (start-up included), as ctags is a command; the other
figures are taken in this process. Not a timed test: it prints figures (and the targets) for a human to read.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rigtui.ignore import IgnoreRules  # noqa: E402

TEST_DIRS = {"test", "tests", "idle_test"}
TARGETS = {
    "cold": "<= 6x ctags",
    "nochange": "< 100 ms",
    "update_p50": "< 10 ms",
    "symbol_p95": "< 1 ms",
    "search_p95": "< 5 ms",
    "map": "< 150 ms",
    "memory": "< 250 MiB",
}


def copy_stdlib(dest: Path, with_tests: bool) -> None:
    src = Path(sysconfig.get_paths()["stdlib"])
    for path in src.rglob("*.py"):
        rel = path.relative_to(src)
        if rel.parts[0] == "site-packages" or (not with_tests and TEST_DIRS & set(rel.parts)):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / rel)


class RssSampler:
    """Peak of the summed RSS of a process (this one unless `pid` is given) and all its
    descendants (the pool workers)."""

    def __init__(self, interval: float = 0.02, pid: int | None = None) -> None:
        self.interval = interval
        self.pid = pid or os.getpid()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return out

    def _tree(self, pid: int) -> int:
        return self._rss(pid) + sum(self._tree(c) for c in self._children(pid))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._tree(self.pid))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def run_ctags(root: Path, files: list[str]) -> float | None:
    if not shutil.which("ctags"):
        return None
    listing = root.parent / "files.txt"
    listing.write_text("\n".join(files) + "\n")
    tags = root.parent / "tags"
    cmd = ["ctags", "-f", str(tags), "-L", str(listing)]
    return min(timed(lambda: subprocess.run(cmd, cwd=root, check=True)) for _ in range(3))


def run_rg(root: Path, files: list[str], words: list[str]) -> tuple[float, float] | None:
    if not shutil.which("rg"):
        return None
    samples = []
    for word in words:
        cmd = ["rg", "--no-ignore", "-n", "-i", "-e", word, "--", *files]
        samples.append(timed(lambda c=cmd: subprocess.run(c, cwd=root, capture_output=True)))
    return percentiles(samples)


def measure(label: str, with_tests: bool, repeat: int) -> dict[str, object]:
    from rigtui.index import CodeIndex

    work = Path(tempfile.mkdtemp(prefix="rigtui-bench-"))
    os.environ["RIGTUI_HOME"] = str(work / "home")
    root = work / "stdlib"
    root.mkdir()
    copy_stdlib(root, with_tests)
    files = [p.as_posix() for p in IgnoreRules(root).walk()]
    loc = sum((root / f).read_bytes().count(b"\n") for f in files)
    r: dict[str, object] = {"label": label, "files": len(files), "loc": loc}
    try:
        r["cold"], r["memory"] = cold_cli(root)
        index = CodeIndex.open(root)
        r["symbols"] = index.store.scalar("SELECT count(*) FROM defs")
        r["nochange"] = statistics.median(timed(index.update) for _ in range(5))
        r.update(single_file_updates(index, root, files, repeat))
        r.update(queries(index, repeat))
        index.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        r["db_mib"] = index.db_path.stat().st_size / 2**20
        index.close()
        r["ctags"] = run_ctags(root, files)
        r["rg"] = run_rg(root, files, r.pop("search_words"))  # type: ignore[arg-type]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return r


def cold_cli(root: Path) -> tuple[float, float]:
    """`rigtui index` on a project never indexed: wall seconds and the peak MiB of the process
    and its pool workers. Run as the command a user runs (beside ctags, a command too): a
    process with one thread forks its workers, where this one, sampling memory in a thread,
    would have to spawn them (a fresh interpreter each, importing everything again)."""
    compile_rigtui()
    argv = [sys.executable, "-m", "rigtui", "index", "--path", str(root)]
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with RssSampler(pid=process.pid) as rss:
        _, err = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"rigtui index failed: {err.decode(errors='replace')}")
    return seconds, rss.peak / 2**20


def compile_rigtui() -> None:
    """Byte-compile rigtui once, as any install's first run does (with PYTHONDONTWRITEBYTECODE
    set every run would compile it again)."""
    import compileall

    import rigtui

    compileall.compile_dir(Path(rigtui.__file__).parent, quiet=1)


def single_file_updates(index, root: Path, files: list[str], repeat: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The same ~500-line file saved `repeat` times (the live index's usual case, where it
    re-parses from the file's last syntax tree), then as many other files of about that size
    saved once each (parsed from scratch)."""
    sizes = {f: (root / f).read_bytes().count(b"\n") for f in files}
    by_size = sorted(files, key=lambda f: abs(sizes[f] - 500))
    target = by_size[0]
    original = (root / target).read_text()
    samples = []
    for i in range(repeat):
        (root / target).write_text(original + f"\ndef bench_edit_{i}():\n    return {i}\n")
        samples.append(timed(lambda: index.update_paths([target])))
    (root / target).write_text(original)
    index.update_paths([target])
    others = by_size[1 : repeat + 1]
    first = [save_once(index, root, rel) for rel in others]
    p50, p95 = percentiles(samples)
    lines = sorted(sizes[f] for f in others)
    return {
        "update_file": f"{target} ({sizes[target]} lines)",
        "update_p50": p50,
        "update_p95": p95,
        "first_save": percentiles(first),
        "first_save_files": f"{len(others)} files of {lines[0]}-{lines[-1]} lines",
    }


def save_once(index, root: Path, rel: str) -> float:  # type: ignore[no-untyped-def]
    """Append a function to `rel` and time re-indexing it; then put the file back (untimed)."""
    original = (root / rel).read_text()
    (root / rel).write_text(original + "\ndef bench_edit():\n    return 0\n")
    seconds = timed(lambda: index.update_paths([rel]))
    (root / rel).write_text(original)
    index.update_paths([rel])
    return seconds


def queries(index, repeat: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    names = [
        r[0] for r in index.store.rows("SELECT DISTINCT name FROM defs WHERE length(name) > 3")
    ]
    paths = [r[0] for r in index.store.rows("SELECT path FROM files WHERE status='ok'")]
    symbol_names = rng.sample(names, min(200, len(names)))
    sym = [timed(lambda n=n: index.find_symbol(n)) for n in symbol_names]
    words = rng.sample(names, min(repeat, len(names)))
    text = [timed(lambda w=w: index.search(w)) for w in words]
    graph_build = timed(index.graph)
    focus = rng.sample(paths, min(repeat, len(paths)))
    maps = [timed(lambda f=f: index.repo_map(1024, focus_files=[f])) for f in focus]
    plain = [timed(lambda: index.repo_map(1024)) for _ in range(3)]
    return {
        "symbol": percentiles(sym),
        "search": percentiles(text),
        "search_words": words[:20],
        "graph_build": graph_build,
        "map": percentiles(maps),
        "map_unfocused": statistics.median(plain),
    }


def report(r: dict[str, object]) -> None:
    ms = 1000.0
    ctags, rg = r["ctags"], r["rg"]
    print(f"\n== {r['label']}: {r['files']} files, {r['loc']:,} LOC, {r['symbols']:,} symbols")
    cold = f"cold `rigtui index`  {r['cold']:.2f} s"
    if ctags:
        cold += (
            f"   (ctags {ctags:.2f} s, ratio {r['cold'] / ctags:.1f}x; target {TARGETS['cold']})"
        )
    else:
        cold += "   (ctags not installed: no ratio)"
    print(cold)
    print(f"no-change re-index   {r['nochange'] * ms:.1f} ms   (target {TARGETS['nochange']})")
    print(
        f"single-file update   p50 {r['update_p50'] * ms:.2f} ms, p95 {r['update_p95'] * ms:.2f} ms"
        f"   [{r['update_file']}] (target p50 {TARGETS['update_p50']})"
    )
    f50, f95 = r["first_save"]
    print(
        f"  first save of one   p50 {f50 * ms:.2f} ms, p95 {f95 * ms:.2f} ms"
        f"   [{r['first_save_files']}, each saved once: no syntax tree to start from]"
    )
    s50, s95 = r["symbol"]
    print(
        f"symbol lookup        p50 {s50 * ms:.3f} ms, p95 {s95 * ms:.3f} ms   (target p95 {TARGETS['symbol_p95']})"
    )
    t50, t95 = r["search"]
    line = f"text search          p50 {t50 * ms:.2f} ms, p95 {t95 * ms:.2f} ms   (target p95 {TARGETS['search_p95']})"
    if rg:
        line += (
            f"; rg p50 {rg[0] * ms:.1f} ms, p95 {rg[1] * ms:.1f} ms, ratio p50 {t50 / rg[0]:.3f}x"
        )
    else:
        line += "; rg not installed: no ripgrep column"
    print(line)
    m50, m95 = r["map"]
    print(
        f"repo map 1024 tok    p50 {m50 * ms:.1f} ms, p95 {m95 * ms:.1f} ms (focused);"
        f" unfocused {r['map_unfocused'] * ms:.1f} ms; graph build once per change"
        f" {r['graph_build'] * ms:.0f} ms   (target {TARGETS['map']})"
    )
    print(
        f"peak memory          {r['memory']:.0f} MiB incl. pool workers   (target {TARGETS['memory']})"
    )
    print(f"database             {r['db_mib']:.1f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="lib,all", help="lib (no test folders), all, or both")
    parser.add_argument("--repeat", type=int, default=40, help="samples per query figure")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, stdlib {sysconfig.get_paths()['stdlib']}"
    )
    for run in args.runs.split(","):
        with_tests = run.strip() == "all"
        report(
            measure(
                "stdlib with tests" if with_tests else "stdlib without test folders",
                with_tests,
                args.repeat,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

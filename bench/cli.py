"""Benchmark the index's commands as a user runs them: `rigtui index` with nothing changed and
`rigtui map --tokens 1024`, each beside the CLI's own start-up (`rigtui --version`) measured in
the same rounds, on a copy of this interpreter's standard library with its tests.

    python bench/cli.py [--runs 9]

The copy is indexed cold once (that run prints its time; bench/index.py compares cold runs with
ctags), and the first map after it builds and stores the repo map's graph (printed too). Then
each round runs the three commands in turn, so a busy moment on the machine lands on all of
them alike; the figures are medians, and "net" subtracts the start-up's median. Not a timed
test: it prints figures and the targets for a human to read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apply import compile_rigtui  # noqa: E402
from index import copy_stdlib  # noqa: E402

TARGETS = {"index": 100.0, "map": 500.0}  # ms, net of the start-up


def run(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one command, which must succeed."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="rounds of the three commands")
    args = parser.parse_args()
    compile_rigtui()
    rigtui = [sys.executable, "-m", "rigtui"]
    with tempfile.TemporaryDirectory(prefix="rigtui-bench-cli-") as tmp:
        project = Path(tmp) / "stdlib"
        project.mkdir()
        copy_stdlib(project, with_tests=True)
        env = {**os.environ, "RIGTUI_HOME": str(Path(tmp) / "home")}
        where = ["--path", str(project)]
        commands = {
            "start-up (--version)": [*rigtui, "--version"],
            "index, nothing changed": [*rigtui, "index", *where],
            "map --tokens 1024": [*rigtui, "map", "--tokens", "1024", *where],
        }
        cold = run(commands["index, nothing changed"], env)
        first_map = run(commands["map --tokens 1024"], env)
        print(f"stdlib with tests, {sys.version.split()[0]}, {os.cpu_count()} cores")
        print(f"cold `rigtui index`  {cold:.2f} s;  first map (builds the graph) {first_map:.2f} s")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(run(argv, env) * 1000)
    medians = {name: statistics.median(t) for name, t in times.items()}
    start_ms = medians.pop("start-up (--version)")
    print(f"median of {args.runs} rounds, wall")
    print(f"{'start-up (--version)':<24} {start_ms:7.1f} ms")
    for (name, ms), target in zip(medians.items(), TARGETS.values(), strict=True):
        net = ms - start_ms
        verdict = "met" if net <= target else "NOT met"
        print(
            f"{name:<24} {ms:7.1f} ms  net {net:6.1f} ms  (target <= {target:.0f} ms net: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: pathological source files, the index's worst case per byte.

    python bench/dense.py [--mb 1]

Each case is a project of one file of `--mb` megabytes (within the default 1 MiB limit at 1)
indexed cold in a fresh process, its peak RSS sampled (the index process and any pool
workers): `x=1;` on one line in Python (one definition per 4 bytes) and in JavaScript (no
definitions, a node every byte or two), and the same with a newline per statement; beside
it, a project of ordinary code of the same size (a stdlib module repeated) as the reference.
Not a timed test: it prints figures for a human to read. The goal is a peak under 250 MiB
for any input, and a dense file indexed in part with a note rather than at any cost.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHILD = """
import json, os, resource, sys, time
from pathlib import Path
from rigtui.index.api import CodeIndex
root = Path(sys.argv[1])
start = time.perf_counter()
with CodeIndex.open(root, db_path=Path(sys.argv[2]), max_file_size=int(sys.argv[3])) as index:
    ready = index.update(workers=1)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "peak": max(peak, peak_children), "symbols": ready.symbols,
                  "partial": ready.warnings.get("partial", 0)}))
"""


def cases(size: int) -> dict[str, tuple[str, str]]:
    ordinary = (Path(sysconfig.get_paths()["stdlib"]) / "argparse.py").read_text()
    repeats = size // len(ordinary.encode()) + 1
    return {
        "ordinary Python (argparse.py repeated)": ("code.py", (ordinary * repeats)[:size]),
        "x=1; one line, Python": ("dense.py", ("x=1;" * (size // 4))),
        "x=1; one line, JavaScript": ("dense.js", ("x=1;" * (size // 4))),
        "x=1 a line, Python": ("lines.py", ("x=1\n" * (size // 4))),
        "f(x); a line, JavaScript": ("calls.js", ("f(x);\n" * (size // 6))),
    }


def measure(name: str, text: str, size: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="rigtui-bench-dense-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        (root / name).write_text(text)
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(root), str(Path(tmp) / "index.db"), str(size + 1)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="file size in MB (default 1)")
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    print(f"one file of {size:,} bytes per project, indexed cold in a fresh process")
    print(f"{'case':<40} {'time':>8} {'peak RSS':>10} {'symbols':>9}  note")
    for label, (name, text) in cases(size).items():
        m = measure(name, text, size)
        note = "indexed in part" if m["partial"] else ""
        print(f"{label:<40} {m['seconds']:7.2f}s {m['peak'] / 2**20:8.0f} MiB"
              f" {m['symbols']:9,}  {note}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

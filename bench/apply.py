"""Benchmark: parse, locate and render a 5,000-line multi-file patch.

    python bench/apply.py [--files 20] [--lines 5000]

Builds a throwaway project of Python-like files, a unified diff touching every file (about
`--lines` patch lines in all), then times parsing, preparing (confining paths, reading, locating
every hunk), computing the bytes to write, and rendering the whole diff to a Rich console in
memory. Prints the figures in milliseconds. Writes nothing outside a temp folder.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from rigtui.edits.diff import unified_diff
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare
from rigtui.edits.render import render_proposal


def make_file(rng: random.Random, n: int) -> list[str]:
    lines = []
    for i in range(n):
        if i % 12 == 0:
            lines.append(f"def function_{i}(value: int) -> int:")
        elif i % 12 == 11:
            lines.append("")
        else:
            lines.append(f"    value = value * {rng.randint(2, 99)} + {i}  # step {i}")
    return lines


def mutate(rng: random.Random, lines: list[str]) -> list[str]:
    out = list(lines)
    for i in sorted(rng.sample(range(len(out)), len(out) // 10), reverse=True):
        roll = rng.random()
        if roll < 0.5:
            out[i] = out[i].replace("value", "result", 1)
        elif roll < 0.75:
            out.insert(i, f"    log(value)  # added at {i}")
        else:
            del out[i]
    return out


def build(root: Path, files: int, per_file: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    diffs = []
    (root / "pkg").mkdir(exist_ok=True)
    for k in range(files):
        before = "\n".join(make_file(rng, per_file)) + "\n"
        after = "\n".join(mutate(rng, before.splitlines())) + "\n"
        path = f"pkg/mod_{k:03d}.py"
        (root / path).write_text(before)
        diffs.append(unified_diff(path, before.encode(), after.encode()))
    return "".join(diffs)


def build_sized(root: Path, files: int, patch_lines: int) -> str:
    """A patch of about `patch_lines` lines: one trial build, then scaled to size."""
    trial = build(root, files, 200)
    per_file = max(20, round(200 * patch_lines / len(trial.splitlines())))
    return build(root, files, per_file)


def timed(label: str, fn, results: dict[str, float]):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = fn()
    results[label] = (time.perf_counter() - start) * 1000
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--lines", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("RIGTUI_HOME", tempfile.mkdtemp(prefix="rigtui-bench-home-"))
    with tempfile.TemporaryDirectory(prefix="rigtui-bench-") as tmp:
        root = Path(tmp)
        patch = build_sized(root, args.files, args.lines)
        results: dict[str, float] = {}
        change_set = timed("parse", lambda: parse_patch(patch), results)
        proposal = timed("prepare+locate", lambda: prepare(root, change_set), results)
        timed("compute writes", lambda: proposal.writes(), results)
        out = io.StringIO()
        console = Console(file=out, width=120, color_system="truecolor", force_terminal=True)
        timed("render unified", lambda: console.print(render_proposal(proposal)), results)
        console_split = Console(file=io.StringIO(), width=160, color_system="truecolor")
        timed(
            "render split", lambda: console_split.print(render_proposal(proposal, "split")), results
        )
        first = proposal.files[0]
        one = Proposal(root, proposal.change_set, [first], proposal.snapshot)
        console_one = Console(file=io.StringIO(), width=120, color_system="truecolor")
        timed("render 1 file", lambda: console_one.print(render_proposal(one)), results)
        hunks = len(proposal.hunk_ids())
        print(f"patch: {len(patch.splitlines())} lines, {args.files} files, {hunks} hunks")
        for label, ms in results.items():
            print(f"{label:<16} {ms:8.1f} ms")
        engine = results["parse"] + results["prepare+locate"] + results["compute writes"]
        print(
            f"{'parse+locate+writes':<16} {engine:8.1f} ms  (what `rigtui apply --yes` waits for)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

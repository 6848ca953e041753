"""Benchmark: parse, locate and render a 5,000-line multi-file patch; then a real release
diff applied by `git apply` and by `rigtui apply`, side by side.

    python bench/apply.py [--files 20] [--lines 5000] [--release pygments] [--runs 5]

Part 1 builds a throwaway project of Python-like files, a unified diff touching every file
(about `--lines` patch lines in all), then times parsing, preparing (confining paths, reading,
locating every hunk), computing the bytes to write, and rendering the whole diff to a Rich
console in memory.

Part 2 takes two consecutive releases of a real project (wheels from the package index, cached
in ~/.cache/rigtui-bench; `--release none` skips it), makes `git diff -M --binary` between
them in a scratch repository, and times, each on a fresh copy of the old release (median of
`--runs`, the copy synced to disk first unless `--no-settle`): `git apply`, `rigtui apply
--yes` (the whole CLI, journal and fsyncs included), and the CLI's start-up alone (`rigtui
--version`). The ratio compares rigtui net of its start-up with git apply. Writes nothing outside temp folders and the cache.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
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


RELEASES = {
    "pygments": ("pygments==2.17.2", "pygments==2.18.0"),
    "rich": ("rich==13.7.0", "rich==13.9.4"),
    "requests": ("requests==2.31.0", "requests==2.32.3"),
}
CACHE = Path.home() / ".cache" / "rigtui-bench"
GIT_ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b", "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip


def _wheel(spec: str) -> Path | None:
    name, version = spec.split("==")
    CACHE.mkdir(parents=True, exist_ok=True)
    found = [w for w in CACHE.glob("*.whl") if w.name.lower().startswith(f"{name}-{version}-")]
    if found:
        return found[0]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
         spec, "-d", str(CACHE)],
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return None
    return _wheel(spec)


def _release_diff(work: Path, project: str) -> tuple[Path, Path, int] | None:
    """(old release tree, patch file, files changed), or None when the wheels are unavailable."""
    wheels = [_wheel(spec) for spec in RELEASES[project]]
    if None in wheels:
        return None
    old, repo = work / "old", work / "repo"
    for wheel, dest in zip(wheels, (old, work / "new"), strict=True):
        with zipfile.ZipFile(wheel) as archive:  # type: ignore[arg-type]
            archive.extractall(dest)
    shutil.copytree(old, repo)

    def git(*args: str) -> bytes:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                              env=env).stdout  # fmt: skip

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "old")
    for entry in list(repo.iterdir()):
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for entry in (work / "new").iterdir():
        (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, repo / entry.name)
    git("add", "-A")
    git("commit", "-qm", "new")
    patch = work / "release.patch"
    patch.write_bytes(git("diff", "-M", "--binary", "HEAD~1", "HEAD"))
    files = patch.read_bytes().count(b"\ndiff --git ") + 1
    return old, patch, files


def _median_runs(commands, old: Path, work: Path, runs: int, settle: bool) -> list[float]:  # type: ignore[no-untyped-def]
    """Median ms of each command, each run on a fresh copy of `old`. The commands take turns
    within each round, so a busy moment on the machine (other work) lands on all of them
    alike rather than on whichever ran then.

    `settle`: the copy is written to disk (sync) before the command runs, as a project's
    files are. Unsettled, the copy's files exist only in the page cache: a command that
    replaces them without any fsync (git apply) drops pages never written, while one that
    makes its writes durable (syncfs) first writes the whole copy out, then frees its
    blocks: a cost of the benchmark, not of applying a patch to a real project."""
    times: list[list[float]] = [[] for _ in commands]
    for i in range(-1, runs):  # round -1 warms up (rigtui's code cache, as after any first run)
        for k, argv_for in enumerate(commands):
            tree = work / f"tree-{i}-{k}"
            shutil.copytree(old, tree)
            if settle:
                os.sync()
            argv, env = argv_for(tree)
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, env=env, cwd=tree)
            if i >= 0:
                times[k].append(time.perf_counter() - start)
            shutil.rmtree(tree)
    return [statistics.median(t) * 1000 for t in times]


def release_bench(project: str, runs: int, settle: bool = True) -> None:
    with tempfile.TemporaryDirectory(prefix="rigtui-bench-release-") as tmp:
        work = Path(tmp)
        made = _release_diff(work, project)
        if made is None:
            print(f"release diff: skipped ({project} wheels unavailable from the package index)")
            return
        old, patch, files = made
        home = work / "home"
        env = {**os.environ, "RIGTUI_HOME": str(home)}
        rigtui = [sys.executable, "-m", "rigtui"]
        git_ms, rig_ms, start_ms = _median_runs(
            [lambda t: (["git", "apply", str(patch)], env),
             lambda t: ([*rigtui, "apply", "--yes", "--path", str(t), str(patch)], env),
             lambda t: ([*rigtui, "--version"], env)],
            old, work, runs, settle,
        )  # fmt: skip
        net = rig_ms - start_ms
        print(f"release diff: {' -> '.join(RELEASES[project])}, git diff -M --binary,"
              f" {files} files, {patch.stat().st_size // 1024} KiB (median of {runs})")  # fmt: skip
        state = "on disk (synced)" if settle else "in the page cache only (--no-settle)"
        print(f"each run on a fresh copy of the old release, {state}")
        print(f"{'git apply':<28} {git_ms:8.1f} ms")
        print(f"{'rigtui apply --yes':<28} {rig_ms:8.1f} ms  (journal, fsyncs, the CLI)")
        print(f"{'rigtui start-up (--version)':<28} {start_ms:8.1f} ms")
        print(f"{'rigtui net of start-up':<28} {net:8.1f} ms  = {net / git_ms:.1f}x git apply")


def compile_rigtui() -> None:
    """Byte-compile rigtui once, as any install's first run does: with PYTHONDONTWRITEBYTECODE
    set (CI images often set it) every run would otherwise compile rigtui's sources again."""
    import compileall

    import rigtui

    compileall.compile_dir(Path(rigtui.__file__).parent, quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--release", choices=[*RELEASES, "none"], default="pygments")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-settle",
        action="store_true",
        help="run on copies not yet written to disk (see _median_runs: favours commands"
        " that never fsync)",
    )
    args = parser.parse_args()
    os.environ.setdefault("RIGTUI_HOME", tempfile.mkdtemp(prefix="rigtui-bench-home-"))
    compile_rigtui()
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
    if args.release != "none":
        print()
        release_bench(args.release, args.runs, settle=not args.no_settle)
    return 0


if __name__ == "__main__":
    sys.exit(main())

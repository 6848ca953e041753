"""Isolated tasks: 4 at once against the same 4 in a row, and what each workspace costs.

Each task is played by the scripted OpenAI-compatible server on 127.0.0.1: the model edits a
file (apply_patch, into the task's workspace), then runs a command that takes a second and
writes another file (the local sandbox, in the workspace), then answers. The project is a clone
of this repository (a git worktree per task), then the same files without git (a reflinked
copy per task, two per task: base and work). Printed: wall time of 4 with `[tasks]
max_parallel = 4` against `max_parallel = 1` (the reference, same run), and per workspace the
disk it holds while it waits for review (against the project's own size) and the rigtui
process's memory per running task: peak traced Python heap over 4 at once (a separate run:
tracing slows it), and resident-set growth.

    python bench/tasks.py [--tasks 4] [--command-seconds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def disk_bytes(top: Path) -> int:
    """Bytes allocated under `top` (blocks, so reflinked or sparse files count what they use)."""
    total = 0
    for folder, dirs, files in os.walk(top):
        for name in files + dirs:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                pass
    return total


def rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def script(index: int, seconds: float):  # noqa: ANN201
    from tests.support.fake_openai import Call, Say

    patch = (
        "*** Begin Patch\n*** Update File: README.md\n@@\n # rigtui\n"
        f"+\n+Edited by bench task {index}.\n*** End Patch\n"
    )
    command = f"sleep {seconds} && echo task {index} > bench-out-{index}.txt"
    return [
        Say(calls=[Call("apply_patch", {"patch": patch})]),
        Say(calls=[Call("run_command", {"command": command})]),
        Say(f"task {index} done"),
    ]


async def run_batch(
    project: Path, count: int, parallel: int, seconds: float, *, traced: bool = False
) -> dict[str, float]:
    from rigtui.protocol import StartIsolated
    from tests.support.fake_openai import FakeOpenAI, make_settings, open_session

    routes = {f"benchtask{i}": script(i, seconds) for i in range(count)}
    with FakeOpenAI(routes=routes) as server:
        settings = make_settings(server.base_url)
        settings.sandbox.kind = "local"
        settings.approval.commands = "auto"
        settings.tasks.max_parallel = parallel
        session = await open_session(project, settings)
        try:
            base_rss = rss()
            peak = base_rss
            if traced:
                tracemalloc.start()
            threads = [await session.new_thread(f"bench {i}") for i in range(count)]
            started = time.perf_counter()
            for i, thread in enumerate(threads):
                await session.send(StartIsolated(thread.id, f"benchtask{i}: edit and run"))
            waiting = asyncio.create_task(session.isolated.wait_idle())
            while not waiting.done():
                peak = max(peak, rss())
                await asyncio.wait([waiting], timeout=0.02)
            wall = time.perf_counter() - started
            heap = tracemalloc.get_traced_memory()[1] if traced else 0
            tracemalloc.stop()
            mine = {t.id for t in threads}
            tasks = [t for t in await session.isolated.tasks() if t.thread_id in mine]
            states = {t.state for t in tasks}
            assert states == {"needs review"}, [(t.state, t.summary) for t in tasks]
            homes = [Path(t.workspace["home"]) for t in tasks]
            disk = sum(disk_bytes(h) for h in homes) / len(homes)
            kind = tasks[0].workspace["kind"]
            for task in tasks:
                await session.isolated.discard(task.id)
            assert not any(h.exists() for h in homes)
        finally:
            await session.close()
    return {"wall": wall, "disk": disk, "rss": (peak - base_rss) / min(count, parallel),
            "heap": heap / min(count, parallel), "kind": kind}  # type: ignore[dict-item]  # fmt: skip


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--command-seconds", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RIGTUI_HOME"] = str(Path(tmp) / "home")
        git_project = Path(tmp) / "rigtui-clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(git_project)], check=True)
        plain = Path(tmp) / "rigtui-plain"
        shutil.copytree(git_project, plain, ignore=shutil.ignore_patterns(".git"))
        files = sum(1 for _ in plain.rglob("*") if _.is_file())
        print(f"project: {files} files, {mib(disk_bytes(plain))} on disk (without .git)")
        print(f"{args.tasks} tasks, each: apply_patch, a {args.command_seconds:g}s command, reply")
        await run_batch(plain, 1, 1, 0)  # warm-up: the agent, the SDK, the sandbox load once
        for project in (git_project, plain):
            together = await run_batch(project, args.tasks, args.tasks, args.command_seconds)
            in_a_row = await run_batch(project, args.tasks, 1, args.command_seconds)
            traced = await run_batch(project, args.tasks, args.tasks, 0, traced=True)
            kind = together["kind"]
            print(f"\n[{kind} workspaces]")
            print(f"  {args.tasks} at once : {together['wall']:.2f} s wall")
            print(f"  {args.tasks} in a row: {in_a_row['wall']:.2f} s wall (reference)")
            print(f"  speed-up        : {in_a_row['wall'] / together['wall']:.2f}x")
            print(f"  disk per workspace while it waits for review: {mib(together['disk'])}")
            print(
                f"  rigtui memory per running task: {mib(traced['heap'])} of Python heap (peak"
                f" traced over {args.tasks} at once, / {args.tasks}); RSS growth"
                f" {mib(together['rss'])} per task at once, {mib(in_a_row['rss'])} alone"
                " (commands' own processes not counted)"
            )


if __name__ == "__main__":
    asyncio.run(main())

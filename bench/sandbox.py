"""Overhead of running a trivial command (`true`) through each sandbox kind, against the bare
process. Prints the median wall time per kind and its ratio to the bare process.

    python bench/sandbox.py [--runs N] [--image IMAGE]

Docker kinds need an engine (DOCKER_HOST, see .ci/dockerd.sh) and the image; they are skipped
with the reason otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rigtui.config import Settings
from rigtui.errors import RigtuiError
from rigtui.sandbox import LocalSandbox, RunRequest
from rigtui.sandbox.docker_sandbox import DockerSandbox

Timed = Callable[[], Awaitable[None]]


async def median_ms(step: Timed, runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        await step()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await step()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def sandbox_step(box: object, root: Path) -> Timed:
    request = RunRequest(command=["true"], cwd=root)

    async def step() -> None:
        result = await box.run(request)  # type: ignore[attr-defined]
        assert result.ok, result

    return step


async def bare_step() -> None:
    subprocess.run(["true"], check=True)


async def bench(root: Path, runs: int, image: str) -> list[tuple[str, float | None, str]]:
    rows: list[tuple[str, float | None, str]] = [
        ("bare process", await median_ms(bare_step, runs), "")
    ]
    local = LocalSandbox(root, isolate=False)
    rows.append(("local", await median_ms(sandbox_step(local, root), runs), ""))
    try:
        bwrap = LocalSandbox(root, isolate=True)
        rows.append(("local+bwrap", await median_ms(sandbox_step(bwrap, root), runs), ""))
    except RigtuiError as exc:
        rows.append(("local+bwrap", None, exc.message))
    settings = Settings()
    for label, reuse, n in (
        ("docker cold", False, max(3, runs // 4)),
        ("docker reused", True, runs),
    ):
        try:
            box = DockerSandbox.connect(settings, root, image=image, reuse=reuse)
        except RigtuiError as exc:
            rows.append((label, None, exc.message))
            continue
        try:
            rows.append((label, await median_ms(sandbox_step(box, root), n), ""))
        finally:
            await box.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--image", default=Settings().sandbox.image)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rigtui-bench-") as tmp:
        rows = asyncio.run(bench(Path(tmp), args.runs, args.image))
    bare = rows[0][1] or 1.0
    print(f"{'kind':<15} {'median ms':>10} {'x bare':>8}")
    for kind, ms, why in rows:
        if ms is None:
            print(f"{kind:<15} {'skipped':>10}  ({why})")
        else:
            print(f"{kind:<15} {ms:>10.2f} {ms / bare:>8.1f}")


if __name__ == "__main__":
    main()

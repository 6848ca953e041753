"""Overhead of running a trivial command (`true`) through each sandbox kind, against the bare
process. Prints the median wall time per kind and its ratio to the bare process.

The project is --files small files (2,000 by default, ~200 lines each): a read-only project
(`mount = "ro"`) pays for its private layer (Docker: overlay volumes; local: a copy) and for
the capture, which read-write kinds do not.

Then the capture mode (`mount = "capture"`, the default for the model's commands) on a second
project of --capture-files files (10,000 by default): `true`, and a command that appends a line
to one file, timed up to the change set it becomes (captured, parsed and matched against the
project, as the review gets it; not applied). Locally with an unprivileged overlay and with the
copy fallback, and in Docker (overlay volumes): back to back, and with a second between
commands (as a model's turn leaves), which lets the sandbox make the next container ahead.

    python bench/sandbox.py [--runs N] [--files N] [--capture-files N] [--image IMAGE]

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

from rigtui.config import SandboxSettings, Settings
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from rigtui.errors import RigtuiError
from rigtui.sandbox import LocalSandbox, RunRequest, local_layers
from rigtui.sandbox.docker_sandbox import DockerSandbox

Timed = Callable[[], Awaitable[None]]


async def median_ms(step: Timed, runs: int, warmup: int = 1, idle: float = 0.0) -> float:
    """`idle`: seconds between runs, not timed (as a model's turn leaves between commands)."""
    for _ in range(warmup):
        await step()
    samples = []
    for _ in range(runs):
        await asyncio.sleep(idle)
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
    local = LocalSandbox(root, isolate=False)  # mount "rw", as every row here but "ro"
    rows.append(("local", await median_ms(sandbox_step(local, root), runs), ""))
    try:
        bwrap = LocalSandbox(root, isolate=True)
        rows.append(("local+bwrap", await median_ms(sandbox_step(bwrap, root), runs), ""))
    except RigtuiError as exc:
        rows.append(("local+bwrap", None, exc.message))
    try:
        read_only = LocalSandbox(root, isolate=True, mount="ro")
        rows.append(("local+bwrap ro", await median_ms(sandbox_step(read_only, root), runs), ""))
    except RigtuiError as exc:
        rows.append(("local+bwrap ro", None, exc.message))
    for label, reuse, mount, n in (
        ("docker cold", False, "rw", max(3, runs // 4)),
        ("docker reused", True, "rw", runs),
        ("docker ro", False, "ro", max(3, runs // 4)),
    ):
        settings = Settings(sandbox=SandboxSettings(mount=mount))  # type: ignore[arg-type]
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


def change_set_step(box: object, root: Path, command: str) -> Timed:
    """Run `command` in a capture sandbox and turn its writes into a prepared change set."""
    request = RunRequest(command=command, cwd=root)

    async def step() -> None:
        result = await box.run(request)  # type: ignore[attr-defined]
        assert result.ok and result.captured is not None, result
        if result.captured:
            patch = result.captured.patch()
            await asyncio.to_thread(lambda: prepare(root, parse_patch(patch)))

    return step


async def bench_capture(root: Path, runs: int, image: str) -> list[tuple[str, float | None, str]]:
    rows: list[tuple[str, float | None, str]] = []
    edit = "echo '# one more line' >> pkg0/mod0.py"
    overlay_ok, why = local_layers.overlay_status()
    for label, layer in (("overlay", "overlay"), ("copy", "copy")):
        if layer == "overlay" and not overlay_ok:
            rows += [(f"local {label} {what}", None, why) for what in ("true", "1 edit")]
            continue
        try:
            box = LocalSandbox(root, isolate=True, mount="capture")
        except RigtuiError as exc:
            rows += [(f"local {label} {what}", None, exc.message) for what in ("true", "1 edit")]
            continue
        forced = layer == "copy"
        real_status = local_layers.overlay_status
        if forced:
            local_layers.overlay_status = lambda: (False, "bench: copy")  # type: ignore[assignment]
        try:
            n = runs if layer == "overlay" else max(3, runs // 4)
            rows.append((f"local {label} true", await median_ms(sandbox_step(box, root), n), ""))
            step = change_set_step(box, root, edit)
            rows.append((f"local {label} 1 edit", await median_ms(step, n), ""))
        finally:
            local_layers.overlay_status = real_status  # type: ignore[assignment]
    settings = Settings(sandbox=SandboxSettings(mount="capture"))
    try:
        docker = DockerSandbox.connect(settings, root, image=image, reuse=False)
    except RigtuiError as exc:
        return rows + [(f"docker {what}", None, exc.message) for what in ("true", "1 edit")]
    try:
        n = max(3, runs // 4)
        true_step, edit_step = sandbox_step(docker, root), change_set_step(docker, root, edit)
        rows.append(("docker true", await median_ms(true_step, n), ""))
        rows.append(("docker 1 edit", await median_ms(edit_step, n), ""))
        # with a second between commands the next overlay container is ready when it starts
        rows.append(("docker true, idle 1s", await median_ms(true_step, n, idle=1.0), ""))
        rows.append(("docker edit, idle 1s", await median_ms(edit_step, n, idle=1.0), ""))
    finally:
        await docker.close()
    return rows


def make_project(root: Path, files: int) -> None:
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(66))
    for n in range(files):
        folder = root / f"pkg{n // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{n}.py").write_text(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--capture-files", type=int, default=10_000)
    parser.add_argument("--image", default=Settings().sandbox.image)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rigtui-bench-") as tmp:
        make_project(Path(tmp), args.files)
        rows = asyncio.run(bench(Path(tmp), args.runs, args.image))
    bare = rows[0][1] or 1.0
    print(f"project: {args.files} files; median of {args.runs} runs (cold kinds: fewer)")
    print_rows(rows, bare)
    with tempfile.TemporaryDirectory(prefix="rigtui-bench-") as tmp:
        make_project(Path(tmp), args.capture_files)
        capture_rows = asyncio.run(bench_capture(Path(tmp), args.runs, args.image))
    print(f"\nmount = capture, project: {args.capture_files} files (to a prepared change set)")
    print_rows(capture_rows, bare)


def print_rows(rows: list[tuple[str, float | None, str]], bare: float) -> None:
    print(f"{'kind':<22} {'median ms':>10} {'x bare':>8}")
    for kind, ms, why in rows:
        if ms is None:
            print(f"{kind:<22} {'skipped':>10}  ({why})")
        else:
            print(f"{kind:<22} {ms:>10.2f} {ms / bare:>8.1f}")


if __name__ == "__main__":
    main()

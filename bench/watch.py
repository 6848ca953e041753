"""Benchmark the checks loop on a real project folder, as a user would feel it.

For 20 writes that break a test, measures:
  - write -> CheckStarted (the runner hands the command to the sandbox),
  - write -> first output of the check process (it is running),
  - write -> failed CheckFinished available (locations parsed),
  - write -> that result rendered in the ChecksPanel (headless Textual app, run_test),
each as median and worst, for a near-instant shell check (the pipeline's own latency) and for a
real pytest run. Then CPU used by this process while idle for 10 s (watcher + runner + app).

    /work/venv/bin/python bench/watch.py [--writes 20] [--idle 10] [--only shell|pytest]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from textual.app import App, ComposeResult

from rigtui.checks.runner import CheckRunner
from rigtui.checks.spec import Check
from rigtui.config import ChecksSettings
from rigtui.protocol import CheckFinished, CheckOutput, CheckStarted, Event
from rigtui.sandbox.local import LocalSandbox
from rigtui.ui.checks_panel import ChecksPanel
from rigtui.watch import ProjectWatcher

CALC = "def add(a, b):\n    return a + b\n"
TEST_OK = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3  # {n}\n"
TEST_BAD = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 4  # {n}\n"
PYTEST = f"{shlex.quote(sys.executable)} -m pytest -x -q -p no:cacheprovider"
# Fails like mypy would report it, in a few milliseconds: the pipeline's latency, not a tool's.
SHELL = (
    "echo started; grep -Hn '== 4' test_calc.py | sed 's/^\\([^:]*:[0-9]*\\):.*/\\1: error: broken/'"
    " | grep . && exit 1; exit 0"
)


@dataclass
class Timings:
    started: list[float] = field(default_factory=list)
    first_output: list[float] = field(default_factory=list)
    failed: list[float] = field(default_factory=list)
    rendered: list[float] = field(default_factory=list)


class BenchApp(App[None]):
    def __init__(self, checks: list[Check]) -> None:
        super().__init__()
        self.checks = checks

    def compose(self) -> ComposeResult:
        yield ChecksPanel(self.checks)


async def measure(root: Path, check: Check, writes: int, idle: float) -> tuple[Timings, str, float]:
    timings = Timings()
    app = BenchApp([check])
    async with app.run_test(size=(100, 30)) as pilot:
        panel = app.query_one(ChecksPanel)
        sandbox = LocalSandbox(root)
        runner = CheckRunner(root, [check], sandbox, debounce_ms=ChecksSettings().debounce_ms)
        watcher = ProjectWatcher(root)
        await watcher.start()
        runner.attach(watcher)
        wrote_at = 0.0
        breaking = False  # only breaking writes are timed
        seen_output = False
        rendered = asyncio.Event()
        finished: asyncio.Queue[CheckFinished] = asyncio.Queue()

        def on_event(event: Event) -> None:
            nonlocal seen_output
            now = time.perf_counter()
            panel.apply(event)
            if not breaking:
                if isinstance(event, CheckFinished):
                    finished.put_nowait(event)
                return
            if isinstance(event, CheckStarted):
                timings.started.append(now - wrote_at)
                seen_output = False
            elif isinstance(event, CheckOutput) and not seen_output:
                seen_output = True
                timings.first_output.append(now - wrote_at)
            elif isinstance(event, CheckFinished):
                finished.put_nowait(event)
                if event.state == "failed":
                    timings.failed.append(now - wrote_at)
                    app.call_after_refresh(lambda: (timings.rendered.append(time.perf_counter() - wrote_at), rendered.set()))  # fmt: skip

        runner.add_listener(on_event)
        for n in range(writes):
            rendered.clear()
            breaking, wrote_at = True, time.perf_counter()
            (root / "test_calc.py").write_text(TEST_BAD.format(n=n))
            result = await asyncio.wait_for(finished.get(), 60)
            assert result.state == "failed" and result.locations, result.output
            await asyncio.wait_for(rendered.wait(), 10)
            # Fix it again (not timed), so the next write is a fresh break.
            breaking = False
            (root / "test_calc.py").write_text(TEST_OK.format(n=n))
            result = await asyncio.wait_for(finished.get(), 60)
            assert result.state == "passed", result.output
            await runner.wait_idle()
        await pilot.pause()
        before = resource.getrusage(resource.RUSAGE_SELF)
        await asyncio.sleep(idle)  # idle: nothing changes; the measurement itself
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        await runner.close()
        await watcher.stop()
        await sandbox.close()
    return timings, sandbox.name, cpu


async def idle_core(root: Path, check: Check, idle: float) -> float:
    """CPU of this process over `idle` seconds with only the watcher and the runner (no UI)."""
    sandbox = LocalSandbox(root)
    runner = CheckRunner(root, [check], sandbox)
    watcher = ProjectWatcher(root)
    await watcher.start()
    runner.attach(watcher)
    before = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.sleep(idle)
    after = resource.getrusage(resource.RUSAGE_SELF)
    await runner.close()
    await watcher.stop()
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def summary(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<34} n/a"
    ms = [v * 1000 for v in values]
    return f"  {label:<34} median {statistics.median(ms):7.1f} ms   worst {max(ms):7.1f} ms   (n={len(ms)})"  # noqa: E501


def idle_line(label: str, cpu: float, seconds: float) -> str:
    return f"  idle CPU over {seconds:.0f} s ({label}): {cpu * 1000:.1f} ms ({cpu / seconds:.2%})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--only", choices=("shell", "pytest"))
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["shell", "pytest"]
    debounce = ChecksSettings().debounce_ms
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="rigtui-bench-") as tmp:
            root = Path(tmp)
            (root / "calc.py").write_text(CALC)
            (root / "test_calc.py").write_text(TEST_OK.format(n=-1))
            command = SHELL if kind == "shell" else PYTEST
            check = Check("tests", command, ("**/*.py",))
            timings, sandbox, cpu = await measure(root, check, args.writes, args.idle)
            core_cpu = await idle_core(root, check, args.idle) if kind == kinds[0] else None
        print(
            f"{kind} check, {args.writes} breaking writes, debounce {debounce} ms, sandbox {sandbox}"
        )
        print(summary("write -> CheckStarted", timings.started))
        print(summary("write -> process first output", timings.first_output))
        print(summary("write -> failed result available", timings.failed))
        print(summary("write -> failed result rendered", timings.rendered))
        if core_cpu is not None:
            print(idle_line("watcher+runner only", core_cpu, args.idle))
        print(idle_line("watcher+runner+headless app", cpu, args.idle))


if __name__ == "__main__":
    asyncio.run(main())

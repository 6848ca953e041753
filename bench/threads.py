"""Benchmark threads: 50 threads of 200 events each, through the real store and session, then
switched in the TUI (headless, `App.run_test`). Reports memory and switch latency.

    python bench/threads.py [--threads 50] [--events 200] [--rounds 2]

Not a timed test: it prints figures for a human to read. Uses a temporary RIGTUI_HOME.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPLY = (
    "Here is what I found in `parser.py`:\n\n- the tokenizer splits on spaces only\n"
    "- tabs fall through to the *default* branch\n\n```python\ndef split(line):\n"
    "    return line.split(' ')\n```\n\nI will change it to `str.split()` and add a test."
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def thread_events(thread_id: str, count: int) -> list:
    from rigtui import protocol as ev
    from rigtui.protocol import ToolCallFinished, ToolCallStarted, UsageUpdated

    out: list = []
    i = 0
    while len(out) < count:
        mid = f"m{i}"
        out += [
            ev.UserMessage(
                thread_id=thread_id, text=f"question {i}: why do tabs break the parser?"
            ),
            ev.AssistantMessage(thread_id=thread_id, message_id=mid, text=REPLY),
            ToolCallStarted(
                thread_id=thread_id,
                message_id=mid,
                call_id=f"c{i}",
                name="read_file",
                arguments='{"path": "src/parser.py"}',
            ),
            ToolCallFinished(
                thread_id=thread_id,
                call_id=f"c{i}",
                name="read_file",
                ok=True,
                output="x = 1\n" * 150,
                summary="read src/parser.py",
            ),
            UsageUpdated(
                thread_id=thread_id,
                task_id="k",
                model="m",
                input_tokens=900,
                output_tokens=120,
                thread_input_tokens=900 * i,
                thread_output_tokens=120 * i,
            ),
        ]
        i += 1
    return out[:count]


async def fill(root: Path, threads: int, events: int) -> list[str]:
    from rigtui.session import Session

    session = await Session.open(root)
    ids = []
    for n in range(threads):
        thread = await session.new_thread(f"Thread {n + 1}")
        await session.store.append_many(thread_events(thread.id, events - 1))
        ids.append(thread.id)
    await session.close()
    return ids


latencies_recent: list[float] = []


async def switch_in_tui(root: Path, ids: list[str], rounds: int) -> tuple[list[float], float]:
    from rigtui.config import load_settings
    from rigtui.ui.app import RigtuiApp

    app = RigtuiApp(root, load_settings(root))
    latencies: list[float] = []
    latencies_recent.clear()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(rounds):
            for thread_id in ids:
                start = time.perf_counter()
                await app.switch_thread(thread_id)
                await pilot.pause()  # until the new thread is laid out and painted
                latencies.append(time.perf_counter() - start)
        # Going back and forth between recent threads: their views stay mounted.
        recent: list[float] = []
        for n in range(20):
            start = time.perf_counter()
            await app.switch_thread(ids[-1 - n % 2])
            await pilot.pause()
            recent.append(time.perf_counter() - start)
        latencies_recent.extend(recent)
        rss = rss_mb()
    return latencies, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--trace", action="store_true", help="tracemalloc the TUI run (slows switching ~2x)"
    )
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="rigtui-bench-")
    os.environ["RIGTUI_HOME"] = home
    root = Path(home) / "project"
    root.mkdir()
    (root / "README.md").write_text("bench project\n")

    start = time.perf_counter()
    ids = asyncio.run(fill(root, args.threads, args.events))
    print(
        f"stored {args.threads} threads x {args.events} events in {time.perf_counter() - start:.2f}s"
    )
    print(f"RSS before the TUI: {rss_mb():.1f} MB")

    if args.trace:
        tracemalloc.start()
    latencies, rss = asyncio.run(switch_in_tui(root, ids, args.rounds))
    current, peak = tracemalloc.get_traced_memory() if args.trace else (0, 0)
    tracemalloc.stop()
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(f"switches: {len(latencies)} (each thread {args.rounds}x)")
    print(
        f"switch latency: median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
    )
    print(
        f"switch back to a recent thread (view kept mounted): median"
        f" {statistics.median(latencies_recent) * 1000:.1f} ms,"
        f" max {max(latencies_recent) * 1000:.1f} ms"
    )
    print(f"RSS with the TUI after switching: {rss:.1f} MB")
    if args.trace:
        print(
            f"tracemalloc during the TUI run: peak {peak / 1e6:.1f} MB, at the end {current / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()

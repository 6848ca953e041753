"""The model client: an `openai.AsyncOpenAI` per profile, one streamed reply per call, with
bounded, visible retries (exponential backoff and jitter) for 429, 5xx and dropped
connections. The SDK's own retries are off so every retry can be shown. A failure is shown
in the server's own words with a fix that fits it; what cannot get better by trying again
(a validation error, a prompt over the context window) is not retried."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from rigtui.agent.context import estimate_tokens
from rigtui.agent.server_errors import invalid, over_window, server_message
from rigtui.agent.window import Window, from_error, from_models, from_props, props_url, smallest
from rigtui.agent.wire import (
    Chunk,
    EmptyStream,
    IncompleteStream,
    Reply,
    ResponsesFailed,
    StreamEnd,
    TextChunk,
    ToolChunk,
    ask_once,
    stream_chat,
    stream_responses,
)
from rigtui.config import ModelProfile, Settings
from rigtui.errors import RigtuiError

if TYPE_CHECKING:  # the SDK costs ~0.5 s to import: loaded on the first model call instead
    import openai

log = logging.getLogger(__name__)

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"}
DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 0.5  # seconds before the first retry; doubles each time
    max_delay: float = 20.0
    jitter: float = 0.25  # up to this fraction added at random

    def delay(self, attempt: int) -> float:
        raw = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return raw * (1 + random.uniform(0, self.jitter))


class ModelUnavailable(RigtuiError):
    """The model cannot be reached or refused the request for good (not worth a retry)."""


def is_local(base_url: str) -> bool:
    """Loopback, private-network and `.local` hosts: servers that usually need no key."""
    host = urlparse(base_url).hostname or ""
    if host in LOCAL_HOSTS or host.endswith(".local"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


@dataclass(frozen=True)
class Endpoint:
    profile: str
    model: str
    base_url: str
    api_key: str
    wire_api: str


def resolve_endpoint(settings: Settings, profile: str | None = None) -> Endpoint:
    """Where to send requests and with which key, or a clear error saying how to set it up."""
    name = profile or settings.model.default
    chosen = settings.model_profile(name)
    base_url = chosen.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
    key = os.environ.get(chosen.api_key_env, "")
    if not key and not is_local(base_url):
        raise ModelUnavailable(
            f"no API key for {base_url} (profile {name!r})",
            fix=f"set {chosen.api_key_env}, or point base_url (or --base-url) at a local server"
            " such as Ollama, vLLM, llama.cpp or LM Studio",
        )
    return Endpoint(name, chosen.model, base_url, key or "not-needed", chosen.wire_api)


OnChunk = Callable[[Chunk], Awaitable[None]]
OnRetry = Callable[[str], Awaitable[None]]

NEAR_WINDOW = 0.5  # an empty reply to a prompt this full is put down to the window
PROBE_TIMEOUT = 5.0  # seconds for asking a server its window


@dataclass(frozen=True)
class Problem:
    text: str  # what went wrong, in the retry notice and the error
    fix: str
    retry: bool


class ModelClient:
    """One profile's client. `reply()` streams one assistant message through `on_chunk`."""

    def __init__(
        self, endpoint: Endpoint, profile: ModelProfile, retry: RetryPolicy | None = None
    ) -> None:
        self.endpoint = endpoint
        self.profile = profile
        self.retry = retry or RetryPolicy()
        from openai import AsyncOpenAI

        self._client = AsyncOpenAI(
            api_key=endpoint.api_key,
            base_url=endpoint.base_url,
            timeout=profile.timeout,
            max_retries=0,
        )
        self._server_window: Window | None = None  # what the server says, asked once
        self._learned_window: Window | None = None  # what an over-the-window error said
        self._window_asked = False
        self._window_lock = asyncio.Lock()

    async def close(self) -> None:
        await self._client.close()

    # --- the context window ---------------------------------------------------------------

    async def context_window(self) -> Window:
        """The smallest of the profile's window and what the server said (asked once, on
        first use) or an error taught."""
        async with self._window_lock:
            if not self._window_asked:
                self._server_window = await self._ask_window()
                self._window_asked = True
        return self._known_window()

    def _known_window(self) -> Window:
        profile = Window(self.profile.context_window, "the profile's context_window")
        return smallest(profile, self._server_window, self._learned_window)

    async def _ask_window(self) -> Window | None:
        """The models list, then llama.cpp's `/props`; None when neither says."""
        options: Any = {"timeout": min(self.profile.timeout, PROBE_TIMEOUT), "max_retries": 0}
        models = self.endpoint.base_url.rstrip("/") + "/models"
        asks = (
            (models, lambda body: from_models(body, self.endpoint.model)),
            (props_url(self.endpoint.base_url), from_props),
        )
        for where, read in asks:
            try:
                found = read(await self._client.get(where, cast_to=object, options=options))
            except Exception as exc:  # any answer but a window is no answer: the profile's stands
                log.debug("no context window at %s: %s", where, exc)
                continue
            if found:
                return Window(found, where)
        return None

    # --- one reply ------------------------------------------------------------------------

    def _stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AsyncIterator[Chunk]:
        cap = self.profile.max_output_tokens
        if self.endpoint.wire_api == "responses":
            return stream_responses(self._client, self.endpoint.model, messages, tools, cap)
        return stream_chat(self._client, self.endpoint.model, messages, tools, cap)

    async def reply(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        on_chunk: OnChunk,
        on_retry: OnRetry,
        on_attempt: Callable[[], Awaitable[None]] | None = None,
    ) -> tuple[Reply, float | None]:
        """The finished reply and the time to its first token. Retries what is worth
        retrying up to `profile.max_retries` times, telling `on_retry` each time; a new
        attempt starts with `on_attempt` so the caller can drop a partial reply."""
        attempt = 0
        asked_why = False
        while True:
            if on_attempt is not None:
                await on_attempt()
            started = time.perf_counter()
            first: float | None = None
            reply = Reply()
            try:
                async for chunk in self._stream(messages, tools):
                    if first is None and isinstance(chunk, TextChunk | ToolChunk):
                        first = time.perf_counter() - started
                    reply.add(chunk)
                    if not isinstance(chunk, StreamEnd):
                        await on_chunk(chunk)
                return reply, first
            except Exception as exc:  # classified below; anything else propagates
                if isinstance(exc, EmptyStream) and not asked_why:
                    asked_why = True  # once: the server's own words, when it has any
                    exc = await self._why_empty(messages, tools) or exc
                problem = self._problem(exc, messages, tools)
                if problem is None:
                    raise
                if not problem.retry:
                    raise ModelUnavailable(problem.text, fix=problem.fix) from exc
                attempt += 1
                if attempt > self.profile.max_retries:
                    raise ModelUnavailable(
                        f"model request failed after {attempt - 1} retries: {problem.text}",
                        fix=problem.fix,
                    ) from exc
                delay = self.retry.delay(attempt)
                await on_retry(
                    f"{problem.text}; retrying in {delay:.1f}s"
                    f" (attempt {attempt + 1} of {self.profile.max_retries + 1})"
                )
                await asyncio.sleep(delay)

    async def _why_empty(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> Exception | None:
        """An empty stream says nothing; the same request unstreamed gets the server's error
        as a status and a body (llama-cpp-python: 400 context_length_exceeded)."""
        if self.endpoint.wire_api != "chat":
            return None
        import openai

        try:
            await ask_once(self._client, self.endpoint.model, messages, tools)
        except openai.APIStatusError as exc:  # unless it only objects to the one-token cap
            return None if "max_tokens" in server_message(exc) else exc
        except Exception as exc:  # it could not say: the empty stream is all there is
            log.debug("asking why a stream was empty failed: %s", exc)
        return None

    def _problem(
        self, exc: Exception, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> Problem | None:
        """What went wrong, the fix that fits it, and whether another try could help."""
        import openai

        base, model = self.endpoint.base_url, self.endpoint.model
        if isinstance(exc, openai.APITimeoutError):
            return Problem(
                f"the model did not answer within {self.profile.timeout:g}s",
                f"the server may be busy or still loading {model!r}: raise timeout in the"
                f" model profile (now {self.profile.timeout:g}s) or check the server",
                retry=True,
            )
        if isinstance(exc, openai.APIConnectionError):
            return Problem(
                f"connection to {base} failed",
                f"check that {base} is up and serves the model {model!r}, then send again",
                retry=True,
            )
        if isinstance(exc, EmptyStream):
            return self._empty(messages, tools)
        if isinstance(exc, IncompleteStream):
            return Problem(
                "the connection dropped mid-reply",
                f"the server at {base} closed the stream early: its log says why; send again",
                retry=True,
            )
        if isinstance(exc, ResponsesFailed):
            return Problem(
                f"the model reported a failure: {exc}",
                "send again; if it keeps failing, check the model profile (model, wire_api)",
                retry=False,
            )
        if isinstance(exc, openai.APIStatusError):
            return self._status_problem(exc, tools)
        return None

    def _status_problem(self, exc: openai.APIStatusError, tools: list[dict[str, Any]]) -> Problem:
        import openai

        status, said = exc.status_code, server_message(exc)
        base, model = self.endpoint.base_url, self.endpoint.model
        if over_window(exc, said):
            if found := from_error(exc.body, said):
                self._learned_window = Window(found, f"the server's error at {base}")
            return Problem(
                f"the prompt is over the model's context window ({status}): {said}",
                self._window_fix(tools),
                retry=False,
            )
        if invalid(exc, said):
            return Problem(
                f"the server rejected the request as invalid ({status}): {said}",
                "retrying cannot help: check the model profile (model, wire_api); if it is"
                " right, this server does not accept what rigtui sends: please report it"
                " with the server's name, version and this message",
                retry=False,
            )
        if isinstance(exc, openai.RateLimitError):
            return Problem(
                f"rate limited (429): {said}",
                "wait a little and send again; the server or the account limits the rate",
                retry=True,
            )
        if status >= 500:
            return Problem(
                f"server error ({status}): {said}",
                f"the server at {base} failed on its side: its log has the details; send"
                " again once it is fixed",
                retry=True,
            )
        if isinstance(exc, openai.AuthenticationError):
            return Problem(
                f"the endpoint refused the API key (401) at {base}: {said}",
                f"check {self.profile.api_key_env}",
                retry=False,
            )
        if isinstance(exc, openai.NotFoundError):
            return Problem(
                f"not found (404) at {base}: {said}",
                f"check the model name {model!r} and base_url (it usually ends in /v1); set"
                " wire_api = 'chat' if the server has no Responses API",
                retry=False,
            )
        return Problem(
            f"the model rejected the request ({status}): {said}",
            "check the model profile's settings (model, wire_api, max_output_tokens)",
            retry=False,
        )

    def _empty(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Problem:
        prompt, window = estimate_tokens(messages, tools), self._known_window()
        size = f"~{prompt:,} tokens, ~{estimate_tokens([], tools):,} of them tool definitions"
        if prompt >= window.tokens * NEAR_WINDOW:
            return Problem(
                f"the server sent an empty reply to a prompt of {size}, near the context"
                f" window of {window.tokens:,} tokens ({window.source})",
                self._window_fix(tools),
                retry=False,
            )
        return Problem(
            "the server sent an empty reply (HTTP 200 with no data)",
            f"its log at {self.endpoint.base_url} says why. If its context window is smaller"
            f" than this prompt ({size}), set context_window in the model profile to it"
            " (llama-cpp-python: --n_ctx; llama.cpp: --ctx-size) so older turns are trimmed",
            retry=True,
        )

    def _window_fix(self, tools: list[dict[str, Any]]) -> str:
        return (
            "start a new thread or fork this one from an earlier message; or give the server a"
            " bigger window (llama-cpp-python: --n_ctx; llama.cpp: --ctx-size) and set"
            " context_window in the model profile to match. rigtui's tool definitions alone"
            f" take ~{estimate_tokens([], tools):,} tokens of it"
        )


def cost_of(profile: ModelProfile, input_tokens: int, output_tokens: int) -> float | None:
    if profile.input_price_per_mtok is None and profile.output_price_per_mtok is None:
        return None
    return (
        input_tokens * (profile.input_price_per_mtok or 0.0)
        + output_tokens * (profile.output_price_per_mtok or 0.0)
    ) / 1_000_000

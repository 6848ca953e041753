"""The model client: an `openai.AsyncOpenAI` per profile, one streamed reply per call, with
bounded, visible retries (exponential backoff and jitter) for 429, 5xx and dropped
connections. The SDK's own retries are off so every retry can be shown."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from rigtui.agent.wire import (
    Chunk,
    IncompleteStream,
    Reply,
    ResponsesFailed,
    StreamEnd,
    TextChunk,
    ToolChunk,
    stream_chat,
    stream_responses,
)
from rigtui.config import ModelProfile, Settings

if TYPE_CHECKING:  # the SDK costs ~0.5 s to import: loaded on the first model call instead
    import openai
from rigtui.errors import RigtuiError

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

    async def close(self) -> None:
        await self._client.close()

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
                problem = self._retryable(exc)
                if problem is None:
                    raise self._fatal(exc) from exc
                attempt += 1
                if attempt > self.profile.max_retries:
                    raise self._gave_up(problem, attempt - 1) from exc
                delay = self.retry.delay(attempt)
                await on_retry(
                    f"{problem}; retrying in {delay:.1f}s"
                    f" (attempt {attempt + 1} of {self.profile.max_retries + 1})"
                )
                await asyncio.sleep(delay)

    def _retryable(self, exc: Exception) -> str | None:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            return f"the model did not answer within {self.profile.timeout:g}s"
        if isinstance(exc, openai.APIConnectionError):
            return f"connection to {self.endpoint.base_url} failed"
        if isinstance(exc, IncompleteStream):
            return "the connection dropped mid-reply"
        if isinstance(exc, openai.RateLimitError):
            return "rate limited (429)"
        if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
            return f"server error ({exc.status_code})"
        return None

    def _gave_up(self, problem: str, retries: int) -> ModelUnavailable:
        return ModelUnavailable(
            f"model request failed after {retries} retries: {problem}",
            fix=f"check that {self.endpoint.base_url} is up and the model"
            f" {self.endpoint.model!r} is served, then send again",
        )

    def _fatal(self, exc: Exception) -> Exception:
        import openai

        if isinstance(exc, openai.AuthenticationError):
            return ModelUnavailable(
                f"the endpoint refused the API key (401) at {self.endpoint.base_url}",
                fix=f"check {self.profile.api_key_env}",
            )
        if isinstance(exc, openai.NotFoundError):
            return ModelUnavailable(
                f"not found (404) at {self.endpoint.base_url}: {_message(exc)}",
                fix=f"check the model name {self.endpoint.model!r} and base_url (it usually"
                " ends in /v1); set wire_api = 'chat' if the server has no Responses API",
            )
        if isinstance(exc, openai.APIStatusError):
            return ModelUnavailable(
                f"the model rejected the request ({exc.status_code}): {_message(exc)}",
                fix="check the model profile's settings",
            )
        if isinstance(exc, ResponsesFailed):
            return ModelUnavailable(f"the model reported a failure: {exc}")
        return exc


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


def cost_of(profile: ModelProfile, input_tokens: int, output_tokens: int) -> float | None:
    if profile.input_price_per_mtok is None and profile.output_price_per_mtok is None:
        return None
    return (
        input_tokens * (profile.input_price_per_mtok or 0.0)
        + output_tokens * (profile.output_price_per_mtok or 0.0)
    ) / 1_000_000

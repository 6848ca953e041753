"""How many tokens the model's context window holds, from the best source there is.

A server that says so wins over the profile's `context_window` when it is smaller (a server
started with a small window cannot be argued with): llama.cpp's server in `/props`
(`default_generation_settings.n_ctx`), vLLM (`max_model_len`), LM Studio
(`loaded_context_length`) and others in their models list. An error that names the window
(llama-cpp-python's `context_length_exceeded`, llama.cpp's `n_ctx`) teaches it too.
llama-cpp-python says it nowhere else: there the profile is the only source until an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

# Fields that hold the window a server runs with (never `n_ctx_train`, the training length).
WINDOW_FIELDS = (
    "n_ctx",
    "loaded_context_length",
    "max_model_len",
    "context_length",
    "context_window",
    "max_context_length",
)
_WINDOW_IN_TEXT = re.compile(
    r"(?:context length|context window|context size|n_ctx)\D{0,12}?(\d{3,})", re.IGNORECASE
)


@dataclass(frozen=True)
class Window:
    tokens: int
    source: str  # where it was read, for messages: "the profile", "the server's /props" ...


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _fields(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    for place in (data, data.get("meta")):
        if isinstance(place, dict):
            for key in WINDOW_FIELDS:
                if (found := _positive(place.get(key))) is not None:
                    return found
    return None


def from_models(body: Any, model: str) -> int | None:
    """The window in a models list (`GET /v1/models`), for `model` or the only one served."""
    entries = body.get("data") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict)]
    chosen = [e for e in entries if e.get("id") == model] or (entries if len(entries) == 1 else [])
    return _fields(chosen[0]) if chosen else None


def from_props(body: Any) -> int | None:
    """llama.cpp's `GET /props`."""
    if not isinstance(body, dict):
        return None
    return _fields(body.get("default_generation_settings")) or _fields(body)


def from_error(body: Any, message: str) -> int | None:
    """The window an over-the-window error names: a field (llama.cpp: `n_ctx`) or its words
    (llama-cpp-python: "This model's maximum context length is 512 tokens")."""
    found = _fields(body)
    if found is None and (match := _WINDOW_IN_TEXT.search(message)):
        found = int(match.group(1))
    return found


def props_url(base_url: str) -> str:
    """`/props` sits at the server's root, beside `/v1`."""
    parsed = urlparse(base_url)
    path = parsed.path.rstrip("/")
    if path.endswith("/v1"):
        path = path[: -len("/v1")]
    return parsed._replace(path=f"{path}/props", query="", fragment="").geturl()


def smallest(*windows: Window | None) -> Window:
    return min((w for w in windows if w is not None), key=lambda w: w.tokens)

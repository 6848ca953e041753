"""A server's error in its own words, and what kind of error it is.

Servers put the words in different places: OpenAI's `error.message`, vLLM's top-level
`message`, FastAPI's `detail` (a string or a list of field errors). llama-cpp-python wraps a
request it cannot validate as a 500 whose message is pydantic's error list, one Python dict
a line; the errors that matter are picked out of it."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import openai

SERVER_MESSAGE_CHARS = 400
_VALIDATION = re.compile(
    r"validation error|input should be|field required|extra inputs are not permitted"
    r"|none is not an allowed value",
    re.IGNORECASE,
)
_OVER_WINDOW = re.compile(
    r"context[ _](length|window|size)|maximum context|exceeds? the (available )?context",
    re.IGNORECASE,
)
_PYDANTIC_HEAD = re.compile(r"\d+ validation errors?", re.IGNORECASE)


def over_window(exc: openai.APIStatusError, said: str) -> bool:
    """The prompt does not fit the model's context window: trying again cannot help."""
    return bool(_OVER_WINDOW.search(said)) or _code(exc) == "context_length_exceeded"


def invalid(exc: openai.APIStatusError, said: str) -> bool:
    """The server could not validate the request, whatever the status: retrying cannot help."""
    return exc.status_code == 422 or bool(_VALIDATION.search(said))


def server_message(exc: openai.APIStatusError) -> str:
    """The server's own words: OpenAI's `error.message`, a top-level `message` (vLLM),
    FastAPI's `detail` (a string, or a list of field errors); whitespace flattened, capped."""
    body = exc.body
    said: str | None = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, str):
            said = inner
        elif isinstance(inner, dict):
            said = inner.get("message") or _detail(inner.get("detail"))
    elif isinstance(body, str) and body.strip():
        said = body
    said = str(said or exc.message)
    text = " ".join((_pydantic_errors(said) or said).split())
    return text if len(text) <= SERVER_MESSAGE_CHARS else text[: SERVER_MESSAGE_CHARS - 1] + "…"


def _pydantic_errors(text: str) -> str | None:
    """A pydantic error list as a server passed it on (llama-cpp-python: "7 validation
    errors:" then one Python dict a line), down to the errors that matter: for a message
    checked against a union of kinds, the kinds whose `role` did not match are noise."""
    lines = text.splitlines()
    head = _PYDANTIC_HEAD.match(lines[0].strip()) if lines else None
    if head is None:
        return None
    errors = []
    for line in lines[1:]:
        line = line.strip()
        if line.startswith("{") and len(line) < 20_000:
            try:
                error = ast.literal_eval(line)  # literals only: safe on a server's text
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(error, dict) and isinstance(error.get("loc"), tuple | list):
                errors.append(error)
    if not errors:
        return None
    ruled_out = {
        tuple(e["loc"][:-1])
        for e in errors
        if e.get("type") == "literal_error" and list(e["loc"][-1:]) == ["role"]
    }
    kept = [e for e in errors if tuple(e["loc"][:-1]) not in ruled_out] or errors
    parts = []
    for e in kept:
        got = e.get("input")
        shown = "" if "input" not in e or isinstance(got, dict | list) else f" (got {got!r})"
        parts.append(f"{'.'.join(str(p) for p in e['loc'])}: {e.get('msg', '')}{shown}")
    return f"{head.group(0)}: " + "; ".join(parts)


def _detail(detail: Any) -> str | None:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and detail:
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", []))
                parts.append(f"{where}: {item.get('msg', '')}".strip(": "))
        return "validation error: " + "; ".join(parts) if parts else None
    return None


def _code(exc: openai.APIStatusError) -> str:
    body = exc.body
    return str(body.get("code") or "") if isinstance(body, dict) else ""

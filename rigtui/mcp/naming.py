"""What the model sees of a server's tools: names within the API's limits, short descriptions,
schemas passed on (cleaned only where a provider rejects them), and what they cost in tokens.

OpenAI allows tool names matching ^[a-zA-Z0-9_-]{1,64}$: a tool is offered as `server__tool`
with every other character made `_`, cut to 64 with a short hash of the full name when longer,
and a number added when two come out the same."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from typing import Any

NAME_LIMIT = 64
DESCRIPTION_LIMIT = 300  # characters of a tool's description offered to the model
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def tool_name(server: str, tool: str, taken: set[str]) -> str:
    """`server__tool`, made safe for every provider and unique among `taken` (which it joins)."""
    full = f"{server}__{tool}"
    name = _UNSAFE.sub("_", full)
    if len(name) > NAME_LIMIT:
        digest = hashlib.sha256(full.encode()).hexdigest()[:8]
        name = f"{name[: NAME_LIMIT - 9]}_{digest}"
    base, n = name, 2
    while name in taken:
        suffix = f"_{n}"
        name = base[: NAME_LIMIT - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def short_description(text: str | None, limit: int = DESCRIPTION_LIMIT) -> str:
    """A description's first paragraph on one line, at most `limit` characters."""
    first = re.split(r"\n\s*\n", (text or "").strip(), maxsplit=1)[0]
    flat = " ".join(first.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_TOP_LEVEL_REJECTED = ("oneOf", "anyOf", "allOf", "not", "enum")


def clean_schema(schema: Any) -> dict[str, Any]:
    """The tool's input schema as OpenAI-compatible APIs accept it: an object at the top with
    `properties` (none of oneOf/anyOf/allOf/not/enum there), and every array with `items`.
    Everything else is passed on as the server wrote it."""
    cleaned: dict[str, Any] = copy.deepcopy(schema) if isinstance(schema, dict) else {}
    for key in _TOP_LEVEL_REJECTED:
        cleaned.pop(key, None)
    cleaned["type"] = "object"
    if not isinstance(cleaned.get("properties"), dict):
        cleaned["properties"] = {}
    _arrays_have_items(cleaned)
    return cleaned


def _arrays_have_items(node: Any) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if (kind == "array" or isinstance(kind, list) and "array" in kind) and "items" not in node:
            node["items"] = {}
        for value in node.values():
            _arrays_have_items(value)
    elif isinstance(node, list):
        for value in node:
            _arrays_have_items(value)


def token_cost(schemas: list[dict[str, Any]]) -> int:
    """About how many tokens these tool schemas add to every request (4 characters a token,
    the estimate rigtui uses where a server reports no usage)."""
    return len(json.dumps(schemas, ensure_ascii=False)) // 4 if schemas else 0

"""A server's prompts as commands from the message box: `/server:prompt args` is replaced by
the prompt's messages before it is sent. Arguments are `name=value` words, or plain words given
to the prompt's arguments in order (shell quoting: `focus="error handling"`):

    /github:review app.py
    /github:review path=app.py focus="error handling"

Text that does not start with `/NAME:` for a configured server is left as it is."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Protocol

from rigtui.mcp.connection import CallFailed, RemotePrompt

_COMMAND = re.compile(r"^/([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)(?:\s+(.*))?$", re.S)


class PromptError(Exception):
    """The text names a server's prompt that cannot be used as written; says why."""


class PromptSource(Protocol):
    """What expanding needs of rigtui.mcp.McpManager."""

    def server_names(self) -> list[str]: ...

    async def start(self, thread_id: str = "") -> None: ...

    def prompts(self) -> list[tuple[str, RemotePrompt]]: ...

    async def get_prompt(
        self, server: str, name: str, arguments: dict[str, str]
    ) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class PromptCommand:
    server: str
    prompt: str
    words: tuple[str, ...]


def parse(text: str) -> PromptCommand | None:
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    try:
        words = tuple(shlex.split(match[3] or ""))
    except ValueError as exc:
        raise PromptError(f"/{match[1]}:{match[2]}: {exc} in the arguments") from None
    return PromptCommand(match[1], match[2], words)


def arguments(prompt: RemotePrompt, words: tuple[str, ...]) -> dict[str, str]:
    """The prompt's arguments from `name=value` and plain words (in the prompt's order)."""
    names = [a.name for a in prompt.arguments]
    given: dict[str, str] = {}
    plain = iter(n for n in names)
    for word in words:
        name, eq, value = word.partition("=")
        if eq and name in names:
            given[name] = value
            continue
        slot = next((n for n in plain if n not in given), None)
        if slot is None:
            raise PromptError(f"{prompt.name} takes {_signature(prompt)}; {word!r} is one too many")
        given[slot] = word
    missing = [a.name for a in prompt.arguments if a.required and a.name not in given]
    if missing:
        raise PromptError(f"{prompt.name} needs {', '.join(missing)}: {_signature(prompt)}")
    return given


def _signature(prompt: RemotePrompt) -> str:
    parts = [a.name if a.required else f"[{a.name}]" for a in prompt.arguments]
    return " ".join(parts) if parts else "no arguments"


async def expand(source: PromptSource, text: str) -> str | None:
    """The message `text` stands for when it is a server's prompt command; None when it is
    not one (send it as it is); PromptError when it cannot be used."""
    command = parse(text) if text.startswith("/") else None
    if command is None or command.server not in source.server_names():
        return None
    await source.start()  # up already, or (again) now
    found = dict((p.name, p) for server, p in source.prompts() if server == command.server)
    prompt = found.get(command.prompt)
    if prompt is None:
        offered = ", ".join(f"/{command.server}:{n}" for n in found) or "none (or it is not up)"
        raise PromptError(f"MCP server {command.server} has no prompt {command.prompt!r}; it offers: {offered}")  # fmt: skip
    given = arguments(prompt, command.words)
    try:
        messages = await source.get_prompt(command.server, prompt.name, given)
    except CallFailed as exc:
        raise PromptError(exc.message) from None
    return "\n\n".join(text if role == "user" else f"({role}) {text}" for role, text in messages)

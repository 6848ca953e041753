"""`/commands` from the message box (and `rigtui exec "/review x"`): rigtui's built-ins and
custom prompts, Markdown files in the project's `.rigtui/prompts/` and the user's config
folder's `prompts/` (`~/.config/rigtui/prompts/` on Linux). `/review json` sends the text of
`review.md` with its arguments put in: `$ARGUMENTS` (all of them), `$1`..`$9` (shell-quoted
words), or, with neither in the file, the arguments appended on a line of their own.

A project's prompts come with its code, from whoever wrote it, so they are only text the user
chooses to send: one named like a built-in is left out (it can never shadow `/undo`), a user
prompt of the same name wins over it, a file that is a link out of the project is not read,
and a prompt's front matter (`description:`, `argument-hint:`) can change nothing else.
`/server:prompt` (an MCP server's prompt) is not a name here: rigtui.mcp.prompts reads it."""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from rigtui.errors import BadInput
from rigtui.paths import config_dir

PROJECT_PROMPTS = ".rigtui/prompts"
MAX_PROMPT_BYTES = 64 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_COMMAND = re.compile(r"^/([A-Za-z0-9][A-Za-z0-9_-]*)(?:\s+(.*))?$", re.S)


@dataclass(frozen=True)
class Builtin:
    name: str
    description: str
    hint: str = ""  # its arguments, for the completion
    headless: bool = False  # `rigtui exec` can do it


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("new", "start a new thread", "[title]"),
        Builtin("fork", "a new thread copying this one"),
        Builtin("model", "talk to another model profile in this thread", "[profile]"),
        Builtin("undo", "undo the last applied change set"),
        Builtin("redo", "re-apply the change set undone last"),
        Builtin("compact", "summarise the thread's older turns now", headless=True),
        Builtin("checks", "show the checks and run them now"),
        Builtin("threads", "show the thread list"),
        Builtin("help", "list the commands and prompts"),
    )
}


@dataclass(frozen=True)
class Prompt:
    name: str
    source: str  # project | user
    path: Path
    body: str
    description: str = ""
    hint: str = ""


@dataclass(frozen=True)
class BuiltinUse:
    builtin: Builtin
    argument: str


@dataclass(frozen=True)
class PromptUse:
    prompt: Prompt
    text: str  # the prompt with its arguments put in: what is sent


def user_prompts_dir() -> Path:
    return config_dir() / "prompts"


def load_prompts(root: Path) -> list[Prompt]:
    """The prompts a user can send in this project: theirs, then the project's that no
    built-in or user prompt already names; sorted by name."""
    mine = _read_folder(user_prompts_dir(), "user", None)
    taken = set(BUILTINS) | {p.name for p in mine}
    root = root.resolve()
    theirs = [
        p for p in _read_folder(root / PROJECT_PROMPTS, "project", root) if p.name not in taken
    ]
    return sorted([*mine, *theirs], key=lambda p: p.name)


def _read_folder(folder: Path, source: str, confine_to: Path | None) -> list[Prompt]:
    try:
        entries = sorted(folder.glob("*.md"))
    except OSError:
        return []
    found = []
    for path in entries:
        name = path.stem
        if not _NAME.fullmatch(name) or (source == "user" and name in BUILTINS):
            continue
        real = Path(os.path.realpath(path))
        if confine_to is not None and confine_to not in real.parents:
            continue  # a link out of the project: never read
        try:
            with open(real, "rb") as handle:
                data = handle.read(MAX_PROMPT_BYTES)
        except OSError:
            continue
        body, meta = _front_matter(data.decode("utf-8", errors="replace"))
        found.append(
            Prompt(
                name,
                source,
                path,
                body,
                description=meta.get("description", "")[:200],
                hint=meta.get("argument-hint", "")[:80],
            )  # fmt: skip
        )
    return found


def _front_matter(text: str) -> tuple[str, dict[str, str]]:
    """The body and the `key: value` lines of a leading `---` block (only two keys are read)."""
    if not text.startswith("---\n"):
        return text.strip(), {}
    end = text.find("\n---", 4)
    if end < 0:
        return text.strip(), {}
    meta = {}
    for line in text[4:end].splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() in ("description", "argument-hint"):
            meta[key.strip()] = value.strip().strip("\"'")
    return text[end + 4 :].lstrip("-").strip(), meta


def expand(prompt: Prompt, arguments: str) -> str:
    """The prompt's text with `arguments` put in."""
    body = prompt.body
    if "$ARGUMENTS" not in body and not re.search(r"\$[1-9]", body):
        return f"{body}\n\n{arguments}" if arguments else body
    try:
        words = shlex.split(arguments)
    except ValueError as exc:
        raise BadInput(
            f"/{prompt.name}: {exc} in the arguments", fix="close the quote, or leave it out"
        ) from None
    text = body.replace("$ARGUMENTS", arguments)
    return re.sub(
        r"\$([1-9])", lambda m: words[int(m[1]) - 1] if int(m[1]) <= len(words) else "", text
    )


def parse(text: str, prompts: list[Prompt]) -> BuiltinUse | PromptUse | None:
    """What a message starting with `/name` asks for; None for anything else (a path such as
    `/etc/hosts is wrong`, an MCP server's `/server:prompt`, `//` to send a slash). A name
    that is neither a built-in nor a prompt is BadInput naming both lists."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    name, argument = match[1], (match[2] or "").strip()
    if name in BUILTINS:
        return BuiltinUse(BUILTINS[name], argument)
    for prompt in prompts:
        if prompt.name == name:
            return PromptUse(prompt, expand(prompt, argument))
    raise BadInput(
        f"unknown command /{name}",
        fix=f"/help in the workbench lists the commands; prompts are Markdown files in {PROJECT_PROMPTS}/ or"
        f" {user_prompts_dir()}/; start the message with // to send a slash as text",
    )


def literal(text: str) -> str:
    """`//text` is sent as `/text`."""
    return text[1:] if text.startswith("//") else text


def help_text(prompts: list[Prompt]) -> str:
    lines = ["Commands:"]
    for b in BUILTINS.values():
        lines.append(f"  /{b.name} {b.hint}".rstrip() + f"  {b.description}")
    for p in prompts:
        lines.append(
            f"  /{p.name} {p.hint}".rstrip() + f"  {p.description or 'prompt'} ({p.source})"
        )
    return "\n".join(lines)

"""`@mentions` in a user message: `@src/app.py` attaches the file, `@Parser.parse` the symbol's
definition (from the code index). What is attached is read here, in the core, and confined to
the project, since a message may be pasted from anywhere:

- only a relative path inside the root: no absolute path, no `..`, and no symlink whose target
  is outside the project (the real path is checked, then that file is read);
- never a file that looks like a secret (`.env`, keys, credentials: SECRET_NAMES), whatever
  the ignore rules say; paste it yourself if you mean to send it;
- a file the project's ignore rules leave out is attached only when named in full (the
  completion never offers one) and its chip says "ignored";
- at most MAX_FILE_BYTES of one file and MAX_TOTAL_BYTES in all (less when the model's window
  is small: the caller passes a quarter of it); the chip says what was cut.

A mention that names nothing is left as text; one that looks like a path gets a notice."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.ignore import IgnoreRules
from rigtui.protocol import Attachment

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from rigtui.index.api import CodeIndex

MAX_FILE_BYTES = 32 * 1024
MAX_TOTAL_BYTES = 128 * 1024
MAX_MENTIONS = 20

# Names never attached: secrets a repository keeps beside its code (matched per path part).
SECRET_NAMES = (
    ".env", ".env.*", "*.env", ".envrc", "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*",
    "id_dsa*", "id_ecdsa*", "id_ed25519*", ".netrc", ".npmrc", ".pypirc", ".git-credentials",
    "credentials", "credentials.*", "*.kdbx", "secrets.*", ".git",
)  # fmt: skip

# `@` at the start or after a space (not in an e-mail address), then a quoted or bare word.
_MENTION = re.compile(r'(?:(?<=\s)|^)@(?:"([^"\n]+)"|([^\s"]+))')
_TRAILING = ".,;:!?)]}'"


@dataclass
class Mentions:
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be attached, and why


def mentioned(text: str) -> list[str]:
    """The words after each `@` in `text`, in order, each once (trailing punctuation off)."""
    found: list[str] = []
    for match in _MENTION.finditer(text):
        word = match[1] or match[2].rstrip(_TRAILING)
        if word and word not in found:
            found.append(word)
    return found


def is_secret(rel: str) -> bool:
    return any(
        fnmatch.fnmatch(part, pattern) for part in rel.split("/") for pattern in SECRET_NAMES
    )


class Refused(Exception):
    """A mention that names a file rigtui will not send; says why."""


def confined(root: Path, word: str) -> Path | None:
    """The file `word` names inside the project (its real path), None when it names no file;
    Refused when it names one outside the project or a secret."""
    if word.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", word):
        raise Refused(f"@{word}: only files inside the project can be attached (a relative path)")
    if ".." in Path(word).parts:
        raise Refused(f"@{word}: '..' is not allowed; name the file from the project root")
    root = root.resolve()
    candidate = root / word
    if not candidate.is_file():
        return None
    real = Path(os.path.realpath(candidate))
    if real != root and root not in real.parents:
        raise Refused(f"@{word}: it is a link to a file outside the project; not attached")
    rel = real.relative_to(root).as_posix()
    if is_secret(word) or is_secret(rel):
        raise Refused(
            f"@{word}: looks like a secret (keys, .env, credentials), so it is never attached;"
            " paste the part you mean to send"
        )
    return real


async def resolve(
    root: Path,
    text: str,
    index: CodeIndex | None | Callable[[], Awaitable[CodeIndex | None]],
    total_bytes: int = MAX_TOTAL_BYTES,
) -> Mentions:
    """The attachments the `@mentions` in `text` ask for, and notes for those refused.
    `index` may be a coroutine function, awaited only when a word names no file (the index's
    first run is not waited for when every mention is a path)."""
    import asyncio

    result = Mentions()
    budget = min(total_bytes, MAX_TOTAL_BYTES)
    ignore = IgnoreRules(root.resolve())
    for word in mentioned(text)[:MAX_MENTIONS]:
        try:
            path = await asyncio.to_thread(confined, root, word)
        except Refused as exc:
            result.notes.append(str(exc))
            continue
        if path is not None:
            attachment = await asyncio.to_thread(_file, root, word, path, ignore, budget)
        else:
            if callable(index):
                index = await index()
            attachment = await _symbol(root, word, index, ignore, budget)
        if isinstance(attachment, str):
            result.notes.append(attachment)
        elif attachment is not None:
            budget -= attachment["sent"]
            result.attachments.append(attachment)
        elif _looks_like_a_path(word):
            result.notes.append(f"@{word}: no such file or symbol in the project; sent as text")
    return result


def _looks_like_a_path(word: str) -> bool:
    """`@src/x`, `@notes.txt`: worth a note when missing (`@dataclass`, `@app.route`, pasted
    decorators, are not)."""
    return "/" in word or re.fullmatch(r"\.[A-Za-z0-9]{1,4}", Path(word).suffix) is not None


def _read_capped(path: Path, cap: int) -> tuple[bytes, int]:
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return handle.read(max(0, cap)), size


def _file(root: Path, word: str, path: Path, ignore: IgnoreRules, budget: int) -> Attachment | str:
    rel = path.relative_to(root.resolve()).as_posix()
    if budget <= 0:
        return f"@{word}: not attached, the message already carries all the window allows"
    try:
        data, size = _read_capped(path, min(MAX_FILE_BYTES, budget))
    except OSError as exc:
        return f"@{word}: cannot be read ({exc.strerror}); not attached"
    if b"\0" in data[:8192]:
        return f"@{word}: a binary file; not attached"
    return Attachment(
        kind="file", path=rel, name=rel, start_line=0, end_line=0, size=size, sent=len(data),
        ignored=ignore.is_ignored(rel, is_dir=False),
        text=data.decode("utf-8", errors="replace"),
    )  # fmt: skip


async def _symbol(
    root: Path, word: str, index: CodeIndex | None, ignore: IgnoreRules, budget: int
) -> Attachment | str | None:
    """The definition of the symbol `word` names (the index's best match), or None."""
    import asyncio

    if index is None or not re.fullmatch(r"[A-Za-z_][\w.]*", word):
        return None
    symbols = await index.afind_symbol(word, limit=5)
    if not symbols:
        return None
    symbol = symbols[0]
    try:
        path = await asyncio.to_thread(confined, root, symbol.path)
    except Refused as exc:
        return str(exc)
    if path is None:
        return None
    if budget <= 0:
        return f"@{word}: not attached, the message already carries all the window allows"
    lines = (await asyncio.to_thread(path.read_bytes)).splitlines(keepends=True)
    body = b"".join(lines[symbol.line - 1 : max(symbol.line, symbol.end_line)])
    sent = body[: min(MAX_FILE_BYTES, budget)]
    return Attachment(
        kind="symbol", path=symbol.path, name=symbol.qualname, start_line=symbol.line,
        end_line=max(symbol.line, symbol.end_line), size=len(body), sent=len(sent),
        ignored=ignore.is_ignored(symbol.path, is_dir=False),
        text=sent.decode("utf-8", errors="replace"),
    )  # fmt: skip

"""What the message box offers as you type: `@` completes files (fuzzy, from the code index's
list of the project's files, or a walk of them when there is no index) and symbols (by name
prefix, then fuzzy, from the index); `/` completes the built-in commands, the custom prompts
(saying whether each is the project's or yours) and the MCP servers' prompts.

Files the ignore rules leave out and files that look like secrets are never offered (an
ignored file can still be attached by typing its whole path; a secret never is)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.ignore import IgnoreRules
from rigtui.session.mentions import is_secret
from rigtui.session.slash import BUILTINS, load_prompts

if TYPE_CHECKING:
    from rigtui.index.api import CodeIndex
    from rigtui.mcp.manager import McpManager
    from rigtui.session.runtime import ProjectRuntime

LIMIT = 12
WALK_LIMIT = 50_000  # files listed by a walk (no index); a bigger project wants the index
WALK_TTL = 30.0  # seconds a walk's list is reused


@dataclass(frozen=True)
class Completion:
    insert: str  # what replaces the word being typed (with its @ or /)
    label: str  # what the menu shows
    detail: str  # what it is: file, function, built-in, project prompt ...


def fuzzy_score(query: str, path: str) -> int | None:
    """How well `query` matches `path` (higher is better), None when its letters are not all
    in it in order. The file's whole name beats a match in it, one in the name beats one in
    its folders, a prefix beats a substring, a substring beats scattered letters; fewer gaps beat more."""
    q, p = query.lower(), path.lower()
    name = p.rsplit("/", 1)[-1]
    if q in (name, name.split(".", 1)[0]):
        return 5000 - len(p)
    if name.startswith(q):
        return 4000 - len(p)
    if q in name:
        return 3000 - len(p)
    if q in p:
        return 2000 - len(p)
    position, gaps, last = 0, 0, -1
    for char in q:
        found = p.find(char, position)
        if found < 0:
            return None
        gaps += found != last + 1
        last, position = found, found + 1
    return 1000 - 10 * gaps - len(p)


def rank_paths(query: str, paths: list[str], limit: int = LIMIT) -> list[str]:
    if not query:
        return sorted(paths, key=lambda p: (p.count("/"), p))[:limit]
    scored = [(score, p) for p in paths if (score := fuzzy_score(query, p)) is not None]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [p for _, p in scored[:limit]]


def _symbols(index: CodeIndex, query: str, limit: int) -> list[Completion]:
    """Symbols named `query...` first, then those holding its letters in order."""
    symbols = index.symbols_starting(query, limit)
    if len(symbols) < limit:
        seen = {(s.path, s.line) for s in symbols}
        more = index.symbols_containing(query, limit)
        symbols += [s for s in more if (s.path, s.line) not in seen][: limit - len(symbols)]
    return [
        Completion(f"@{s.qualname}", f"{s.qualname}  {s.path}:{s.line}", s.kind)
        for s in symbols
        if not is_secret(s.path)
    ]


def quoted(path: str) -> str:
    return f'@"{path}"' if " " in path else f"@{path}"


class Completer:
    def __init__(self, root: Path, runtime: ProjectRuntime, mcp: McpManager | None) -> None:
        self.root = root
        self.runtime = runtime
        self.mcp = mcp
        self._walked: tuple[float, list[str]] | None = None

    async def mentions(self, query: str, limit: int = LIMIT) -> list[Completion]:
        """Files (fuzzy) and then symbols (by prefix) for `@query`."""
        paths = await self._paths()
        files = await asyncio.to_thread(rank_paths, query, paths, limit)
        found = [Completion(quoted(p), p, "file") for p in files]
        index = self.runtime.index  # only once its first run ended: never waited for here
        if index is not None and query and query.replace("_", "a").isalnum():
            found += await asyncio.to_thread(_symbols, index, query, limit)
        return found[: limit + limit // 2]

    async def _paths(self) -> list[str]:
        index = self.runtime.index
        if index is not None:
            paths = await asyncio.to_thread(index.paths)
        else:
            paths = await self._walk()
        return [p for p in paths if not is_secret(p)]

    async def _walk(self) -> list[str]:
        if self._walked is not None and time.monotonic() - self._walked[0] < WALK_TTL:
            return self._walked[1]

        def walk() -> list[str]:
            found = []
            for path in IgnoreRules(self.root).walk():
                found.append(path.as_posix())
                if len(found) >= WALK_LIMIT:
                    break
            return found

        paths = await asyncio.to_thread(walk)
        self._walked = (time.monotonic(), paths)
        return paths

    async def commands(self, query: str) -> list[Completion]:
        """`/query`: the built-ins, the custom prompts and the MCP servers' prompts."""
        q = query.lower()
        found = [
            Completion(f"/{b.name}", f"/{b.name} {b.hint}".rstrip(), f"built-in: {b.description}")
            for b in BUILTINS.values()
            if b.name.startswith(q)
        ]
        for prompt in await asyncio.to_thread(load_prompts, self.root):
            if prompt.name.lower().startswith(q):
                what = f"{prompt.source} prompt" + (
                    f": {prompt.description}" if prompt.description else ""
                )
                found.append(
                    Completion(f"/{prompt.name}", f"/{prompt.name} {prompt.hint}".rstrip(), what)
                )
        if self.mcp is not None:
            for server, prompt in self.mcp.prompts():
                name = f"{server}:{prompt.name}"
                if name.lower().startswith(q) or prompt.name.lower().startswith(q):
                    found.append(Completion(f"/{name}", f"/{name}", f"MCP server {server}"))
        return found

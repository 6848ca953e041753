"""`CodeIndex`: the one object the CLI, the UI and the agent's tools use.

    index = CodeIndex.open(root)          # creates <data>/projects/<key>/index.db
    index.update(progress=print)          # walk, parse what changed, write; -> IndexReady
    index.find_symbol("Parser.parse")     # -> [Symbol]
    index.search("parse_config")          # -> [SearchHit]
    index.repo_map(1024, focus_files=["src/app.py"])
    index.close()

Everything is synchronous and thread-safe; the `a*` methods run the same calls in a worker
thread for asyncio callers (the TUI, the agent)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Concatenate, ParamSpec, TypeVar

from rigtui.config import load_settings
from rigtui.ignore import IgnoreRules
from rigtui.index import lookup, repomap
from rigtui.index.indexer import Indexer, ProgressCallback, collect_unreadable
from rigtui.index.lookup import Reference, SearchHit, Symbol
from rigtui.index.store import IndexStore
from rigtui.paths import project_data_dir
from rigtui.protocol import IndexReady
from rigtui.store.sqlite_files import translated

DB_NAME = "index.db"


def index_db_path(root: Path) -> Path:
    return project_data_dir(Path(root).resolve()) / DB_NAME


P = ParamSpec("P")
R = TypeVar("R")


def _store_errors(
    method: Callable[Concatenate[CodeIndex, P], R],
) -> Callable[Concatenate[CodeIndex, P], R]:
    """A failing index database (disk full, damaged, a table gone) raises StoreError naming
    the file and the fix, never a bare sqlite3 error."""

    @functools.wraps(method)
    def wrapper(self: CodeIndex, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with translated(self.store.path):
            return method(self, *args, **kwargs)

    return wrapper


async def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    """asyncio.to_thread, imported when an async caller (the workbench) first asks: the CLI's
    commands never load asyncio for the index."""
    import asyncio

    return await asyncio.to_thread(fn, *args)


class CodeIndex:
    def __init__(self, root: Path, store: IndexStore, max_file_size: int) -> None:
        self.root = Path(root).resolve()
        self.store = store
        self.indexer = Indexer(self.root, store, max_file_size)
        self._graph: repomap.Graph | None = None
        self._graph_lock = threading.Lock()

    @classmethod
    def open(
        cls, root: Path, *, db_path: Path | None = None, max_file_size: int | None = None
    ) -> CodeIndex:
        """Open the project's index (settings from `root`); StoreError for a bad database."""
        root = Path(root).resolve()
        if max_file_size is None:
            max_file_size = load_settings(root).index.max_file_size
        store = IndexStore.open(db_path or index_db_path(root))
        return cls(root, store, max_file_size)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> CodeIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def db_path(self) -> Path:
        return self.store.path

    @_store_errors
    def is_empty(self) -> bool:
        """True until the first run has stored anything."""
        return self.store.file_count() == 0

    # --- keeping up to date -----------------------------------------------------------------

    @_store_errors
    def update(
        self, progress: ProgressCallback | None = None, workers: int | None = None
    ) -> IndexReady:
        return self.indexer.run(progress, workers)

    @_store_errors
    def update_paths(self, paths: list[str], unreadable: dict[str, str] | None = None) -> list[str]:
        """Re-index just these files (added, changed or deleted); returns the ones that changed.
        Folders that cannot be read are added to `unreadable` (folder -> why)."""
        note = None if unreadable is None else collect_unreadable(unreadable)
        return self.indexer.update_paths(paths, note)

    # --- retrieval --------------------------------------------------------------------------

    @_store_errors
    def find_symbol(self, name: str, limit: int = 50) -> list[Symbol]:
        return lookup.find_symbol(self.store, name, limit)

    @_store_errors
    def symbols_starting(self, prefix: str, limit: int = 20) -> list[Symbol]:
        return lookup.symbols_starting(self.store, prefix, limit)

    @_store_errors
    def symbols_containing(self, letters: str, limit: int = 20) -> list[Symbol]:
        return lookup.symbols_containing(self.store, letters, limit)

    @_store_errors
    def paths(self) -> list[str]:
        """Every file the index walked (the project's files that are not ignored)."""
        return sorted(self.store.file_states())

    @_store_errors
    def references(self, name: str, limit: int = 500) -> list[Reference]:
        return lookup.references(self.store, name, limit)

    @_store_errors
    def outline(self, path: str | Path) -> list[Symbol]:
        rel = IgnoreRules(self.root).relative(path) if Path(path).is_absolute() else str(path)
        return lookup.outline(self.store, rel or "")

    @_store_errors
    def search(self, text: str, limit: int = 20, *, prefix: bool = False) -> list[SearchHit]:
        return lookup.search(self.store, text, limit, prefix=prefix)

    @_store_errors
    def repo_map(
        self,
        token_budget: int = 1024,
        focus_files: list[str] | tuple[str, ...] = (),
        focus_symbols: list[str] | tuple[str, ...] = (),
    ) -> str:
        rels = [self._relative(p) for p in focus_files]
        return repomap.repo_map(self.store, self.graph(), token_budget, rels, focus_symbols)

    @_store_errors
    def graph(self) -> repomap.Graph:
        """The def/ref graph, rebuilt only when the index changed since it was built."""
        with self._graph_lock:
            generation = self.store.generation()
            if self._graph is None or self._graph.generation != generation:
                self._graph = repomap.load_graph(self.store)
            return self._graph

    def _relative(self, path: str) -> str:
        if Path(path).is_absolute():
            return IgnoreRules(self.root).relative(path) or path
        return Path(path).as_posix().removeprefix("./")

    # --- for asyncio callers ----------------------------------------------------------------

    async def aupdate(self, progress: ProgressCallback | None = None) -> IndexReady:
        return await _in_thread(self.update, progress)

    async def aupdate_paths(
        self, paths: list[str], unreadable: dict[str, str] | None = None
    ) -> list[str]:
        return await _in_thread(self.update_paths, paths, unreadable)

    async def afind_symbol(self, name: str, limit: int = 50) -> list[Symbol]:
        return await _in_thread(self.find_symbol, name, limit)

    async def asearch(self, text: str, limit: int = 20, *, prefix: bool = False) -> list[SearchHit]:
        return await _in_thread(lambda: self.search(text, limit, prefix=prefix))

    async def aoutline(self, path: str | Path) -> list[Symbol]:
        return await _in_thread(self.outline, path)

    async def arepo_map(
        self,
        token_budget: int = 1024,
        focus_files: list[str] | tuple[str, ...] = (),
        focus_symbols: list[str] | tuple[str, ...] = (),
    ) -> str:
        return await _in_thread(self.repo_map, token_budget, focus_files, focus_symbols)

"""Bring the index up to date with the files on disk.

A run walks the project with the shared ignore rules, keeps every file whose size and mtime
match the database, and re-reads the rest: a file whose content hash is unchanged only gets
its new mtime, the others are parsed (in a process pool when there are many) and only their
rows that changed are rewritten (see rowdiff). Files gone from disk are removed. All writes of
a run share one transaction. Single paths (the live index) are re-parsed from their last
syntax tree when the indexer still holds it (see reparse)."""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rigtui.ignore import IgnoreRules
from rigtui.index.scan import (
    GONE,
    OK,
    TOO_LARGE,
    UNCHANGED,
    FileResult,
    process_batch,
    process_file,
    start_worker,
)
from rigtui.index.store import FileState, IndexStore
from rigtui.protocol import IndexProgress, IndexReady

if TYPE_CHECKING:
    import multiprocessing.context
    from concurrent.futures import Future

    from rigtui.index.reparse import TreeCache

ProgressCallback = Callable[[IndexProgress], None]
UnreadableCallback = Callable[[str, OSError], None]  # a folder (relative; "" the root), why

POOL_THRESHOLD = 150  # fewer changed files than this are parsed in-process
BATCH_FILES = 24
BATCH_BYTES = 1024 * 1024  # of source per batch (a larger file goes alone)


def worker_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def collect_unreadable(into: dict[str, str]) -> UnreadableCallback:
    """A callback that notes each unreadable folder in `into` (folder -> why)."""

    def note(rel: str, exc: OSError) -> None:
        into[rel or "."] = (exc.strerror or str(exc)).lower()

    return note


def batches(todo: list, sizes: list[int], max_file_size: int) -> Iterator[list]:
    """`todo` in runs of at most BATCH_FILES files and BATCH_BYTES of source, a larger file
    alone (one over `max_file_size` is not read, so it weighs nothing): a worker holds one
    batch's rows at a time and the writer a few batches, whatever the files' sizes."""
    batch: list = []
    weight = 0
    for item, size in zip(todo, sizes, strict=True):
        size = size if size <= max_file_size else 0
        if batch and (len(batch) >= BATCH_FILES or weight + size > BATCH_BYTES):
            yield batch
            batch, weight = [], 0
        batch.append(item)
        weight += size
    if batch:
        yield batch


def _pool_context() -> multiprocessing.context.BaseContext:
    import multiprocessing

    # fork is fastest, but forking a process that runs other threads (the TUI) can deadlock.
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class Indexer:
    def __init__(self, root: Path, store: IndexStore, max_file_size: int) -> None:
        self.root = Path(root).resolve()
        self.store = store
        self.max_file_size = max_file_size
        self.rules = IgnoreRules(self.root)
        self._trees: TreeCache | None = None  # files saved one by one: re-parsed incrementally

    # --- full runs --------------------------------------------------------------------------

    @property
    def trees(self) -> TreeCache:
        if self._trees is None:
            from rigtui.index.reparse import TreeCache  # tree-sitter: once a file is parsed

            self._trees = TreeCache()
        return self._trees

    def run(
        self, progress: ProgressCallback | None = None, workers: int | None = None
    ) -> IndexReady:
        started = time.perf_counter()
        states = self.store.file_states()
        unreadable: dict[str, str] = {}
        todo, sizes, seen = self._changed_files(states, collect_unreadable(unreadable))
        gone = [state.id for path, state in states.items() if path not in seen]
        changed = 0
        if todo or gone:
            cold = not states
            with self.store.transaction():
                if cold:
                    self.store.drop_indexes()
                for file_id in gone:
                    self.store.delete_file(file_id)
                for result in self._results(todo, sizes, progress, workers):
                    changed += self._write(result, states.get(result.path))
                if cold:
                    self.store.create_indexes()
        return self.summary(changed, len(gone), time.perf_counter() - started, unreadable)

    def _changed_files(
        self, states: dict[str, FileState], unreadable: UnreadableCallback
    ) -> tuple[list, list[int], set[str]]:
        """The files to read (path, the hash stored when it was indexed), their sizes, and
        every path the walk found."""
        todo: list[tuple[str, str | None]] = []
        sizes: list[int] = []
        seen: set[str] = set()
        for rel, entry in self.rules.walk_entries(unreadable=unreadable):
            seen.add(rel)
            old = states.get(rel)
            try:
                st = entry.stat()  # follows a link, as reading the file does
            except OSError:
                if old is not None:
                    seen.discard(rel)
                    continue
                st = None  # a new file gone already: its worker says so
            if old is not None and st is not None:
                same = st.st_size == old.size and st.st_mtime_ns == old.mtime_ns
                if same and not self._limit_moved(old):
                    continue
            todo.append((rel, old.hash if old is not None and old.status == OK else None))
            sizes.append(st.st_size if st is not None else 0)
        return todo, sizes, seen

    def _limit_moved(self, old: FileState) -> bool:
        """Whether `max_file_size` changed sides for this file since it was indexed: skipped
        as too large but now within the limit, or indexed but now over it."""
        return (old.status == TOO_LARGE) != (old.size > self.max_file_size)

    def _results(
        self,
        todo: list[tuple[str, str | None]],
        sizes: list[int],
        progress: ProgressCallback | None,
        workers: int | None,
    ) -> Iterator[FileResult]:
        total = len(todo)
        if progress:
            progress(IndexProgress(done=0, total=total))
        workers = workers or worker_count()
        if total < POOL_THRESHOLD or workers < 2:
            source: Iterable[list[FileResult]] = (
                [process_file(self.root, rel, self.max_file_size, known)] for rel, known in todo
            )
        else:
            todo, sizes = self._largest_first(todo, sizes)
            source = self._pooled(deque(batches(todo, sizes, self.max_file_size)), workers)
        done = 0
        for batch in source:
            yield from batch
            done += len(batch)
            if progress:
                progress(IndexProgress(done=done, total=total))

    def _largest_first(
        self, todo: list[tuple[str, str | None]], sizes: list[int]
    ) -> tuple[list[tuple[str, str | None]], list[int]]:
        """The files from the largest to the smallest (one over the size limit is not read:
        it weighs nothing), so the last batches are quick: the workers finish together rather
        than one parsing a megabyte while the others wait."""
        limit = self.max_file_size
        order = sorted(range(len(todo)), key=lambda i: -sizes[i] if sizes[i] <= limit else 0)
        return [todo[i] for i in order], [sizes[i] for i in order]

    def _pooled(
        self, queue: deque[list[tuple[str, str | None]]], workers: int
    ) -> Iterator[list[FileResult]]:
        """Batches parsed by the pool (taken from the front of `queue`, the largest first), at
        most a few in flight per worker so memory stays flat when writing is slower than
        parsing. Until the first result comes back (spawned workers take half a second to
        start, importing everything again, leaving a core idle), this process parses batches
        too, from the back of the queue: the small ones, so it is soon free to write."""
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # the pool only

        root, limit = str(self.root), self.max_file_size
        pending: set[Future[list[FileResult]]] = set()
        context = _pool_context()
        with ProcessPoolExecutor(workers, context, initializer=start_worker) as pool:
            while queue and len(pending) < workers * 3:
                pending.add(pool.submit(process_batch, root, queue.popleft(), limit))
            while queue and not any(future.done() for future in pending):
                yield process_batch(root, queue.pop(), limit)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    if queue:
                        pending.add(pool.submit(process_batch, root, queue.popleft(), limit))
                    yield future.result()

    def _write(self, result: FileResult, old: FileState | None) -> int:
        """Store one result; returns 1 when the file's content changed."""
        if result.status == GONE:
            if old is not None:
                self.store.delete_file(old.id)
            return 0
        if result.status == UNCHANGED and old is not None:
            self.store.touch_file(old.id, result.size, result.mtime_ns)
            return 0
        self.store.write_result(result, old)
        return 1

    # --- single paths (the live index) ------------------------------------------------------

    def update_paths(
        self, paths: Iterable[str], unreadable: UnreadableCallback | None = None
    ) -> list[str]:
        """Re-read just these paths (relative or absolute); returns those whose index changed.
        A path is indexed only when a full run would index it too (`IgnoreRules.reaches`):
        never through a symlink out of the project. Folders that cannot be read are skipped
        (their files leave the index, as in a full run) and passed to `unreadable`."""
        touched: list[str] = []
        with self.store.transaction():
            for raw in paths:
                rel = self.rules.relative(raw)
                if not rel:
                    continue
                full = self.root / rel
                if os.path.isdir(
                    full
                ):  # a folder moved in: its files may bring no events of their own
                    if self.rules.reaches(rel, is_dir=True):
                        touched += self._update_folder(rel, unreadable)
                    else:  # ignored, or a link out of the project (or to a folder indexed already)
                        touched += self._remove_folder(rel)
                    continue
                old = self._state(rel)
                if old is None and not os.path.exists(full):  # a folder removed or moved away
                    touched += self._remove_folder(rel)
                    continue
                if not os.path.isfile(full) or not self.rules.reaches(rel, is_dir=False):
                    if old is not None:
                        self.store.delete_file(old.id)
                        touched.append(rel)
                    continue
                known = old.hash if old is not None and old.status == OK else None
                result = process_file(self.root, rel, self.max_file_size, known, self.trees)
                if self._write(result, old) or result.status == GONE:
                    touched.append(rel)
        return touched

    def _update_folder(self, rel: str, unreadable: UnreadableCallback | None) -> list[str]:
        touched = []
        seen = set()
        # its own rules object: a full run may be walking with `self.rules` in another thread
        for path in IgnoreRules(self.root).walk(under=rel, unreadable=unreadable):
            child = path.as_posix()
            seen.add(child)
            old = self._state(child)
            known = old.hash if old is not None and old.status == OK else None
            if self._write(process_file(self.root, child, self.max_file_size, known), old):
                touched.append(child)
        for file_id, path in self._rows_under(rel):  # gone, or in a folder no longer readable
            if path not in seen:
                self.store.delete_file(file_id)
                touched.append(path)
        return touched

    def _rows_under(self, rel: str) -> list[tuple[int, str]]:
        prefix = rel.rstrip("/") + "/"
        return self.store.conn.execute(
            "SELECT id, path FROM files WHERE path >= ? AND path < ?", (prefix, prefix[:-1] + "0")
        ).fetchall()

    def _remove_folder(self, rel: str) -> list[str]:
        rows = self._rows_under(rel)
        for file_id, _ in rows:
            self.store.delete_file(file_id)
        return [path for _, path in rows]

    def _state(self, rel: str) -> FileState | None:
        row = self.store.conn.execute(
            "SELECT id, size, mtime_ns, hash, status FROM files WHERE path=?", (rel,)
        ).fetchone()
        return FileState(*row) if row else None

    # --- summary ----------------------------------------------------------------------------

    def summary(
        self,
        changed: int,
        removed: int,
        seconds: float,
        unreadable: dict[str, str] | None = None,
    ) -> IndexReady:
        by_status = dict(self.store.rows("SELECT status, count(*) FROM files GROUP BY status"))
        warnings = self.store.rows(
            "SELECT coalesce(sum(non_utf8), 0), coalesce(sum(syntax_error), 0),"
            " coalesce(sum(partial), 0) FROM files"
        )[0]
        partial = [r[0] for r in self.store.rows(
            "SELECT path FROM files WHERE partial = 1 ORDER BY path LIMIT 20"
        )]  # fmt: skip
        return IndexReady(
            files=int(by_status.pop(OK, 0)),
            symbols=int(self.store.scalar("SELECT count(*) FROM defs")),
            changed=changed,
            removed=removed,
            seconds=round(seconds, 4),
            skipped={k: int(v) for k, v in sorted(by_status.items())},
            warnings={
                "non_utf8": int(warnings[0]),
                "syntax_error": int(warnings[1]),
                "partial": int(warnings[2]),
            },  # fmt: skip
            unreadable=unreadable or {},
            partial=partial,
        )

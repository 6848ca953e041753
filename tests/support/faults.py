"""Faults injected into the patch engine's writes, for the crash-safety tests: `hook(path)`
runs once a file has been replaced, before the next one is (or before the folders are tidied,
after the last). A hook that raises is an I/O error there; one that calls `os._exit` is a crash.
Nothing in rigtui exists for this: the engine's own steps are wrapped.

    with after_each_replace(fail_on_second):   # in a test
        apply_proposal(proposal)
    install(lambda path: os._exit(9))           # in a child process's script
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from rigtui.edits import atomic


def install(hook: Callable[[str], None]) -> Callable[[], None]:
    """Wrap the engine's steps so `hook` runs after each replaced file; returns the undo."""
    put, prune, restore = atomic._put, atomic._prune, atomic.restore
    replaced: list[str] = []
    rolling_back: list[bool] = []  # a roll-back's own writes are not faults' business

    def told() -> None:  # the last file replaced: its hook runs now, once
        if replaced and not rolling_back:
            hook(replaced.pop())

    def put_next(fs: Any, path: str, temp: Any) -> Any:
        told()
        result = put(fs, path, temp)
        if not rolling_back:
            replaced.append(path)
        return result

    def prune_after(*args: Any, **kwargs: Any) -> Any:
        told()
        return prune(*args, **kwargs)

    def restore_quietly(*args: Any, **kwargs: Any) -> Any:
        rolling_back.append(True)
        try:
            return restore(*args, **kwargs)
        finally:
            rolling_back.pop()

    atomic._put, atomic._prune = put_next, prune_after  # type: ignore[assignment]
    atomic.restore = restore_quietly  # type: ignore[assignment]

    def undo() -> None:
        atomic._put, atomic._prune, atomic.restore = put, prune, restore  # type: ignore[assignment]

    return undo


@contextlib.contextmanager
def after_each_replace(hook: Callable[[str], None]) -> Iterator[None]:
    undo = install(hook)
    try:
        yield
    finally:
        undo()

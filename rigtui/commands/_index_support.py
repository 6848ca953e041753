"""What the index's CLI commands share: the `--path`/`--json` options, opening an index that
is brought up to date first (so a query on a never-indexed project just works), a progress
bar on a terminal only, and printing."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from rigtui.commands._common import project_root
from rigtui.display import json_line
from rigtui.errors import BadInput
from rigtui.index.api import CodeIndex
from rigtui.index.notes import partial_note, unreadable_note
from rigtui.protocol import IndexProgress, IndexReady

BAR_WIDTH = 30


def add_common_arguments(parser: argparse.ArgumentParser, *, path: bool = True) -> None:
    if path:
        parser.add_argument(
            "--path", default=".", metavar="DIR", help="project folder (default: .)"
        )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--no-update",
        action="store_true",
        help="answer from the index as it is, without first taking in changed files",
    )


class ProgressBar:
    """A one-line bar on stderr, drawn only when stderr is a terminal and at most ~20 times
    a second."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress: IndexProgress) -> None:
        if not self.enabled or progress.total == 0:
            return
        now = time.monotonic()
        if now - self._last < 0.05 and progress.done < progress.total:
            return
        self._last = now
        filled = BAR_WIDTH * progress.done // progress.total
        bar = "█" * filled + "·" * (BAR_WIDTH - filled)
        self.stream.write(f"\rindexing {bar} {progress.done}/{progress.total} files")
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


def open_index(path: str, *, update: bool = True) -> CodeIndex:
    """The project's index, up to date unless `update` is false (then indexed only if it never
    was). A bad PATH raises BadInput (exit 2)."""
    root = project_root(path)
    index = CodeIndex.open(root)
    if update or index.is_empty():
        run_update(index)
    return index


def run_update(index: CodeIndex, workers: int | None = None) -> IndexReady:
    """Bring the index up to date (a progress bar on a terminal); folders that cannot be read
    are skipped with one warning line on stderr."""
    bar = ProgressBar()
    try:
        ready = index.update(progress=bar, workers=workers)
    finally:
        bar.finish()
    if ready.unreadable:
        print(f"rigtui: warning: {unreadable_note(ready.unreadable)}", file=sys.stderr)
    return ready


def summary_text(ready: IndexReady) -> str:
    parts = [
        f"{ready.files} files, {ready.symbols} symbols in {ready.seconds:.2f} s"
        f" ({ready.changed} changed, {ready.removed} removed)"
    ]
    if ready.skipped:
        parts.append("skipped: " + ", ".join(f"{k} {v}" for k, v in ready.skipped.items()))
    warned = {k: v for k, v in ready.warnings.items() if v}
    if warned:
        parts.append("indexed with warnings: " + ", ".join(f"{k} {v}" for k, v in warned.items()))
    text = "; ".join(parts)
    note = partial_note(ready)
    return f"{text}\n{note}" if note else text


def print_json(data: Any) -> None:
    """One JSON value on one line: a summary object, or (via `print_json_lines`) each item of
    a list, as every rigtui command with --json prints lists (JSON Lines)."""
    print(json_line(data))


def print_json_lines(items: Iterable[Any]) -> None:
    for item in items:
        print_json(item)


def nothing_found(message: str, as_json: bool) -> int:
    """Exit code 1, with no JSON lines or a line on stderr."""
    if not as_json:
        print(message, file=sys.stderr)
    return 1


def project_relative(index: CodeIndex, raw: str) -> str:
    """A FILE argument as a path relative to the project: relative to the current folder when
    it exists there, else to the project root. BadInput when it is in neither."""
    candidate = Path(raw).expanduser()
    for full in (candidate.resolve(), (index.root / raw).resolve()):
        if full.is_file():
            try:
                return full.relative_to(index.root).as_posix()
            except ValueError:
                break
    raise BadInput(
        f"{raw}: not a file in the project {index.root}",
        fix="pass a file path relative to the project root or the current folder",
    )


def line_text(root: Path, path: str, line: int, cache: dict[str, list[str]]) -> str:
    """The source line at `path:line`, for showing references."""
    if path not in cache:
        try:
            cache[path] = (root / path).read_text(errors="replace").splitlines()
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""

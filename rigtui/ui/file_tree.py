"""The project's file tree: Textual's DirectoryTree (which loads each folder lazily, in a
worker, when it is expanded) filtered by the same ignore rules as the index and the watcher."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual.widgets import DirectoryTree

from rigtui.display import safe_name
from rigtui.ignore import IgnoreRules


class ProjectTree(DirectoryTree):
    DEFAULT_CSS = """
    ProjectTree { background: $surface; }
    ProjectTree:focus { background-tint: $foreground 3%; }
    """

    BINDINGS = [("h", "cursor_parent", "Parent"), ("l", "select_cursor", "Open")]

    def __init__(self, root: Path, **kwargs: object) -> None:
        self.rules = IgnoreRules(root)
        super().__init__(root, **kwargs)  # type: ignore[arg-type]

    def process_label(self, label: str | Text) -> Text:
        """A file's name as text, never markup (`[b]x.py` is a name), control characters
        escaped (a newline would cut `a\\nb.txt` to `a`, an ESC would drive the terminal)."""
        if isinstance(label, str):
            label = Text(safe_name(label))
        return super().process_label(label)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        keep = []
        for path in paths:
            rel = self.rules.relative(path)
            try:
                is_dir = path.is_dir()
            except OSError:
                continue
            if rel and not self.rules.ignored_entry(rel, is_dir):
                keep.append(path)
        return keep

    def action_cursor_parent(self) -> None:
        node = self.cursor_node
        if node is not None and node.parent is not None:
            self.move_cursor(node.parent)

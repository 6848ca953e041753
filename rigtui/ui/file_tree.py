"""The project's file tree: Textual's DirectoryTree (which loads each folder lazily, in a
worker, when it is expanded) filtered by the same ignore rules as the index and the watcher."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DirectoryTree

from rigtui.display import safe_name
from rigtui.ignore import IgnoreRules

# Emoji are two columns wide in some terminals and one in others (and tmux may think
# otherwise): over SSH the tree's names then wander. ASCII icons are one column everywhere.
ASCII_ICONS = {"ICON_NODE": "+ ", "ICON_NODE_EXPANDED": "- ", "ICON_FILE": "  "}


def utf8_terminal(env: Mapping[str, str] | None = None) -> bool:
    """Whether the terminal's locale (the first of LC_ALL, LC_CTYPE, LANG that is set) is
    UTF-8, and the terminal is not the Linux console (which has no emoji)."""
    env = os.environ if env is None else env
    locale = next((env[k] for k in ("LC_ALL", "LC_CTYPE", "LANG") if env.get(k)), "")
    charset = locale.partition(".")[2].partition("@")[0]  # en_GB.UTF-8@euro: UTF-8
    return charset.lower().replace("-", "") == "utf8" and env.get("TERM") != "linux"


def ascii_icons(setting: str, env: Mapping[str, str] | None = None) -> bool:
    """`[ui] icons`: "ascii", "emoji", or "auto" (ASCII unless the terminal is UTF-8)."""
    return setting == "ascii" or (setting == "auto" and not utf8_terminal(env))


class ProjectTree(DirectoryTree):
    DEFAULT_CSS = """
    ProjectTree { background: $surface; }
    ProjectTree:focus { background-tint: $foreground 3%; }
    """

    BINDINGS = [("h", "cursor_parent", "Parent"), ("l", "select_cursor", "Open")]

    def __init__(self, root: Path, icons: str = "auto", **kwargs: object) -> None:
        self.rules = IgnoreRules(root)
        self._drawing_style: Style | None = None  # while the tree draws its lines
        super().__init__(root, **kwargs)  # type: ignore[arg-type]
        if ascii_icons(icons):
            for name, icon in ASCII_ICONS.items():
                setattr(self, name, icon)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the drawn lines: Tree drops them on every resize, though it keeps them by
        width (a new width draws its own). The resize that follows the first layout, at the
        size the tree was just drawn at, would otherwise draw it all again before the first
        frame (~15 ms, bench/startup.py)."""
        event.prevent_default()  # Tree's own handler: the lines dropped, a layout asked for

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the lines with the tree's style worked out once: Tree asks for it for every
        line (each time walking all the tree's ancestors' styles: a quarter of drawing it)."""
        self._drawing_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._drawing_style = None

    @property
    def rich_style(self) -> Style:
        return self._drawing_style or super().rich_style

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

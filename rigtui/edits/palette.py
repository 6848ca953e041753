"""A diff's colours, apart from the renderer (rigtui.edits.render) so a front end can pick
them by its theme without loading pygments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    """A diff's colours: line and changed-character backgrounds, and the pygments style of
    the code, chosen to read on the theme's own background (in 256 colours too)."""

    added_bg: str
    removed_bg: str
    added_mark: str
    removed_mark: str
    syntax: str


DARK = Palette("on #12361f", "on #3d1518", "bold on #1f6b3a", "bold on #7a2530", "monokai")
LIGHT = Palette("on #dafbe1", "on #ffebe9", "bold on #a6e9b5", "bold on #ffc1c0", "default")

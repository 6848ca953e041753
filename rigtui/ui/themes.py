"""Turn rigtui's theme files into Textual themes and register them on an app."""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

from rigtui.themes import ThemeSpec, discover_themes


def to_textual(spec: ThemeSpec) -> Theme:
    return Theme(name=spec.name, dark=spec.dark, variables=dict(spec.variables), **spec.colours)


def register_themes(app: App[object]) -> list[str]:
    """Register every built-in and user theme; returns warnings about user files skipped."""
    specs, warnings = discover_themes()
    for spec in specs:
        app.register_theme(to_textual(spec))
    return warnings

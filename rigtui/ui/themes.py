"""Turn rigtui's theme files into Textual themes and register them on an app."""

from __future__ import annotations

from dataclasses import replace

from textual.app import App
from textual.theme import Theme

from rigtui.edits.palette import DARK, LIGHT, Palette
from rigtui.themes import ThemeSpec, discover_themes

# Theme variables a theme file may set ([variables]) to colour diffs and code its own way.
PALETTE_VARIABLES = {
    "diff-added-background": "added_bg",
    "diff-removed-background": "removed_bg",
    "diff-added-mark": "added_mark",
    "diff-removed-mark": "removed_mark",
    "code-theme": "syntax",  # a pygments style: diffs and the replies' code blocks
}


def to_textual(spec: ThemeSpec) -> Theme:
    return Theme(name=spec.name, dark=spec.dark, variables=dict(spec.variables), **spec.colours)


def register_themes(app: App[object]) -> list[str]:
    """Register every built-in and user theme; returns warnings about user files skipped."""
    specs, warnings = discover_themes()
    for spec in specs:
        app.register_theme(to_textual(spec))
    return warnings


def start_with_theme(app: App[object], name: str) -> None:
    """Set the theme an app starts with, before it runs. Assigned to `app.theme`, Textual's
    watcher would parse every stylesheet again once the app runs (~5 ms before the first
    frame, bench/startup.py); nothing is parsed yet, so its effects are applied here instead:
    the CSS variables, the ANSI colour mapping and the app's theme classes."""
    if name == app.theme:
        return
    app._validate_theme(name)  # an unknown name: the same error as assigning it
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.stylesheet.set_variables(app.get_css_variables())
    app._refresh_truecolor_filter(app.ansi_theme)
    classes = {c: False for c in app.classes if c.startswith("-theme-")}
    classes.update(
        {f"-theme-{name}": True, "-dark-mode": theme.dark, "-light-mode": not theme.dark}
    )
    app.update_classes(classes, update=False)


def palette_for(theme: Theme) -> Palette:
    """The diff and code colours of a theme: dark or light ones by the theme's `dark`, each
    replaced by the theme's own variable where it sets one."""
    base = DARK if theme.dark else LIGHT
    changes: dict[str, str] = {}
    for variable, field in PALETTE_VARIABLES.items():
        if value := theme.variables.get(variable):
            is_colour = field != "syntax" and not value.startswith(("on ", "bold "))
            changes[field] = (
                f"{'bold ' if 'mark' in field else ''}on {value}" if is_colour else value
            )
    return replace(base, **changes)


def follow_theme(app: App[object]) -> None:
    """Code blocks in replies take the theme's code colours, now and on every change."""
    from rigtui.ui.event_render import set_code_theme

    def changed(theme: Theme) -> None:
        set_code_theme(palette_for(theme).syntax)
        for screen in app.screen_stack:  # replies render again (cached per code theme)
            for reply in screen.query("Reply, ReplyBlock"):
                reply.refresh(layout=True)

    set_code_theme(palette_for(app.current_theme).syntax)
    app.theme_changed_signal.subscribe(app, changed)

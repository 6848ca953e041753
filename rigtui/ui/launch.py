"""Start the workbench from the CLI: check everything that can fail before the terminal is
taken over, so a bad settings file or a corrupt database is one clear line and exit code 2."""

from __future__ import annotations

import argparse
from pathlib import Path

from rigtui import codecache
from rigtui.config import apply_overrides, load_settings
from rigtui.errors import BadInput
from rigtui.session import check_store
from rigtui.themes import discover_themes


def launch(root: Path, args: argparse.Namespace) -> int:
    def settings_for_this_run():  # read again if the user trusts the project in the workbench
        return apply_overrides(
            load_settings(root), profile=args.profile, model=args.model, base_url=args.base_url
        )

    settings = settings_for_this_run()
    theme = args.theme or settings.ui.theme
    names = sorted(spec.name for spec in discover_themes()[0])
    builtin_textual = {"textual-dark", "textual-light", "nord", "gruvbox", "dracula", "monokai"}
    if theme not in names and theme not in builtin_textual:
        raise BadInput(f"unknown theme {theme!r}", fix=f"choose one of: {', '.join(names)}")
    check_store()

    from rigtui.ui.app import RigtuiApp  # Textual only once everything above has passed

    app = RigtuiApp(root, settings, theme=theme, profile=args.profile, reload=settings_for_this_run)
    if codecache.installed():  # the `rigtui` command's own process: its parsed CSS kept too
        from rigtui.ui import css_cache

        css_cache.install(app.stylesheet)
    result = app.run()
    return int(result or 0)

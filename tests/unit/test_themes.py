"""Theme files: three built in (one for light terminals), user themes from the config dir."""

from __future__ import annotations

from pathlib import Path

from rigtui.paths import user_themes_dir
from rigtui.themes import discover_themes


def test_builtin_themes_include_a_light_one() -> None:
    specs, warnings = discover_themes()
    names = {s.name for s in specs}
    assert {"rigtui-dark", "rigtui-light", "rigtui-contrast"} <= names
    assert any(not s.dark for s in specs)
    assert warnings == []


def test_user_theme_is_added_and_bad_one_reported(rigtui_home: Path) -> None:
    folder = user_themes_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.toml").write_text('name = "mine"\ndark = false\nprimary = "#112233"\n')
    (folder / "broken.toml").write_text('name = "broken"\ncolour = "#fff"\n')
    specs, warnings = discover_themes()
    assert "mine" in {s.name for s in specs}
    assert len(warnings) == 1 and "broken.toml" in warnings[0] and "'colour'" in warnings[0]

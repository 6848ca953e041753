"""Theme files (TOML): the built-in ones shipped in `themes/` and the user's own in the config
dir's `themes/` folder. Parsed here into plain dicts; `rigtui.ui.themes` turns them into
Textual themes (so the core stays free of Textual)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rigtui.errors import SettingsError
from rigtui.paths import user_themes_dir

COLOUR_KEYS = (
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel",
    "success", "warning", "error", "boost",
)  # fmt: skip


@dataclass(frozen=True)
class ThemeSpec:
    name: str
    dark: bool
    colours: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    source: Path | None = None


def builtin_themes_dir() -> Path:
    package = Path(__file__).resolve().parent
    for candidate in (package / "_themes", package.parent / "themes"):
        if candidate.is_dir():
            return candidate
    return package / "_themes"


def parse_theme(path: Path) -> ThemeSpec:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{path}: not a readable theme file: {exc}") from exc
    name = data.pop("name", path.stem)
    dark = data.pop("dark", True)
    variables = data.pop("variables", {})
    if not isinstance(name, str) or not isinstance(dark, bool) or not isinstance(variables, dict):
        raise SettingsError(f"{path}: `name` must be a string, `dark` a boolean")
    unknown = set(data) - set(COLOUR_KEYS)
    if unknown:
        raise SettingsError(
            f"{path}: unknown key {sorted(unknown)[0]!r} (known: name, dark, variables, "
            + ", ".join(COLOUR_KEYS)
            + ")"
        )
    if "primary" not in data:
        raise SettingsError(f"{path}: a theme needs at least `primary`")
    return ThemeSpec(name, dark, {k: str(v) for k, v in data.items()}, variables, path)


def discover_themes() -> tuple[list[ThemeSpec], list[str]]:
    """Built-in themes, then the user's (a user theme may replace a built-in by name).
    Returns the themes and one warning line per user file that could not be read."""
    specs: dict[str, ThemeSpec] = {}
    warnings: list[str] = []
    for path in sorted(builtin_themes_dir().glob("*.toml")):
        spec = parse_theme(path)
        specs[spec.name] = spec
    user_dir = user_themes_dir()
    if user_dir.is_dir():
        for path in sorted(user_dir.glob("*.toml")):
            try:
                spec = parse_theme(path)
            except SettingsError as exc:
                warnings.append(str(exc))
                continue
            specs[spec.name] = spec
    return list(specs.values()), warnings

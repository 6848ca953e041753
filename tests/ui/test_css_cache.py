"""Parsed CSS kept between runs (rigtui.ui.css_cache): a second run parses nothing and looks the
same; another theme, a damaged or linked file, or an entry holding anything but CSS types is
parsed again."""

from __future__ import annotations

import marshal
import os
import pickle
import zlib
from pathlib import Path

import pytest
import textual.css.stylesheet as stylesheet_module
from textual.app import App, ComposeResult
from textual.widgets import Input, Static, Tree

from rigtui.ui import css_cache
from rigtui.ui.title_bar import TitleBar


class Small(App[None]):
    CSS = "Input { width: 20; border: round $primary; } #t { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="◆")
        yield Input(value="typed")
        yield Tree("root", id="t")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The CSS sources Textual parses (its parser, counted)."""
    seen: list[str] = []
    parse = stylesheet_module.parse

    def counted(scope: str, css: str, *args: object, **kwargs: object) -> object:
        seen.append(css)
        return parse(scope, css, *args, **kwargs)

    monkeypatch.setattr(stylesheet_module, "parse", counted)
    return seen


async def run(path: Path, theme: str = "textual-dark") -> tuple[str, css_cache.RuleCache]:
    app = Small()
    app.theme = theme
    cache = css_cache.RuleCache(path)
    cache.install(app.stylesheet)
    async with app.run_test(size=(50, 8)) as pilot:
        await pilot.pause()
        screen = app.export_screenshot()
    cache.save()
    return screen, cache


async def test_a_second_run_parses_nothing_and_looks_the_same(
    tmp_path: Path, parses: list[str]
) -> None:
    path = tmp_path / "cache" / "css.bin"
    first, cache = await run(path)
    assert parses and cache.added == 0 and path.exists()  # written, nothing left to add
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    parsed_first = len(parses)
    parses.clear()
    second, cache = await run(path)
    assert parses == [] and cache.added == 0
    assert second == first
    # Another theme's variables are another key: parsed again, and kept beside.
    light, cache = await run(path, theme="textual-light")
    assert len(parses) >= parsed_first and light != first
    assert len(css_cache.load(path)) == 2 * parsed_first


async def test_a_damaged_file_is_parsed_again_and_replaced(
    tmp_path: Path, parses: list[str]
) -> None:
    path = tmp_path / "css.bin"
    first, _ = await run(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert css_cache.load(path) == {}
    parses.clear()
    again, _ = await run(path)
    assert parses and again == first
    assert css_cache.load(path)  # whole again


async def test_a_link_is_not_read_nor_written_through(tmp_path: Path, parses: list[str]) -> None:
    kept = tmp_path / "elsewhere.bin"
    await run(kept)
    before = kept.read_bytes()
    path = tmp_path / "css.bin"
    path.symlink_to(kept)
    parses.clear()
    await run(path)
    assert parses  # the linked file was not read
    assert kept.read_bytes() == before  # nor written through
    assert not path.is_symlink() and css_cache.load(path)  # the link replaced by a file


class Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted",))


async def test_an_entry_holding_anything_but_css_types_is_refused(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "css.bin"
    first, _ = await run(path)
    entries = {key: pickle.dumps([Boom()]) for key in css_cache.load(path)}
    payload = marshal.dumps(entries)
    path.write_bytes(css_cache._MAGIC + zlib.crc32(payload).to_bytes(4, "little") + payload)
    parses.clear()
    again, _ = await run(path)
    assert not (tmp_path / "planted").exists()
    assert parses and again == first
    assert css_cache.loads(pickle.dumps(["not rules"])) is None


async def test_another_textual_build_parses_again(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "css.bin"
    await run(path)
    parses.clear()
    build = css_cache.textual_build()
    assert b"css/parse.py" in build and b"color.py" in build
    monkeypatch.setattr(css_cache, "textual_build", lambda: build + b" (upgraded)")
    await run(path)
    assert parses  # Textual's CSS files changed: nothing kept applies


async def test_a_theme_changed_while_running_styles_what_mounts_after_with_its_own_rules(
    tmp_path: Path,
) -> None:
    class Late(Static):
        DEFAULT_CSS = "Late { background: $primary; color: $text; }"

    async def screens(cached: bool) -> list[str]:
        shots = []
        for _ in range(2):  # the second run with the first's file, if cached
            app = Small()
            cache = css_cache.RuleCache(tmp_path / "css.bin")
            if cached:
                cache.install(app.stylesheet)
            async with app.run_test(size=(50, 8)) as pilot:
                for theme in ("textual-light", "nord", "textual-dark", "textual-light"):
                    app.theme = theme
                    await pilot.pause()
                    await app.mount(Late("late"))  # a new source: every source parsed again
                    await pilot.pause()
                    shots.append(app.export_screenshot())
            cache.save()
        return shots

    assert await screens(cached=True) == await screens(cached=False)

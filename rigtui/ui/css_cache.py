"""Parsed CSS kept between runs of the `rigtui` command.

Textual parses each CSS source (the app's file, every widget class's DEFAULT_CSS) as the first
widget using it mounts: ~2-3.5 ms a source on this project's 2-core machines, ~30 ms of CPU
before the workbench's first frame. The result is the same on every run with the same source,
the same theme variables and the same Textual, so the parsed rules are kept in one file in
rigtui's cache folder (beside rigtui.codecache's), keyed by a digest of all of those (Textual by its CSS modules' files); loading a
source's rules takes ~0.2-0.3 ms.

Only the `rigtui` command's process uses it (rigtui.ui.launch, when rigtui.codecache is
installed); tests and programs importing rigtui parse as Textual does. The file is read
without following a link and checked (magic, CRC); its entries are unpickled by an unpickler
that builds only Textual's CSS types, and one that fails, or holds anything else, is parsed
again. It is written at exit, by a rename of a new file, only when something was added."""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import pickle
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FunctionType
from typing import Any

import textual
from textual.css.model import RuleSet
from textual.css.styles import Styles
from textual.css.stylesheet import Stylesheet

from rigtui.codecache import read_kept, write_kept

_MAGIC = b"rigtui-css-1\n"
_MAX_ENTRIES = 500  # sources x themes; past it, only what the run used is kept

# The modules whose types parsed rules are made of (what the unpickler may build).
_CSS_MODULES = ("textual.color", "textual.geometry", "textual.css.", "textual.layouts.")


def cache_file() -> Path:
    from rigtui import codecache

    return codecache.cache_file().parent / f"css-rules.{sys.implementation.cache_tag}.bin"


def textual_build() -> bytes:
    """Textual's CSS code as installed: the path, size and modification time of the files the
    parsed types and the parser come from (a stricter key than Textual's version, which takes
    ~2 ms to look up: `textual.__version__` reads the installed packages' metadata)."""
    package = os.path.dirname(textual.__file__)
    paths = [os.path.join(package, "color.py"), os.path.join(package, "geometry.py")]
    for folder in ("css", "layouts"):
        try:
            with os.scandir(os.path.join(package, folder)) as entries:
                paths += [entry.path for entry in entries if entry.name.endswith(".py")]
        except OSError:
            paths.append(folder)
    found = []
    for path in sorted(paths):
        try:
            stat = os.stat(path)
            found.append((path, stat.st_size, stat.st_mtime_ns))
        except OSError:
            found.append((path, -1, -1))
    return repr(found).encode()


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # A Styles holds two bound methods of its rules dict: rebuilt by its constructor.
        if type(obj) is Styles:
            return (Styles, (None, obj._rules, 0, obj.important))
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    """Builds Textual's CSS types only: a class of one of _CSS_MODULES, a selector check
    function of textual.css.model, functools.partial (of those)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("functools", "partial"):
            return partial
        if "." not in name and module.startswith(_CSS_MODULES):
            found = getattr(sys.modules.get(module), name, None)
            if isinstance(found, type) and found.__module__ == module:
                return found
            if (
                module == "textual.css.model"
                and name.startswith("_check_")
                and isinstance(found, FunctionType)
            ):
                return found
        raise pickle.UnpicklingError(f"not a CSS type: {module}.{name}")


def dumps(rules: list[RuleSet]) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(rules)
    return buf.getvalue()


def loads(data: bytes) -> list[RuleSet] | None:
    try:
        rules = _Unpickler(io.BytesIO(data)).load()
    except Exception:  # noqa: BLE001 - damaged or foreign: parsed again
        return None
    if not isinstance(rules, list) or not all(isinstance(r, RuleSet) for r in rules):
        return None
    return rules


def load(path: Path) -> dict[str, bytes]:
    return read_kept(path, _MAGIC)


class RuleCache:
    """The kept rules (one pickled list per source, theme and Textual), for one stylesheet."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries = load(path)
        self.used: set[str] = set()
        self.added = 0
        self._build = textual_build()
        self._variables: tuple[dict[str, str], bytes] | None = None  # (a copy, its digest)

    def install(self, stylesheet: Stylesheet) -> None:
        """Parse `stylesheet`'s sources through the kept rules (this instance only: a
        stylesheet Textual makes afresh, as a theme change does, parses as usual)."""
        parse: Callable[..., list[RuleSet]] = stylesheet._parse_rules

        def parse_rules(
            css: str,
            read_from: tuple[str, str],
            is_default_rules: bool = False,
            tie_breaker: int = 0,
            scope: str = "",
        ) -> list[RuleSet]:
            args = (css, read_from, is_default_rules, tie_breaker, scope)
            if args in stylesheet._parse_cache:  # parsed already in this run
                return parse(*args)
            key = self.key(stylesheet._variables, args)
            kept = self.entries.get(key)
            rules = loads(kept) if kept is not None else None
            if rules is None:
                rules = parse(*args)
                if not any(rule.errors for rule in rules):
                    try:
                        self.entries[key] = dumps(rules)
                        self.added += 1
                    except Exception:  # noqa: BLE001 - a value that cannot be kept: parsed
                        pass
            else:
                stylesheet._parse_cache[args] = rules
            self.used.add(key)
            return rules

        stylesheet._parse_rules = parse_rules  # type: ignore[method-assign]

    def key(self, variables: dict[str, str], args: tuple[object, ...]) -> str:
        if self._variables is None or self._variables[0] != variables:
            theme = hashlib.sha256(self._build)
            theme.update(repr(sorted(variables.items())).encode())
            self._variables = (dict(variables), theme.digest())
        digest = hashlib.sha256(self._variables[1])
        digest.update(repr(args).encode())
        return digest.hexdigest()

    def save(self) -> None:
        """Write the file again when this run parsed something new."""
        if not self.added:
            return
        entries = self.entries
        if len(entries) > _MAX_ENTRIES:
            entries = {k: v for k, v in entries.items() if k in self.used}
        if not write_kept(self.path, _MAGIC, entries):
            return  # a read-only or vanished cache folder: the next run parses again
        self.added = 0


def install(stylesheet: Stylesheet, path: Path | None = None) -> RuleCache:
    """Keep `stylesheet`'s parsed rules between runs; written at exit."""
    cache = RuleCache(path or cache_file())
    cache.install(stylesheet)
    atexit.register(cache.save)
    return cache

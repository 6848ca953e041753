"""Compiled dataclass methods, kept between runs of the `rigtui` command.

Python 3.11's `dataclasses` writes the source of every method it adds (`__init__`, `__repr__`,
`__eq__`, `__hash__`, a frozen class's `__setattr__` and `__delattr__`) and compiles it with
`exec`: ~0.15-0.3 ms per method on this project's 2-core machines. rigtui's ~100 message and
settings types cost ~75 ms of `rigtui apply`'s start, and the workbench's first frame ~45 ms
(Textual's own dataclasses included). That source is the same on every run, so the compiled
code is kept in one marshal file per Python build in rigtui's cache folder, keyed by the
source text itself: a hit runs exactly the code compiling that text gives. Each entry is kept
marshalled on its own and read as it is first used: the file holds every method any run
compiled (~750, ~800 KB), and reading them all at start cost ~7-10 ms against ~3 ms for
the ~260 the workbench's first frame uses. (Python 3.13 needs one compile per class, not per
method; the cache still saves that one.)

Only the command's own process installs it (`rigtui.cli.entry`); a program importing rigtui
as a library keeps the standard behaviour. A missing, unreadable or damaged file is rebuilt;
the file is replaced by a rename of a new file (never written through a link); nothing is
written when every method was found.
"""

import atexit
import builtins
import dataclasses
import marshal
import os
import sys
import zlib
from pathlib import Path
from types import CodeType
from typing import Any

# The format of this file (bump when it changes), then a CRC of the payload.
_MAGIC = b"rigtui-dc-2\n"
_MAX_ENTRIES = 4000  # a cap, so many other programs' dataclasses cannot grow it forever


_codes: dict[str, CodeType] = {}
_kept: dict[str, bytes] = {}  # read from the file, each entry marshalled: loaded on first use
_used: set[str] = set()
_state: dict[str, Any] = {"path": None, "added": 0}


def cache_file() -> Path:
    """Where the compiled methods are kept: one file per Python build (marshal's format and
    the bytecode change between versions)."""
    home = os.environ.get("RIGTUI_HOME")
    if home:
        folder = Path(home).expanduser() / "cache"
    else:
        from rigtui.paths import user_dir

        folder = user_dir("cache")
    build = f"{sys.implementation.cache_tag}-{sys.hexversion:x}"
    return folder / f"dataclass-methods.{build}.marshal"


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:  # noqa: A002
    """`exec` as `dataclasses` calls it, compiling each distinct source text once."""
    if isinstance(source, str):
        code = _codes.get(source)
        _used.add(source)
        if code is None and (kept := _kept.get(source)) is not None:
            code = _loaded(kept)
            if code is None:  # not code: compiled below, and kept in its place
                del _kept[source]
            else:
                _codes[source] = code
        if code is None:
            # dont_inherit: compiled as `dataclasses` compiles it, with no __future__ flags
            # of this module (it has none anyway).
            code = compile(source, "<string>", "exec", dont_inherit=True)
            _codes[source] = code
            _state["added"] += 1
        source = code
    return builtins.exec(source, globals, locals)


def install() -> None:
    """Load the kept methods and have `dataclasses` use them (once per process)."""
    if installed():
        return
    path = cache_file()
    _state["path"] = path
    _kept.update(load(path))
    # `dataclasses` finds `exec` among its module's globals before the builtins.
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    atexit.register(save)


def installed() -> bool:
    """Whether this process keeps compiled methods (the `rigtui` command's own does)."""
    return getattr(dataclasses, "exec", None) is _exec


def _loaded(data: bytes) -> CodeType | None:
    try:
        code = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def load(path: Path) -> dict[str, bytes]:
    """The kept entries, each a marshalled code object (read as it is used)."""
    return read_kept(path, _MAGIC)


def read_kept(path: Path, magic: bytes) -> dict[str, bytes]:
    """A kept file's entries (name -> bytes); {} when it is absent, a link, damaged (CRC), of
    another format (`magic`) or not such a mapping: the caller then makes them again."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as fh:
            data = fh.read()
    except OSError:
        return {}
    header = len(magic) + 4
    head, crc, payload = data[: len(magic)], data[len(magic) : header], data[header:]
    if head != magic or crc != zlib.crc32(payload).to_bytes(4, "little"):
        return {}
    try:
        entries = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, bytes)}


def write_kept(path: Path, magic: bytes, entries: dict[str, bytes]) -> bool:
    """Replace the kept file by a rename of a new one (mode 600): a link at `path` is replaced,
    never written through. False when the folder cannot be written (the next run makes the
    entries again)."""
    payload = marshal.dumps(entries)
    data = magic + zlib.crc32(payload).to_bytes(4, "little") + payload
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def save() -> None:
    """Write the file again when this run compiled something new (at exit)."""
    path = _state["path"]
    if path is None or not _state["added"]:
        return
    entries = {**_kept, **{k: marshal.dumps(v) for k, v in _codes.items() if k not in _kept}}
    # Over the cap, only what this run used is kept.
    if len(entries) > _MAX_ENTRIES:
        entries = {k: v for k, v in entries.items() if k in _used}
    if not write_kept(path, _MAGIC, entries):
        return  # a read-only or vanished cache folder: the next run compiles again
    _state["added"] = 0

"""Confine every path a patch names to the project root: no absolute paths, no `..`, no
symlink leading outside, nothing inside `.git`.

`Confiner` resolves each folder once (a 500-file patch touches a few dozen folders), so a big
patch costs one `lstat` per path; `confine` is the one-off form."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from rigtui.display import safe_name
from rigtui.edits.errors import PatchRefused, UnusablePath

FIX = "patches may only name files inside the project, as paths relative to its root"
NAME_MAX = 255  # bytes in one path component on every common file system


def lexical_parts(rel: str) -> tuple[str, ...]:
    """The path's components, or a refusal for what no patch may name: nothing, a NUL, an
    absolute path, `..`, a name too long for any file system. Components as pathlib gives
    them (no empty or `.` ones), from string operations: a release diff asks for every path
    several times."""
    if not rel or "\x00" in rel:
        raise PatchRefused(f"{safe_name(rel)!r}: not a usable path", fix=FIX)
    posix = rel.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or os.path.isabs(rel):
        raise PatchRefused(f"{safe_name(rel)}: absolute paths are refused", fix=FIX)
    parts = tuple(part for part in posix.split("/") if part and part != ".")
    if ".." in parts:
        raise PatchRefused(f"{safe_name(rel)}: `..` would leave the project", fix=FIX)
    if len(posix) > NAME_MAX // 4 and any(len(os.fsencode(part)) > NAME_MAX for part in parts):
        raise UnusablePath(
            f"{safe_name(rel)[:80]}…: a name in this path is longer than {NAME_MAX} bytes",
            fix="file systems refuse such names; check the patch",
        )
    return parts


class Confiner:
    """`confiner(rel)` for many paths of one project, each folder resolved once."""

    def __init__(self, root: Path) -> None:
        self.real_root = os.path.realpath(root)
        self._inside = self.real_root.rstrip("/") + "/"  # "/" itself: every path is inside
        self._folders: dict[tuple[str, ...], str] = {(): self.real_root}

    def __call__(self, rel: str, *, follow_last: bool = True) -> tuple[Path, str]:
        """The real path a patch path refers to and its normalised form relative to the
        root. Symlinked folders inside the project are followed; a symlink as the last
        component is followed only with `follow_last` (an update edits the link's target;
        a delete removes the link itself)."""
        parts = lexical_parts(rel)
        real = self._real(parts, follow_last, rel)
        if real == self.real_root:
            raise PatchRefused(
                f"{safe_name(rel)}: names the project folder itself, not a file", fix=FIX
            )
        if not real.startswith(self._inside):
            raise PatchRefused(
                f"{safe_name(rel)}: resolves to {safe_name(real)}, outside the project (through"
                " a symlink)",
                fix=FIX,
            )
        inside = real[len(self._inside) :]
        if ".git" in {p.casefold() for p in (*parts, *inside.split("/"))}:  # .GIT on macOS
            raise PatchRefused(f"{safe_name(rel)}: writes inside .git are refused", fix=FIX)
        return Path(real), inside

    def _real(self, parts: tuple[str, ...], follow_last: bool, rel: str) -> str:
        if not parts:
            return self.real_root
        try:
            candidate = os.path.join(self._folder(parts[:-1]), parts[-1])
            if follow_last and _is_link(candidate):
                return _resolved(candidate)
            return candidate
        except _Loop:
            raise UnusablePath(f"{safe_name(rel)}: goes through a symlink loop", fix=FIX) from None
        except OSError as exc:
            raise UnusablePath(
                f"{safe_name(rel)}: cannot be resolved ({exc.strerror})", fix=FIX
            ) from None

    def _folder(self, parts: tuple[str, ...]) -> str:
        known = self._folders.get(parts)
        if known is None:
            known = _resolved(os.path.join(self._folder(parts[:-1]), parts[-1]))
            self._folders[parts] = known
        return known


class _Loop(Exception):
    """A symbolic link loop on the way (as `Path.resolve` reports it)."""


def _resolved(path: str) -> str:
    """`os.path.realpath`, which leaves a symlink loop unresolved: a stat then tells a loop
    (ELOOP) from a path that simply does not exist yet."""
    real = os.path.realpath(path)
    try:
        os.stat(real)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Loop from None
    return real


def _is_link(path: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def confine(root: Path, rel: str, *, follow_last: bool = True) -> tuple[Path, str]:
    """`Confiner(root)(rel)` for a single path."""
    return Confiner(root)(rel, follow_last=follow_last)

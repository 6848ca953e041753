"""Confine every path a patch names to the project root: no absolute paths, no `..`, no
symlink leading outside, nothing inside `.git`.

`Confiner` resolves each folder once (a 500-file patch touches a few dozen folders), so a big
patch costs one `lstat` per path; `confine` is the one-off form."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from rigtui.display import safe_name
from rigtui.edits.errors import PatchRefused, UnusablePath

FIX = "patches may only name files inside the project, as paths relative to its root"
NAME_MAX = 255  # bytes in one path component on every common file system


def lexical_parts(rel: str) -> tuple[str, ...]:
    """The path's components, or a refusal for what no patch may name: nothing, a NUL, an
    absolute path, `..`, a name too long for any file system."""
    shown = safe_name(rel)
    if not rel or "\x00" in rel:
        raise PatchRefused(f"{shown!r}: not a usable path", fix=FIX)
    posix = rel.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or os.path.isabs(rel):
        raise PatchRefused(f"{shown}: absolute paths are refused", fix=FIX)
    parts = PurePosixPath(posix).parts
    if ".." in parts:
        raise PatchRefused(f"{shown}: `..` would leave the project", fix=FIX)
    if any(len(os.fsencode(part)) > NAME_MAX for part in parts):
        raise UnusablePath(
            f"{shown[:80]}…: a name in this path is longer than {NAME_MAX} bytes",
            fix="file systems refuse such names; check the patch",
        )
    return parts


class Confiner:
    """`confiner(rel)` for many paths of one project, each folder resolved once."""

    def __init__(self, root: Path) -> None:
        self.real_root = Path(root).resolve()
        self._folders: dict[tuple[str, ...], Path] = {(): self.real_root}

    def __call__(self, rel: str, *, follow_last: bool = True) -> tuple[Path, str]:
        """The real path a patch path refers to and its normalised form relative to the
        root. Symlinked folders inside the project are followed; a symlink as the last
        component is followed only with `follow_last` (an update edits the link's target;
        a delete removes the link itself)."""
        parts = lexical_parts(rel)
        shown = safe_name(rel)
        real = self._real(parts, follow_last, shown)
        try:
            inside = real.relative_to(self.real_root)
        except ValueError:
            raise PatchRefused(
                f"{shown}: resolves to {safe_name(str(real))}, outside the project (through a"
                " symlink)",
                fix=FIX,
            ) from None
        if not inside.parts:
            raise PatchRefused(f"{shown}: names the project folder itself, not a file", fix=FIX)
        if ".git" in {p.casefold() for p in (*parts, *inside.parts)}:  # .GIT is .git on macOS
            raise PatchRefused(f"{shown}: writes inside .git are refused", fix=FIX)
        return real, inside.as_posix()

    def _real(self, parts: tuple[str, ...], follow_last: bool, shown: str) -> Path:
        try:
            candidate = self._folder(parts[:-1]) / parts[-1]
            if follow_last and _is_link(candidate):
                return candidate.resolve()
            return candidate
        except RuntimeError:  # Python 3.11 reports a symlink loop this way
            raise UnusablePath(f"{shown}: goes through a symlink loop", fix=FIX) from None
        except OSError as exc:
            raise UnusablePath(f"{shown}: cannot be resolved ({exc.strerror})", fix=FIX) from None

    def _folder(self, parts: tuple[str, ...]) -> Path:
        known = self._folders.get(parts)
        if known is None:
            known = (self._folder(parts[:-1]) / parts[-1]).resolve()
            self._folders[parts] = known
        return known


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def confine(root: Path, rel: str, *, follow_last: bool = True) -> tuple[Path, str]:
    """`Confiner(root)(rel)` for a single path."""
    return Confiner(root)(rel, follow_last=follow_last)

"""Confine every path a patch names to the project root: no absolute paths, no `..`, no
symlink leading outside, nothing inside `.git`."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from rigtui.edits.errors import PatchRefused

FIX = "patches may only name files inside the project, as paths relative to its root"


def confine(root: Path, rel: str) -> tuple[Path, str]:
    """The real path a patch path refers to and its normalised form relative to the root.
    Symlinks inside the project are followed (the link's target is what gets edited)."""
    if not rel or "\x00" in rel:
        raise PatchRefused(f"{rel!r}: not a usable path", fix=FIX)
    posix = rel.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or os.path.isabs(rel):
        raise PatchRefused(f"{rel}: absolute paths are refused", fix=FIX)
    parts = PurePosixPath(posix).parts
    if ".." in parts:
        raise PatchRefused(f"{rel}: `..` would leave the project", fix=FIX)
    real_root = root.resolve()
    real = (real_root / Path(*parts)).resolve()
    try:
        inside = real.relative_to(real_root)
    except ValueError:
        raise PatchRefused(
            f"{rel}: resolves to {real}, outside the project (through a symlink)", fix=FIX
        ) from None
    if not inside.parts:
        raise PatchRefused(f"{rel}: names the project folder itself, not a file", fix=FIX)
    if ".git" in {p.casefold() for p in (*parts, *inside.parts)}:  # .GIT is .git on macOS
        raise PatchRefused(f"{rel}: writes inside .git are refused", fix=FIX)
    return real, inside.as_posix()

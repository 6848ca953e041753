"""Errors of the patch engine. Bad patch text is bad input (exit 2); a patch that does not fit the
files on disk, or would write somewhere unsafe, is refused (exit 1) and changes nothing."""

from __future__ import annotations

from rigtui.errors import BadInput, RigtuiError


class PatchSyntaxError(BadInput):
    """The patch text cannot be parsed (names the line)."""


class PatchRefused(RigtuiError):
    """The patch cannot be applied as it stands; nothing was changed."""

    exit_code = 1


class UnusablePath(PatchRefused):
    """A path the file system cannot use as the patch needs (a symlink loop, a name too long,
    a file where a folder should be, a folder where a file should be, no permission): bad
    input, exit 2; nothing was changed."""

    exit_code = 2

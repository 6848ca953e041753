"""Errors of the patch engine. Bad patch text is bad input (exit 2); a patch that does not fit the
files on disk, or would write somewhere unsafe, is refused (exit 1) and changes nothing."""

from __future__ import annotations

from rigtui.errors import BadInput, RigtuiError


class PatchSyntaxError(BadInput):
    """The patch text cannot be parsed (names the line)."""


class PatchRefused(RigtuiError):
    """The patch cannot be applied as it stands; nothing was changed."""

    exit_code = 1

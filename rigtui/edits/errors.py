"""Errors of the patch engine. Bad patch text is bad input (exit 2); a patch that does not fit the
files on disk, or would write somewhere unsafe, is refused (exit 1) and changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rigtui.errors import BadInput, RigtuiError

if TYPE_CHECKING:
    from rigtui.edits.prepare import Proposal


class PatchSyntaxError(BadInput):
    """The patch text cannot be parsed (names the line)."""


class PatchRefused(RigtuiError):
    """The patch cannot be applied as it stands; nothing was changed."""

    exit_code = 1


class PatchConflict(PatchRefused):
    """Files changed since the change set was proposed (or since it was applied, for undo).
    `rebased` is a fresh proposal when every hunk still matches the new content."""

    def __init__(
        self,
        message: str,
        *,
        paths: list[str],
        rebased: Proposal | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.paths = paths
        self.rebased = rebased

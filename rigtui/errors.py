"""One error type for everything a user can get wrong: a message naming the problem and the fix."""

from __future__ import annotations


class RigtuiError(Exception):
    """A clear, user-facing error. The CLI prints `rigtui: <message>` and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, *, fix: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} ({self.fix})" if self.fix else self.message


class BadInput(RigtuiError):
    """The user's input is wrong (a path, a flag, a file): exit code 2."""

    exit_code = 2


class SettingsError(BadInput):
    """A settings file has an unknown key or a value of the wrong type."""


class StoreError(RigtuiError):
    """A database is corrupt, from a newer rigtui, or cannot be opened. Nothing is overwritten."""

    exit_code = 2

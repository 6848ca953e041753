"""The one interface every sandbox implements (Docker, local). Other layers (checks, the
agent's run_command tool, `rigtui run`) depend only on this."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from rigtui.sandbox.capture import Capture

Stream = Literal["stdout", "stderr"]
OutputCallback = Callable[[Stream, str], Awaitable[None] | None]


@dataclass(frozen=True)
class RunRequest:
    command: Sequence[str] | str  # argv, or a shell string run by /bin/sh -c
    cwd: Path  # the project root, or a folder inside it
    env: Mapping[str, str] = field(default_factory=dict)  # added to the sandbox's clean env
    timeout: float | None = 600.0
    output_limit: int = 1_000_000  # bytes kept per stream; the rest is counted, not kept


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None  # None when killed before it exited
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    killed: bool = False  # cancelled, timed out, or stopped by a limit
    truncated: bool = False
    sandbox: str = ""  # "docker:IMAGE", "local", "local+bwrap"
    # mount = "capture" or "ro": what the command wrote over its copy-on-write view of the
    # project (never written to the project itself); None in "rw" mode
    captured: Capture | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Sandbox(Protocol):
    name: str  # shown in the UI, always: which sandbox is in use
    # mount = "capture" or "ro": the project never changes; writes come back as `captured`
    read_only: bool

    async def run(self, request: RunRequest, on_output: OutputCallback | None = None) -> RunResult:
        """Run to completion, streaming output through `on_output`. Cancelling the awaiting
        task kills the whole process tree (or container) at once and re-raises."""
        ...

    async def close(self) -> None: ...

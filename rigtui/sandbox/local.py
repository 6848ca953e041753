"""The local sandbox: a subprocess in its own process group with a scrubbed environment, a
timeout and an output limit; inside bubblewrap (read-only root, writable project, no network,
no host sockets: rigtui.sandbox.bwrap_view) when `bwrap` is installed and works on this machine.

`mount = "capture"` (the default for the model's commands) and `"ro"`: each command runs on a
private writable layer over the project (an overlay, or a copy where overlays are not allowed:
rigtui.sandbox.local_layers), mounted at the project's own path, so the project never changes;
what the command wrote is returned as `RunResult.captured`, to become a change set
(rigtui.sandbox.capture). Without bubblewrap "capture" runs the command inside a copy of the
project at another path (there is nothing to mount it with); "ro" refuses to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rigtui.errors import RigtuiError
from rigtui.sandbox.base import OutputCallback, RunRequest, RunResult, Stream
from rigtui.sandbox.bwrap_view import bwrap_flags, bwrap_status
from rigtui.sandbox.capture import TIMED_OUT, collect
from rigtui.sandbox.local_layers import new_layer
from rigtui.sandbox.output import (
    OutputCollector,
    not_found,
    resolve_cwd,
    scrubbed_env,
    shell_argv,
)
from rigtui.sandbox.reaper import PR_SET_DUMPABLE, prctl

if TYPE_CHECKING:
    from rigtui.sandbox.local_layers import CopyLayer, OverlayLayer

    Layer = OverlayLayer | CopyLayer

# How long to wait for the pipes to close once the command itself has exited and its process
# group was killed: only something that escaped the group (setsid) can hold them longer.
PIPE_GRACE = 1.0
# How long the reaper (no bubblewrap) gets to end what the command left, when stopped.
REAPER_GRACE = 2.0
CHUNK = 64 * 1024
# Without bubblewrap every command runs under the reaper (rigtui.sandbox.reaper): nothing it
# starts outlives it, and its parent's environment is its own. That is all.
REAPER = Path(__file__).with_name("reaper.py")
UNISOLATED = "local (no isolation)"
UNISOLATED_NOTE = (
    "no isolation: commands run as you, with your files, network and processes within reach;"
    " only secret-looking environment variables are left out"
)


def _layer_note(mount: str, isolated: bool) -> str:
    what = "project read-only" if mount == "ro" else "writes captured as change sets"
    if isolated:
        return f"{what}: each command writes to a private layer over the project"
    return (
        f"{what}: each command runs in a private copy of the project, at another path"
        " (no bubblewrap: a write by absolute path reaches the project itself)"
    )


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if second else first


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _signal(proc: subprocess.Popen[bytes], sig: int) -> bool:
    """Signal the process if it has not been reaped (its pid is still ours)."""
    if proc.returncode is not None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, sig)
    return True


def _not_dumpable() -> None:
    """Without bubblewrap a command sees every process of ours in /proc: make rigtui not
    dumpable (as codex's process hardening does), so a command running as an ordinary user can
    neither read /proc/<rigtui>/environ (which keeps the API keys rigtui started with) or its
    memory, nor attach to it. The cost: no core dumps of rigtui, and a debugger or py-spy can
    attach to it only as root. Once per process, from the first unisolated sandbox on."""

    prctl(PR_SET_DUMPABLE, 0)


class LocalSandbox:
    """Runs commands on this machine. `isolate`: True requires bwrap, False never uses it,
    None uses it when it works. `name` says which one is in use, `note` why not bwrap."""

    def __init__(
        self,
        root: Path,
        *,
        isolate: bool | None = None,
        network: bool = False,
        mount: str = "rw",
    ) -> None:
        self.root = Path(root).resolve()
        self.network = network
        self.mount = mount
        # "ro" and "capture" alike: the command writes to a private layer, captured
        self.read_only = mount in ("ro", "capture")
        self.note = ""
        usable, detail = bwrap_status() if isolate is not False else (False, "")
        if isolate and not usable:
            raise RigtuiError(
                f"bubblewrap isolation requested but unavailable: {detail}",
                fix="install bubblewrap, or use plain `--sandbox local`",
            )
        self.bwrap = detail if usable else None
        if self.bwrap:
            self.name = "local+bwrap"
            if network:
                self.note = (
                    "network on: the host's network, and its abstract Unix sockets"
                    " (X11, some session buses), are reachable"
                )
        else:
            self.name = UNISOLATED
            self.note = f"{UNISOLATED_NOTE} ({detail})" if detail else UNISOLATED_NOTE
        if self.read_only:
            if not self.bwrap and mount == "ro":
                raise RigtuiError(
                    'a read-only project ([sandbox] mount = "ro") needs bubblewrap to run'
                    f" commands locally: {detail or 'isolation was turned off'}",
                    fix='install bubblewrap, use the Docker sandbox, or set mount = "rw"',
                )
            self.note = _join(_layer_note(mount, bool(self.bwrap)), self.note)
        if not self.bwrap:
            _not_dumpable()

    def argv_for(self, request: RunRequest, cwd: Path, layer: Layer | None = None) -> list[str]:
        argv = shell_argv(request.command)
        if not self.bwrap:
            return [sys.executable, "-S", "-I", str(REAPER), str(os.getpid()), *argv]
        source = layer.source if layer is not None else None
        flags = bwrap_flags(self.root, cwd, network=self.network, mount=self.mount, source=source)
        if layer is None:
            return [self.bwrap, *flags, "--", *argv]
        return [*layer.outer(), self.bwrap, *layer.bwrap_flags(), *flags, "--", *argv]

    async def run(self, request: RunRequest, on_output: OutputCallback | None = None) -> RunResult:
        if not self.read_only:
            return await self._run(request, on_output)

        # the first one probes overlays; without bubblewrap only a copy can be mounted (at
        # its own path: the command runs in it)
        layer = await asyncio.to_thread(new_layer, self.root, overlay=bool(self.bwrap))
        try:
            await asyncio.to_thread(layer.prepare)
            result = await self._run(request, on_output, layer)
            if result.timed_out:
                return replace(result, captured=TIMED_OUT)
            captured = await asyncio.to_thread(collect, self.root, layer.written)
            return replace(result, captured=captured)
        finally:
            await asyncio.shield(asyncio.to_thread(layer.remove))

    async def _run(
        self, request: RunRequest, on_output: OutputCallback | None, layer: Layer | None = None
    ) -> RunResult:
        cwd = resolve_cwd(self.root, request.cwd)
        argv = self.argv_for(request, cwd, layer)
        if layer is not None and not self.bwrap:  # the copy is not mounted over the project
            cwd = layer.source / cwd.relative_to(self.root)
        env = {**scrubbed_env(), **request.env}
        collector = OutputCollector(request.output_limit, on_output)
        missing = _missing_program(shell_argv(request.command), cwd, env)
        if missing:
            return await not_found(missing[0], self.name, collector, missing[1])
        started = time.monotonic()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: one kill stops the whole tree
        )
        # Popen, not asyncio's subprocess: its wait() also waits for the pipes to close, which
        # a background child holding them would delay until it ends.
        stop = functools.partial(self._stop_now, proc)
        pumps = [
            asyncio.create_task(_pump(proc.stdout, "stdout", collector, stop)),
            asyncio.create_task(_pump(proc.stderr, "stderr", collector, stop)),
        ]
        timed_out = False
        try:
            try:
                await asyncio.wait_for(wait_exit(proc), request.timeout)
            except TimeoutError:
                timed_out = True
                await self._stop_reaper(proc)
        except BaseException:
            stop()
            for task in pumps:
                task.cancel()
            proc.wait()  # SIGKILLed: reaped at once
            raise
        # Whatever the command left running in its group goes with it, so the pipes close.
        kill_group(proc.pid)
        proc.wait()
        await _drain(pumps)
        await collector.finish()
        return RunResult(
            exit_code=None if timed_out else _exit_code(proc.returncode),
            stdout=collector.text("stdout"),
            stderr=collector.text("stderr"),
            duration=time.monotonic() - started,
            timed_out=timed_out,
            killed=timed_out,
            truncated=collector.truncated,
            sandbox=self.name,
        )

    async def _stop_reaper(self, proc: subprocess.Popen[bytes]) -> None:
        """Without bubblewrap: ask the reaper to end everything under it (setsid escapees are
        out of reach of the group kill that follows) and wait a moment for it."""
        if self.bwrap or not _signal(proc, signal.SIGTERM):
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wait_exit(proc), REAPER_GRACE)

    def _stop_now(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop the command at once (cancelled, or its output callback failed): the reaper
        first, waiting for it without the event loop, then the whole group."""
        if not self.bwrap and _signal(proc, signal.SIGTERM):
            with contextlib.suppress(OSError):
                fd = os.pidfd_open(proc.pid)
                try:
                    select.select([fd], [], [], REAPER_GRACE)
                finally:
                    os.close(fd)
        kill_group(proc.pid)

    async def close(self) -> None:
        return None


async def wait_exit(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the process to exit (not reaped: the caller reaps it). A pidfd tells the event
    loop when it happens; without pidfd support a thread waits instead."""
    loop = asyncio.get_running_loop()
    exited = loop.create_future()
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):

        def wait_in_thread() -> None:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            loop.call_soon_threadsafe(_set, exited)

        waiter = threading.Thread(target=wait_in_thread, daemon=True)
        waiter.start()
        await exited
        return
    loop.add_reader(fd, _set, exited)
    try:
        await exited
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def _set(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _pump(
    pipe: IO[bytes] | None, stream: Stream, collector: OutputCollector, stop: Callable[[], None]
) -> None:
    if pipe is None:
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=CHUNK, loop=loop)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe
    )
    try:
        while chunk := await reader.read(CHUNK):
            await collector.feed(stream, chunk)
    except BaseException:
        stop()  # the callback failed or we were cancelled: stop the command too
        raise
    finally:
        transport.close()


async def _drain(pumps: list[asyncio.Task[None]]) -> None:
    done, pending = await asyncio.wait(pumps, timeout=PIPE_GRACE)
    for task in pending:
        task.cancel()
    for task in done:
        task.result()  # re-raise a failing output callback


def _exit_code(returncode: int | None) -> int | None:
    if returncode is None:
        return None
    return 128 - returncode if returncode < 0 else returncode  # killed by signal N: 128+N


def _missing_program(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, int] | None:
    """(program, 127 or 126) when argv[0] cannot be run, checked before spawning so plain and
    bwrap runs report it alike."""
    program = argv[0]
    if "/" in program:
        path = Path(program) if Path(program).is_absolute() else cwd / program
        if not path.is_file():
            return program, 127
        return None if os.access(path, os.X_OK) else (program, 126)
    return None if shutil.which(program, path=env.get("PATH", os.defpath)) else (program, 127)

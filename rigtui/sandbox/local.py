"""The local sandbox: a subprocess in its own process group with a scrubbed environment, a
timeout and an output limit; inside bubblewrap (read-only root, writable project, no network,
no host sockets: rigtui.sandbox.bwrap_view) when `bwrap` is installed and works on this machine.

`mount = "ro"` (needs bubblewrap): each command runs on a private writable layer over the
project (an overlay, or a copy where overlays are not allowed: rigtui.sandbox.local_layers),
mounted at the project's own path, so the project never changes; what the command wrote is
returned as `RunResult.captured` for review (rigtui.sandbox.capture).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rigtui.sandbox.base import OutputCallback, RunRequest, RunResult, Stream
from rigtui.sandbox.bwrap_view import view_flags
from rigtui.sandbox.output import (
    OutputCollector,
    not_found,
    resolve_cwd,
    scrubbed_env,
    shell_argv,
)

if TYPE_CHECKING:
    from rigtui.sandbox.local_layers import CopyLayer, OverlayLayer

    Layer = OverlayLayer | CopyLayer

# How long to wait for the pipes to close once the command itself has exited and its process
# group was killed: only something that escaped the group (setsid) can hold them longer.
PIPE_GRACE = 1.0
CHUNK = 64 * 1024


@functools.lru_cache(maxsize=1)
def bwrap_status() -> tuple[bool, str]:
    """(usable, reason): probed once per process. bwrap fails inside containers that lack user
    namespaces; then we fall back and say so."""
    path = shutil.which("bwrap")
    if path is None:
        return False, "bwrap is not installed"
    probe = [path, *_bwrap_flags(Path("/"), Path("/"), network=False, mount="ro"), "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap cannot start: {exc}"
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        return False, f"bwrap does not work here: {detail[-1] if detail else done.returncode}"
    return True, path


def _bwrap_flags(
    root: Path, cwd: Path, *, network: bool, mount: str, source: Path | None = None
) -> list[str]:
    """`source`: a copy of the project to mount, writable, at the project's path. What else the
    command sees of the host (no runtime folders, no sockets): rigtui.sandbox.bwrap_view."""
    before, after = view_flags(root)
    flags = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", *before]
    if source is not None:
        flags += ["--bind", str(source), str(root)]
    else:
        flags += ["--bind" if mount == "rw" else "--ro-bind", str(root), str(root)]
    flags += after
    # its own SysV IPC too: the host's shared memory segments and queues are not its business
    flags += ["--unshare-pid", "--unshare-ipc", "--die-with-parent", "--chdir", str(cwd)]
    if not network:
        flags.append("--unshare-net")  # also isolates abstract Unix sockets
    return flags


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class LocalSandbox:
    """Runs commands on this machine. `isolate`: True requires bwrap, False never uses it,
    None uses it when it works. `name` says which one is in use, and why not bwrap."""

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
        self.read_only = mount == "ro"
        self.note = ""
        usable, detail = bwrap_status() if isolate is not False else (False, "")
        if isolate and not usable:
            from rigtui.errors import RigtuiError

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
        elif isolate is None and detail != "bwrap is not installed":
            self.name = "local (no isolation: bwrap unusable)"
            self.note = detail
        else:
            self.name = "local"
            self.note = detail or "no isolation: commands run as you, with network"
        if self.read_only:
            if not self.bwrap:
                from rigtui.errors import RigtuiError

                raise RigtuiError(
                    'a read-only project ([sandbox] mount = "ro") needs bubblewrap to run'
                    f" commands locally: {detail or 'isolation was turned off'}",
                    fix='install bubblewrap, use the Docker sandbox, or set mount = "rw"',
                )
            ro_note = "project read-only: each command writes to a private layer, captured"
            self.note = f"{ro_note}; {self.note}" if self.note else ro_note

    def argv_for(self, request: RunRequest, cwd: Path, layer: Layer | None = None) -> list[str]:
        argv = shell_argv(request.command)
        if not self.bwrap:
            return argv
        source = layer.source if layer is not None else None
        flags = _bwrap_flags(self.root, cwd, network=self.network, mount=self.mount, source=source)
        if layer is None:
            return [self.bwrap, *flags, "--", *argv]
        return [*layer.outer(), self.bwrap, *layer.bwrap_flags(), *flags, "--", *argv]

    async def run(self, request: RunRequest, on_output: OutputCallback | None = None) -> RunResult:
        if not self.read_only:
            return await self._run(request, on_output)
        from rigtui.sandbox.capture import TIMED_OUT, collect
        from rigtui.sandbox.local_layers import new_layer

        layer = await asyncio.to_thread(new_layer, self.root)  # the first one probes overlays
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
        env = {**scrubbed_env(), **request.env}
        collector = OutputCollector(request.output_limit, on_output)
        missing = _missing_program(
            argv if not self.bwrap else shell_argv(request.command), cwd, env
        )
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
        pgid = proc.pid
        pumps = [
            asyncio.create_task(_pump(proc.stdout, "stdout", collector, pgid)),
            asyncio.create_task(_pump(proc.stderr, "stderr", collector, pgid)),
        ]
        timed_out = False
        try:
            await asyncio.wait_for(wait_exit(proc), request.timeout)
        except TimeoutError:
            timed_out = True
        except BaseException:
            kill_group(pgid)
            for task in pumps:
                task.cancel()
            proc.wait()  # SIGKILLed: reaped at once
            raise
        # Whatever the command left running in its group goes with it, so the pipes close.
        kill_group(pgid)
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
    pipe: IO[bytes] | None, stream: Stream, collector: OutputCollector, pgid: int
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
        kill_group(pgid)  # the callback failed or we were cancelled: stop the command too
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

"""`DOCKER_HOST=ssh://user@host[:port]`: reach a remote Docker engine through the `ssh` command.

The docker SDK's own ssh support needs paramiko (LGPL, which rigtui does not ship), so rigtui
forwards the remote engine's socket to a local one with `ssh -L` (OpenSSH, your keys and
config) and talks to that. One tunnel per address, closed when rigtui exits."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from rigtui.errors import RigtuiError

REMOTE_SOCKET = "/var/run/docker.sock"
OPEN_TIMEOUT = 15.0


@dataclass
class Tunnel:
    address: str
    socket: Path
    process: subprocess.Popen[bytes]

    @property
    def docker_url(self) -> str:
        return f"unix://{self.socket}"

    def alive(self) -> bool:
        return self.process.poll() is None and self.socket.exists()

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        shutil.rmtree(self.socket.parent, ignore_errors=True)


_tunnels: dict[str, Tunnel] = {}


def ssh_command(address: str, local_socket: Path) -> list[str]:
    """The `ssh` invocation that forwards the remote engine's socket to `local_socket`."""
    url = urlparse(address)
    if url.scheme != "ssh" or not url.hostname:
        raise RigtuiError(f"not an ssh:// Docker address: {address!r}")
    remote = url.path if url.path not in ("", "/") else REMOTE_SOCKET
    target = f"{url.username}@{url.hostname}" if url.username else url.hostname
    argv = ["ssh", "-nNT", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes"]
    argv += ["-L", f"{local_socket}:{remote}"]
    if url.port:
        argv += ["-p", str(url.port)]
    return [*argv, target]


def open_tunnel(address: str, timeout: float = OPEN_TIMEOUT) -> Tunnel:
    """A live tunnel to the engine at `address` (reused while it lives)."""
    tunnel = _tunnels.get(address)
    if tunnel is not None and tunnel.alive():
        return tunnel
    if shutil.which("ssh") is None:
        raise RigtuiError(
            f"DOCKER_HOST is {address} but the `ssh` command is not installed",
            fix="install OpenSSH's client, or point DOCKER_HOST at a local engine, or run"
            " locally with `--sandbox local`",
        )
    folder = Path(tempfile.mkdtemp(prefix="rigtui-ssh-"))
    local = folder / "docker.sock"
    process = subprocess.Popen(
        ssh_command(address, local),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    tunnel = Tunnel(address, local, process)
    deadline = time.monotonic() + timeout
    # ssh gives no signal when the forward is ready but the socket appearing: poll for it.
    while not local.exists():
        if process.poll() is not None:
            err = (process.stderr.read() if process.stderr else b"").decode(errors="replace")
            tunnel.close()
            detail = err.strip().splitlines()[-1] if err.strip() else f"exit {process.returncode}"
            raise RigtuiError(
                f"could not reach the Docker engine at {address} over ssh: {detail}",
                fix="check that `ssh` to that host works without a password prompt (keys or"
                " ssh-agent) and that its user may use Docker, or run locally with"
                " `--sandbox local`",
            )
        if time.monotonic() > deadline:
            tunnel.close()
            raise RigtuiError(
                f"the ssh tunnel to {address} did not open within {timeout:g}s",
                fix="check the host is reachable (`ssh HOST true`), or run locally with"
                " `--sandbox local`",
            )
        time.sleep(0.02)
    _tunnels[address] = tunnel
    return tunnel


@atexit.register
def _close_all() -> None:
    for tunnel in list(_tunnels.values()):
        tunnel.close()
    _tunnels.clear()

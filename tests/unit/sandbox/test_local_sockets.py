"""Inside bubblewrap, the host's Unix sockets are out of reach: the read-only root does not stop
connect(), so the runtime folders are emptied and every other bound socket outside the project is
covered. Real servers on real sockets; each is shown reachable from outside first."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rigtui.sandbox import LocalSandbox, RunRequest
from rigtui.sandbox.bwrap_view import socket_paths
from rigtui.sandbox.local import bwrap_status
from rigtui.sandbox.local_layers import overlay_status

BWRAP_OK, BWRAP_DETAIL = bwrap_status()
pytestmark = pytest.mark.skipif(not BWRAP_OK, reason=f"bubblewrap unusable: {BWRAP_DETAIL}")

PROBE = """
import socket, sys
for address in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(address.replace("@", "\\0", 1) if address.startswith("@") else address)
        print("reached", address)
    except OSError as exc:
        print("refused", address, exc.errno)
"""


def reachable(address: str) -> bool:
    client = socket.socket(socket.AF_UNIX)
    try:
        client.connect("\0" + address[1:] if address.startswith("@") else address)
    except OSError:
        return False
    finally:
        client.close()
    return True


def listen(address: str) -> socket.socket:
    server = socket.socket(socket.AF_UNIX)
    server.bind("\0" + address[1:] if address.startswith("@") else address)
    server.listen()
    return server


@pytest.fixture
def host_folder() -> Iterator[Path]:
    """A folder outside /tmp, where a host service might keep its socket."""
    folder = Path(tempfile.mkdtemp(prefix="rigtui-test-", dir="/var/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def runtime_folder() -> Iterator[Path]:
    """A per-user runtime folder like systemd's /run/user/UID."""
    base = Path("/run/user")
    try:
        base.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="rigtui-test-", dir=base))
    except OSError as exc:
        pytest.skip(f"cannot make a folder under /run/user: {exc}")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def other_namespace_server(runtime_folder: Path):
    """A session-bus-like socket in the runtime folder, bound by a process in another network
    namespace: /proc/net/unix here does not list it, so only the emptied /run hides it."""
    path = runtime_folder / "bus"
    serve = f"import socket; s = socket.socket(socket.AF_UNIX); s.bind({str(path)!r}); s.listen()"
    serve += "; print('ready', flush=True); input()"
    try:
        proc = await asyncio.create_subprocess_exec(
            "unshare", "--net", sys.executable, "-c", serve,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
    except OSError as exc:
        pytest.skip(f"unshare cannot start: {exc}")
    line = await asyncio.wait_for(proc.stdout.readline(), 30)  # type: ignore[union-attr]
    if line.strip() != b"ready":
        await proc.wait()
        pytest.skip(f"no other network namespace here: {(await proc.stderr.read()).decode()}")  # type: ignore[union-attr]
    try:
        yield str(path)
    finally:
        proc.kill()
        await proc.wait()


def docker_socket() -> list[str]:
    host = os.environ.get("DOCKER_HOST", "")
    path = host.removeprefix("unix://") if host.startswith("unix://") else ""
    return [path] if path and reachable(path) else []


@pytest.mark.parametrize(
    ("network", "mount"), [(False, "rw"), (True, "rw"), (False, "ro")], ids=["rw", "net", "ro"]
)
async def test_host_sockets_are_out_of_reach(
    tmp_path: Path,
    host_folder: Path,
    other_namespace_server: str,
    network: bool,
    mount: str,
):
    if mount == "ro" and not overlay_status()[0]:
        pytest.skip("read-only runs use a copy here; the same flags, nothing more to see")
    project = tmp_path / "project"
    project.mkdir()
    agent = str(host_folder / "agent.sock")
    own = str(project / "dev.sock")
    servers = [listen(agent), listen(own)]
    try:
        hidden = [agent, other_namespace_server, *docker_socket()]
        assert agent in socket_paths() and other_namespace_server not in socket_paths()
        assert all(reachable(address) for address in [*hidden, own])  # from outside: yes
        box = LocalSandbox(project, network=network, mount=mount)
        result = await box.run(
            RunRequest(command=[sys.executable, "-c", PROBE, *hidden, own], cwd=project)
        )
    finally:
        for server in servers:
            server.close()
    assert result.ok, result.stderr
    lines = result.stdout.splitlines()
    for address in hidden:
        assert any(line.startswith(f"refused {address} ") for line in lines), lines
    if mount == "rw":  # a read-only run sees a layer over the project, not the socket itself
        assert f"reached {own}" in lines  # the project's own sockets stay usable


@pytest.mark.parametrize("network", [False, True], ids=["no-net", "net"])
async def test_abstract_sockets_are_isolated_only_without_network(tmp_path: Path, network: bool):
    name = f"@rigtui-test-{os.getpid()}-{network}"
    server = listen(name)
    try:
        assert reachable(name)
        box = LocalSandbox(tmp_path, network=network)
        result = await box.run(
            RunRequest(command=[sys.executable, "-c", PROBE, name], cwd=tmp_path)
        )
    finally:
        server.close()
    assert result.ok, result.stderr
    # what remains with `network = true`, as the note says
    assert result.stdout.startswith("reached" if network else "refused"), result.stdout
    assert ("abstract" in box.note) == network


async def test_tools_and_the_resolver_stay_visible(tmp_path: Path):
    box = LocalSandbox(tmp_path)
    probe = "import sys, os; print(sys.prefix); print(os.path.exists('/etc/resolv.conf'))"
    result = await box.run(RunRequest(command=[sys.executable, "-c", probe], cwd=tmp_path))
    assert result.ok, result.stderr
    assert result.stdout.split() == [sys.prefix, str(os.path.exists("/etc/resolv.conf"))]
    listing = await box.run(RunRequest(command=["ls", "-A", "/run"], cwd=tmp_path))
    assert listing.ok and not {"docker", "dbus", "containerd"} & set(listing.stdout.split())


async def test_a_runtime_folder_elsewhere_is_there_and_empty(
    tmp_path: Path, host_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    (host_folder / "keyring").mkdir()
    (host_folder / "keyring" / "control").write_text("")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(host_folder))
    box = LocalSandbox(tmp_path)
    result = await box.run(RunRequest(command='ls -A "$XDG_RUNTIME_DIR"', cwd=tmp_path))
    assert result.ok and result.stdout == "", result


async def test_host_shared_memory_is_out_of_reach(tmp_path: Path):
    if shutil.which("ipcmk") is None:
        pytest.skip("ipcmk (util-linux) is not installed")
    made = subprocess.run(["ipcmk", "-M", "4096"], capture_output=True, text=True, check=True)
    segment = made.stdout.split()[-1]
    try:
        seen = subprocess.run(["ipcs", "-m", "-i", segment], capture_output=True, text=True)
        assert f"shmid={segment}" in seen.stdout
        box = LocalSandbox(tmp_path)
        result = await box.run(RunRequest(command=["ipcs", "-m", "-i", segment], cwd=tmp_path))
    finally:
        subprocess.run(["ipcrm", "-m", segment], check=True)
    assert f"shmid={segment}" not in result.stdout, result.stdout

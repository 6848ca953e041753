"""What a command inside bubblewrap sees of the host besides the project.

The host's root is mounted read-only, but a read-only mount does not stop `connect()`: a command
could still talk to the Docker engine, a session bus, an ssh or gpg agent through their Unix
sockets. So:

- /tmp and the runtime folders (/run, /var/run, $XDG_RUNTIME_DIR), where agents, buses and
  engines keep their sockets, are empty tmpfs; the tool folders inside them (a venv under /tmp,
  NixOS's /run/current-system) and the resolver configuration are put back, read-only;
- every other Unix socket bound to a path outside the project (as /proc/net/unix lists them)
  gets /dev/null mounted over it, so connecting to it fails.

What remains: /proc/net/unix lists the sockets of our own network namespace only, and only those
bound when the command starts; a socket another namespace binds (a container's) or one bound
later outside the runtime folders stays reachable. Abstract sockets (`@name`: X11, some session
buses) have no path to hide: `--unshare-net` (network off, the default) is what isolates them,
so with `network = true` they stay reachable, as does everything listening on the host's
loopback.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

RUNTIME_FOLDERS = ("/run", "/var/run")
# Paths inside the hidden folders that commands need and that hold no sockets: where
# /etc/resolv.conf often points (systemd-resolved, NetworkManager, resolvconf), and NixOS's
# system profile and graphics drivers.
KEEP = ("/etc/resolv.conf", "/run/current-system", "/run/opengl-driver")
FRESH = ("/dev", "/proc")  # bubblewrap mounts its own


def view_flags(root: Path) -> tuple[list[str], list[str]]:
    """bubblewrap's flags for the host view: (those to give before the project is mounted,
    those to give after it). Read fresh for every command: sockets come and go."""
    hidden = hidden_folders()
    kept = kept_paths(root, hidden)
    before: list[str] = []
    for folder in hidden:
        before += ["--tmpfs", folder]
    for path in kept:
        before += ["--ro-bind", path, path]
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(xdg) and any(_under(os.path.realpath(xdg), h) for h in hidden):
        before += ["--dir", os.path.realpath(xdg)]  # there, and empty
    return before, hidden_socket_flags(root, hidden, kept)


def hidden_folders() -> list[str]:
    """/tmp and the runtime folders that exist, resolved, none inside another."""
    candidates = ["/tmp", *RUNTIME_FOLDERS]
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    home = os.path.realpath(os.path.expanduser("~"))
    if os.path.isabs(xdg):
        real = os.path.realpath(xdg)
        # a runtime folder set to / or to the home folder (or above it) would hide too much;
        # its sockets are still hidden one by one
        if real != "/" and not _under(home, real):
            candidates.append(xdg)
    folders: list[str] = []
    for entry in candidates:
        real = os.path.realpath(entry)
        if os.path.isdir(real) and not any(_under(real, f) for f in folders):
            folders = [f for f in folders if not _under(f, real)] + [real]
    return folders


def kept_paths(root: Path, hidden: list[str]) -> list[str]:
    """The paths under the hidden folders to mount back, read-only: this interpreter's prefix,
    the PATH folders and KEEP, outside the project (which is mounted anyway)."""
    candidates = [sys.prefix, *os.environ.get("PATH", "").split(os.pathsep), *KEEP]
    keep: list[str] = []
    for entry in candidates:
        if not entry or not os.path.isabs(entry) or not os.path.exists(entry):
            continue
        for path in dict.fromkeys((os.path.normpath(entry), os.path.realpath(entry))):
            if _under(path, str(root)) or not any(_under(path, h) for h in hidden):
                continue
            if not any(_under(path, k) for k in keep):
                keep = [k for k in keep if not _under(k, path)] + [path]
    return keep


def socket_paths() -> list[str]:
    """The paths of the Unix sockets bound in this network namespace (listening or datagram;
    abstract ones have none), as /proc/net/unix lists them."""
    try:
        with open("/proc/net/unix", encoding="utf-8", errors="surrogateescape") as fh:
            lines = fh.read().splitlines()[1:]
    except OSError:
        return []
    paths: dict[str, None] = {}
    for line in lines:
        fields = line.split(None, 7)
        if len(fields) == 8 and fields[7].startswith("/"):
            paths[fields[7]] = None
    return list(paths)


def hidden_socket_flags(root: Path, hidden: list[str], kept: list[str]) -> list[str]:
    """`--ro-bind /dev/null SOCKET` for each socket the command would still see: outside the
    project, the fresh /dev and /proc, and the hidden folders (unless under a kept path).
    Sockets we cannot reach ourselves are skipped: the command cannot reach them either."""
    flags: list[str] = []
    seen: set[str] = set()
    for path in socket_paths():
        real = os.path.realpath(path)
        if real in seen or _under(real, str(root)) or any(_under(real, f) for f in FRESH):
            continue
        seen.add(real)
        if any(_under(real, h) for h in hidden) and not any(_under(real, k) for k in kept):
            continue
        try:
            if not stat.S_ISSOCK(os.lstat(real).st_mode):
                continue  # gone, or replaced since it was bound
        except OSError:
            continue
        flags += ["--ro-bind", "/dev/null", real]
    return flags


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@functools.lru_cache(maxsize=1)
def bwrap_status() -> tuple[bool, str]:
    """(usable, reason): probed once per process. bwrap fails inside containers that lack user
    namespaces; then we fall back and say so."""
    path = shutil.which("bwrap")
    if path is None:
        return False, "bwrap is not installed"
    probe = [path, *bwrap_flags(Path("/"), Path("/"), network=False, mount="ro"), "true"]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap cannot start: {exc}"
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        return False, f"bwrap does not work here: {detail[-1] if detail else done.returncode}"
    return True, path


def bwrap_flags(
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

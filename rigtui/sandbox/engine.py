"""Talking to a Docker engine: connecting (with one clear message per way it can fail), checking
the image, labelling containers, and removing the ones a killed rigtui left behind."""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
from pathlib import Path
from typing import Any

from rigtui.errors import RigtuiError
from rigtui.paths import project_key

LABEL = "rigtui.managed"
PROBE_TIMEOUT = 15  # seconds for control calls; output streams use a client without one
LOCAL_FIX = 'or run locally with `--sandbox local` (settings: [sandbox] kind = "local")'


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _import_docker() -> Any:
    try:
        import docker
    except ImportError as exc:
        raise RigtuiError(
            "the Docker sandbox needs the `docker` Python package, which is not installed",
            fix=f"install it with `pip install docker`, {LOCAL_FIX}",
        ) from exc
    return docker


def _explain(exc: Exception, address: str) -> RigtuiError:
    """Turn the SDK's connection error into the one message a user can act on."""
    text = str(exc)
    if "No such file" in text or "FileNotFoundError" in text:
        return RigtuiError(
            f"no Docker engine: {address} does not exist",
            fix="start Docker (e.g. `sudo systemctl start docker`) or point DOCKER_HOST at a "
            f"running engine, {LOCAL_FIX}",
        )
    if "Connection refused" in text:
        return RigtuiError(
            f"the Docker engine at {address} is not running (connection refused)",
            fix=f"start it, or point DOCKER_HOST at a running engine, {LOCAL_FIX}",
        )
    if "Permission denied" in text:
        return RigtuiError(
            f"permission denied talking to the Docker engine at {address}",
            fix=f"add your user to the `docker` group and log in again, {LOCAL_FIX}",
        )
    detail = text.splitlines()[0][:200] if text else type(exc).__name__
    return RigtuiError(
        f"the Docker engine at {address} is unreachable: {detail}",
        fix=f"check DOCKER_HOST and that the engine host is up, {LOCAL_FIX}",
    )


def connect(timeout: float | None = PROBE_TIMEOUT, version: str | None = None) -> Any:
    """A `docker.DockerClient` for DOCKER_HOST (or the default socket) that has answered a ping.
    `ssh://` hosts are reached through an `ssh -L` tunnel (rigtui.sandbox.ssh_tunnel)."""
    docker = _import_docker()
    address = engine_address()
    try:
        if address.startswith("ssh://"):
            from rigtui.sandbox.ssh_tunnel import open_tunnel  # only for ssh:// engines

            tunnel = open_tunnel(address)
            client = docker.DockerClient(
                base_url=tunnel.docker_url, timeout=timeout, version=version or "auto"
            )
        else:
            client = docker.from_env(timeout=timeout, version=version or "auto")
        if version is None:
            client.ping()
    except docker.errors.DockerException as exc:
        raise _explain(exc, address) from exc
    except OSError as exc:
        raise _explain(exc, address) from exc
    return client


def ensure_image(client: Any, image: str) -> None:
    docker = _import_docker()
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound as exc:
        raise RigtuiError(
            f"the sandbox image {image!r} is not on the Docker engine at {engine_address()}",
            fix=f"build it (`.ci/base-image.sh` builds rigtui-base:bookworm offline) or pull "
            f"it with `docker pull {image}`, set [sandbox] image to one you have, {LOCAL_FIX}",
        ) from exc
    except docker.errors.DockerException as exc:
        raise _explain(exc, engine_address()) from exc


def labels(root: Path, thread_id: str, *, reused: bool) -> dict[str, str]:
    """Labels on every container we start: what it is for, and who owns it (host and pid), so
    a later rigtui can tell a leftover from a container another live rigtui is using."""
    return {
        LABEL: "1",
        "rigtui.project": project_key(root),
        "rigtui.thread": thread_id,
        "rigtui.host": socket.gethostname(),
        "rigtui.pid": str(os.getpid()),
        "rigtui.reused": "1" if reused else "0",
    }


def _owner_gone(container_labels: dict[str, str]) -> bool:
    if container_labels.get("rigtui.host") != socket.gethostname():
        return False  # another machine's rigtui: we cannot tell whether it is alive
    try:
        pid = int(container_labels.get("rigtui.pid", ""))
        os.kill(pid, 0)
    except ValueError:
        return True
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, as another user
    return False


def clean_leftovers(client: Any) -> list[str]:
    """Remove our containers whose rigtui process is gone (killed before it could clean up),
    then the volumes they used (a read-only project's overlay layers). Returns the short ids
    of the containers removed."""
    docker = _import_docker()
    removed: list[str] = []
    # The low-level list: the high-level one inspects each container, and fails on one that
    # another process (or our own background removal) takes away meanwhile.
    for container in client.api.containers(all=True, filters={"label": f"{LABEL}=1"}):
        if not _owner_gone(container.get("Labels") or {}):
            continue
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            client.api.remove_container(container["Id"], force=True)
            removed.append(container["Id"][:12])
    with contextlib.suppress(docker.errors.APIError):
        volumes = client.volumes.list(filters={"label": f"{LABEL}=1"})
        # The overlay first: it stacks the other two, which cannot go while it is mounted.
        volumes.sort(key=lambda v: (v.attrs.get("Options") or {}).get("type") != "overlay")
        for volume in volumes:
            if _owner_gone(volume.attrs.get("Labels") or {}):
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    volume.remove(force=True)
    return removed


def owner_user(root: Path) -> str:
    """Run as the project's owner, so files the command writes belong to them."""
    st = Path(root).stat()
    return f"{st.st_uid}:{st.st_gid}"


_EXIT_HOOKS: set[str] = set()


def remove_ours_at_exit(client: Any) -> None:
    """On a normal exit, remove any container this process still owns (a sandbox that was not
    closed). Registered once per engine; a killed process is handled by `clean_leftovers`."""
    address = engine_address()
    if address in _EXIT_HOOKS:
        return
    _EXIT_HOOKS.add(address)
    atexit.register(_remove_ours, client)


def _remove_ours(client: Any) -> None:
    me = {"label": [f"{LABEL}=1", f"rigtui.pid={os.getpid()}"]}
    with contextlib.suppress(Exception):
        for container in client.api.containers(all=True, filters=me):
            with contextlib.suppress(Exception):
                client.api.remove_container(container["Id"], force=True)
        for volume in client.volumes.list(filters=me):
            with contextlib.suppress(Exception):
                volume.remove(force=True)

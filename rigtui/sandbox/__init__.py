"""Where commands run: Docker (the default when an engine is reachable) or a local process,
behind one interface (`rigtui.sandbox.base.Sandbox`), plus the approval policy.

    sandbox = get_sandbox(settings, root)          # settings.sandbox.kind: auto | docker | local
    result = await sandbox.run(RunRequest(command="pytest -q", cwd=root), on_output=print_chunk)
    await sandbox.close()

`sandbox.name` always says which one is in use; `sandbox.note` says why (e.g. why auto chose
local). Asking for Docker explicitly never falls back silently: it raises a RigtuiError whose
fix offers `--sandbox local`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rigtui.config import Settings
from rigtui.errors import BadInput, RigtuiError
from rigtui.sandbox.base import OutputCallback, RunRequest, RunResult, Sandbox
from rigtui.sandbox.local import LocalSandbox

KINDS = ("auto", "docker", "local", "local+bwrap")

__all__ = [
    "KINDS",
    "LocalSandbox",
    "OutputCallback",
    "RunRequest",
    "RunResult",
    "Sandbox",
    "get_sandbox",
]


def get_sandbox(
    settings: Settings,
    root: Path,
    kind: str | None = None,
    *,
    image: str | None = None,
    thread_id: str = "",
    reuse: bool | None = None,
    mount: str | None = None,
) -> Sandbox:
    """The sandbox for `root`. `kind` overrides `settings.sandbox.kind`:
    - "docker": Docker or a clear error (never a silent fallback);
    - "local": a local process, inside bubblewrap when it works;
    - "local+bwrap": local, and bubblewrap is required;
    - "auto": Docker when an engine answers, else local with `note` saying why.
    `reuse` overrides `settings.sandbox.reuse_container` (one long-lived container per
    sandbox; give each thread its own sandbox and close it with the thread).
    `mount` overrides `settings.sandbox.mount` (the checks run "rw" where the model's commands
    are captured)."""
    chosen = kind or settings.sandbox.kind
    if chosen not in KINDS:
        raise BadInput(f"unknown sandbox {chosen!r}", fix=f"use one of: {', '.join(KINDS)}")
    if mount is not None and mount != settings.sandbox.mount:
        settings = replace(settings, sandbox=replace(settings.sandbox, mount=mount))
    conf = settings.sandbox
    if chosen in ("local", "local+bwrap"):
        return LocalSandbox(
            root,
            isolate=True if chosen == "local+bwrap" else None,
            network=conf.network,
            mount=conf.mount,
        )
    try:
        return _docker(settings, root, image=image, thread_id=thread_id, reuse=reuse)
    except RigtuiError as exc:
        if chosen == "docker":
            raise
        local = LocalSandbox(root, network=conf.network, mount=conf.mount)
        why = f"Docker not used: {exc.message}; running locally ({local.name})"
        local.note = f"{why}; {local.note}" if local.note else why
        return local


def _docker(
    settings: Settings, root: Path, *, image: str | None, thread_id: str, reuse: bool | None
) -> Sandbox:
    try:
        from rigtui.sandbox.docker_sandbox import DockerSandbox  # the docker SDK: when asked for
    except ImportError as exc:  # the module itself, or the docker SDK it needs
        raise RigtuiError(
            f"the Docker sandbox is unavailable: {exc}",
            fix="install the `docker` Python package, or use `--sandbox local`",
        ) from exc
    return DockerSandbox.connect(settings, root, image=image, thread_id=thread_id, reuse=reuse)

"""The session: the core's one front door, owning the open project's whole runtime. Front ends
send it ops and render its events (rigtui.protocol).

The session itself (and the agent, the patch engine and the store behind it) loads on first
use of `Session`, `ProjectRuntime`, `Service` or `Thread`, not when this package is imported:
the workbench paints first (bench/startup.py) and opens the session after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rigtui.session.facts import ModelStatus, check_store, launch_folder, model_status

if TYPE_CHECKING:
    from rigtui.session.core import Session
    from rigtui.session.runtime import ProjectRuntime, Service
    from rigtui.store import Thread

__all__ = [
    "ModelStatus",
    "ProjectRuntime",
    "Service",
    "Session",
    "Thread",
    "check_store",
    "launch_folder",
    "model_status",
]


def __getattr__(name: str) -> Any:
    if name == "Session":
        from rigtui.session.core import Session

        return Session
    if name in ("ProjectRuntime", "Service"):
        from rigtui.session import runtime

        return getattr(runtime, name)
    if name == "Thread":
        from rigtui.store import Thread

        return Thread
    raise AttributeError(f"module 'rigtui.session' has no attribute {name!r}")

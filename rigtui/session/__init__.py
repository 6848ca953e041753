"""The session: the core's one front door, owning the open project's whole runtime. Front ends
send it ops and render its events (rigtui.protocol)."""

from rigtui.session.core import ModelStatus, Session, check_store, launch_folder, model_status
from rigtui.session.runtime import ProjectRuntime, Service
from rigtui.store import Thread

__all__ = [
    "ModelStatus",
    "check_store",
    "ProjectRuntime",
    "Service",
    "Session",
    "Thread",
    "launch_folder",
    "model_status",
]

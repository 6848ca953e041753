"""The Docker engine the sandbox tests use: its client (or why there is none) and the
containers this test process left."""

from __future__ import annotations

import os

from rigtui.config import Settings
from rigtui.errors import RigtuiError
from rigtui.sandbox import engine

IMAGE = Settings().sandbox.image


def engine_or_reason() -> tuple[object | None, str]:
    try:
        client = engine.connect()
        engine.ensure_image(client, IMAGE)
    except RigtuiError as exc:
        return None, f"Docker tests need an engine and {IMAGE}: {exc}"
    return client, ""


def containers_of_this_process(client: object) -> list[object]:
    """Containers this test process started that still exist."""
    found = client.containers.list(all=True, filters={"label": f"{engine.LABEL}=1"})  # type: ignore[attr-defined]
    return [c for c in found if c.labels.get("rigtui.pid") == str(os.getpid())]

"""What a front end asks about a project before (or without) opening a session: whether a
model is configured, where the user started rigtui, whether the store can be used. Light on
purpose: the workbench imports it before its first paint, and the session's own modules (the
agent, the patch engine) load only when the session opens."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rigtui.config import Settings
from rigtui.paths import store_db_path
from rigtui.store.check import check_store_file


@dataclass(frozen=True)
class ModelStatus:
    """What the status bar shows about the model, and why it cannot be used yet."""

    profile: str
    model: str
    base_url: str | None
    configured: bool
    how_to_configure: str


def model_status(settings: Settings, profile: str | None = None) -> ModelStatus:
    name = profile or settings.model.default
    chosen = settings.model_profile(name)
    base_url = chosen.base_url or os.environ.get("OPENAI_BASE_URL")
    has_key = bool(os.environ.get(chosen.api_key_env))
    configured = has_key or bool(base_url)
    how = (
        f"set {chosen.api_key_env} for OpenAI, or set base_url for a local"
        " server (Ollama, vLLM, llama.cpp, LM Studio) under [model.profiles."
        f"{name}] in your config.toml, or pass --base-url"
    )
    return ModelStatus(name, chosen.model, base_url, configured, "" if configured else how)


def check_store() -> None:
    """Refuse, before a front end takes over the terminal, a store rigtui cannot use (one line
    naming the file and the fix; the file left untouched)."""
    check_store_file(store_db_path())


def launch_folder(root: Path) -> Path | None:
    """The folder the user started rigtui from, when it is inside the project: AGENTS.md files
    are read from the root down to it."""
    cwd = Path.cwd().resolve()
    return cwd if cwd.is_relative_to(Path(root).resolve()) else None

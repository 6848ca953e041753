"""The core's front door: one `Session` per open project. Front ends (the TUI, `rigtui exec`)
send ops in and read events out; the store appends every thread event (DESIGN.md rule 2)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from rigtui.config import Settings, load_settings
from rigtui.events import (
    Error,
    Event,
    ThreadCreated,
    ThreadDeleted,
    ThreadRenamed,
    UserMessage,
)
from rigtui.ops import Cancel, DeleteThread, Op, RenameThread, SendMessage
from rigtui.store import Project, Store, Thread, new_id


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
        f"{name}] in .rigtui.toml, or pass --base-url"
    )
    return ModelStatus(name, chosen.model, base_url, configured, "" if configured else how)


class Session:
    """Open with `await Session.open(root)`; close with `await session.close()`."""

    def __init__(self, root: Path, settings: Settings, store: Store, project: Project) -> None:
        self.root = root
        self.settings = settings
        self.store = store
        self.project = project
        self._subscribers: list[asyncio.Queue[Event | None]] = []
        self._owns_store = False

    @classmethod
    async def open(
        cls, root: Path, *, settings: Settings | None = None, store: Store | None = None
    ) -> Session:
        root = Path(root).resolve()
        settings = settings or load_settings(root)
        own = store is None
        store = store or await Store.open()
        project = await store.project_for(root)
        session = cls(root, settings, store, project)
        session._owns_store = own
        return session

    async def close(self) -> None:
        for queue in list(self._subscribers):
            queue.put_nowait(None)
        if self._owns_store:
            await self.store.close()

    # --- events out ------------------------------------------------------------------------

    def subscribe(self) -> AsyncIterator[Event]:
        """Everything that happens from now on, in order, until the session closes."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._subscribers.append(queue)

        async def events() -> AsyncIterator[Event]:
            try:
                while (event := await queue.get()) is not None:
                    yield event
            finally:
                with contextlib.suppress(ValueError):
                    self._subscribers.remove(queue)

        return events()

    async def emit(self, event: Event, *, persist: bool = True) -> None:
        """Store a thread event (when it belongs to a thread) and hand it to every subscriber."""
        if persist and event.thread_id:
            await self.store.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)

    # --- threads ---------------------------------------------------------------------------

    async def threads(self) -> list[Thread]:
        return await self.store.threads(self.project.id)

    async def new_thread(self, title: str = "New thread") -> Thread:
        thread = await self.store.create_thread(self.project.id, title)
        await self.emit(ThreadCreated(thread_id=thread.id, title=title))
        return thread

    async def history(self, thread_id: str) -> list[Event]:
        return await self.store.events(thread_id)

    # --- ops in ----------------------------------------------------------------------------

    async def send(self, op: Op) -> None:
        match op:
            case SendMessage(thread_id=tid, text=text):
                await self._send_message(tid, text)
            case RenameThread(thread_id=tid, title=title):
                await self.store.rename_thread(tid, title)
                await self.emit(ThreadRenamed(thread_id=tid, title=title))
            case DeleteThread(thread_id=tid):
                await self.store.delete_thread(tid)
                await self.emit(ThreadDeleted(thread_id=tid), persist=False)
            case Cancel():
                pass  # nothing runs yet without a model
            case _:
                raise TypeError(f"unknown op {op!r}")

    async def _send_message(self, thread_id: str, text: str) -> None:
        await self.emit(UserMessage(thread_id=thread_id, text=text, message_id=new_id("m")))
        status = model_status(self.settings)
        if not status.configured:
            await self.emit(
                Error(
                    thread_id=thread_id, message="no model configured", fix=status.how_to_configure
                )
            )

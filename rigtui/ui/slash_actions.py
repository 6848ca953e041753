"""`/commands` typed in the workbench's message box: a built-in runs the action it names (the
same as its key), a custom prompt is expanded and sent, `//text` sends `/text`, and an unknown
name is said (the words put back in the box). rigtui.session.slash knows the names."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.widgets import Input

from rigtui import protocol as ev
from rigtui.errors import BadInput

if TYPE_CHECKING:
    from rigtui.session.slash import BuiltinUse


class SlashHost(Protocol):
    """What the commands need of the workbench (rigtui.ui.app.RigtuiApp)."""

    root: Path

    @property
    def current_thread(self) -> Any: ...
    def notify(self, message: str, **kwargs: Any) -> None: ...
    def query_one(self, selector: str, expect_type: Any = ...) -> Any: ...
    def send_op(self, op: Any, refused: str = "") -> Any: ...
    async def action_new_thread(self) -> None: ...
    async def action_fork_thread(self) -> None: ...
    def action_switch_model(self) -> None: ...
    def action_undo_change_set(self) -> None: ...
    def action_redo_change_set(self) -> None: ...
    def action_run_checks(self) -> None: ...
    def action_toggle_thread_list(self) -> None: ...


async def message_text(app: SlashHost, text: str) -> str | None:
    """What to send for what the user typed, or None when a command did it (or was refused)."""
    # loaded with the first message, not before the first frame (bench/startup.py)
    from rigtui.session.slash import BuiltinUse, PromptUse, literal, load_prompts, parse

    prompts = await asyncio.to_thread(load_prompts, app.root)
    try:
        command = parse(text, prompts)
    except BadInput as exc:
        app.notify(f"{exc.message}: {exc.fix}", title="Command", severity="error", timeout=10)
        box = app.query_one("#message", Input)
        if not box.value:
            box.value = text
        return None
    if isinstance(command, PromptUse):
        return command.text
    if isinstance(command, BuiltinUse):
        await run_builtin(app, command, prompts)
        return None
    return literal(text)


async def run_builtin(app: SlashHost, use: BuiltinUse, prompts: list) -> None:  # type: ignore[type-arg]
    thread_id = app.current_thread.id if app.current_thread else ""
    match use.builtin.name:
        case "new":
            await app.action_new_thread()
            if use.argument and app.current_thread is not None:
                app.send_op(ev.RenameThread(app.current_thread.id, use.argument))
        case "fork":
            await app.action_fork_thread()
        case "model" if use.argument:
            app.send_op(ev.SetThreadModel(thread_id, use.argument))
        case "model":
            app.action_switch_model()
        case "undo":
            app.action_undo_change_set()
        case "redo":
            app.action_redo_change_set()
        case "compact":
            app.send_op(ev.CompactThread(thread_id))
        case "checks":
            app.action_run_checks()
        case "threads":
            app.action_toggle_thread_list()
        case "help":
            from rigtui.session.slash import help_text

            app.notify(help_text(prompts), title="Commands", timeout=20, markup=False)


class CompactAction:
    """The palette's "Compact thread", mixed into the app: what `/compact` does."""

    def action_compact_thread(self: SlashHost) -> None:  # type: ignore[misc]
        if self.current_thread is not None:
            self.send_op(ev.CompactThread(self.current_thread.id))

"""The workbench: file tree, thread pane and right pane side by side, a status bar and a
footer. It renders the session's events (one Textual message each, handled in order, routed
by type to the widget that shows them) and turns what the user does into ops on the session
(DESIGN.md). Its actions and keys are declared once, in rigtui.ui.keymap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import DirectoryTree, Footer

from rigtui import protocol as ev
from rigtui.config import Settings, load_settings
from rigtui.errors import RigtuiError
from rigtui.session import launch_folder, model_status
from rigtui.trust import record
from rigtui.ui import gc_pause, keymap
from rigtui.ui.checks_panel import ChecksPanel
from rigtui.ui.copying import CopyActions
from rigtui.ui.file_tree import ProjectTree
from rigtui.ui.mcp_view import McpActions, expand_prompt
from rigtui.ui.message_box import MessageInput
from rigtui.ui.notify import Notifier
from rigtui.ui.outline import Outline
from rigtui.ui.review_pane import ReviewPane
from rigtui.ui.right_pane import RightPane
from rigtui.ui.slash_actions import CompactAction, message_text
from rigtui.ui.status_bar import StatusBar
from rigtui.ui.task_board import TaskBoardActions
from rigtui.ui.themes import follow_theme, register_themes, start_with_theme
from rigtui.ui.thread_pane import ThreadPane
from rigtui.ui.threads import ThreadActions
from rigtui.ui.title_bar import TitleBar
from rigtui.ui.zoom import ZoomActions

if TYPE_CHECKING:
    from rigtui.session import Session, Thread
    from rigtui.ui.router import SessionEvent
    from rigtui.ui.threads import Threads


class WorkbenchScreen(Screen[object]):
    """The workbench's screen. Focus starts in the message box, where the session puts it
    once it opens: the first frame shows it there already (Textual's default, the first
    focusable widget, gave it to the tree, and moving it restyled both and the footer).

    A resize to the size the screen is laid out at already lays nothing out again. Textual
    sends the first screen three of those as it starts (the app's first size, the
    terminal's, the screen's own after its first layout), each a layout and a drawing of
    whatever changed meanwhile, before the first frame; it merges them only when nothing is
    queued between them, and here the widgets' own updates are.

    Its first resume does not style every widget again: each was styled as it mounted,
    moments before, with every rule it matches already read (a widget class's CSS is read as
    its first instance mounts and styles only it and what it contains; the order
    pseudo-classes are styled again as siblings mount)."""

    AUTO_FOCUS = "#message"

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self.stack_updates:  # the first (Screen's own handler counts them)
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        if event.size == self.outer_size:
            event.prevent_default()  # Screen's own handler: a layout at the same size


class RigtuiApp(
    ThreadActions, McpActions, CompactAction, TaskBoardActions, ZoomActions, CopyActions, App[int]
):
    TITLE = "rigtui"
    CSS_PATH = "app.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = keymap.bindings()

    def __init__(
        self,
        root: Path,
        settings: Settings,
        *,
        theme: str | None = None,
        profile: str | None = None,
        reload: Callable[[], Settings] | None = None,
    ) -> None:
        super().__init__()
        self.root = root
        self.settings = settings
        # Settings read again once the user trusts the project (with this run's overrides).
        self.reload_settings = reload or (lambda: load_settings(root))
        self.launch_profile = profile  # --profile; a thread may have its own
        self.session: Session | None = None
        self.session_opened = asyncio.Event()  # set once the session is open (after painting)
        self.threads: Threads | None = None
        self.theme_warnings = register_themes(self)
        start_with_theme(self, theme or settings.ui.theme)
        self._narrow: bool | None = None
        # "this needs you" while the terminal is not focused: attention(title, body)
        self.notifier = Notifier(self, settings.ui.notify)
        self.terminal = self.notifier.terminal  # OSC 52 copies

    # --- layout and start ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar(icon="◆")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield ProjectTree(self.root, self.settings.ui.icons, id="tree")
            yield ThreadPane(id="thread")
            yield RightPane(self.root, id="right")
        yield StatusBar(self.settings, self.root.name, id="status")
        yield Footer()

    async def on_mount(self) -> None:
        self.thread_pane = self.query_one(ThreadPane)  # looked up once: events use it per delta
        self.status = self.query_one(StatusBar)
        self.right = self.query_one(RightPane)
        self.sub_title = self.root.name
        follow_theme(self)
        self.thread_pane.border_title = "Thread"
        self.query_one("#tree").border_title = self.root.name
        self.call_after_refresh(gc_pause.first_painted)
        for warning in self.theme_warnings:
            self.notify(warning, severity="warning")
        trust = self.settings.trust
        if trust is not None and trust.should_ask:
            # After the first paint and before the session starts, so a yes applies to
            # everything the session does.
            self.call_after_refresh(self.ask_trust)
            return
        # The first frame shows the tree and the panes; the session (the agent, the store, the
        # thread's history) opens right after it.
        self.call_after_refresh(self.start_session)

    @work(group="trust")
    async def ask_trust(self) -> None:
        """The one-time question: the project file asks for settings that need trust."""

        trust = self.settings.trust
        assert trust is not None
        from rigtui.ui.trust_screen import TrustScreen  # loaded on use

        yes = bool(await self.push_screen_wait(TrustScreen(trust)))
        try:
            await asyncio.to_thread(record, self.root, trust.sha256, trusted=yes)
            if yes:
                self.settings.update_from(await asyncio.to_thread(self.reload_settings))
        except RigtuiError as exc:  # the trust list is unreadable: say so, keep them ignored
            self.notify(str(exc), severity="error", timeout=30)
        await self.start_session()

    async def mount_panes(self) -> None:
        """The panes hidden at first (outline, plan, checks, review): after the first frame."""
        await self.query_one("#left").mount(Outline(None, id="outline", classes="-empty"))
        await self.thread_pane.mount_panes()
        await self.right.mount_panes()

    async def start_session(self) -> None:
        try:
            await self._start_session()
        except (NoMatches, MountError):
            if self.is_running:
                raise
            # A quit landed while the session opened: the panes it fills are gone already
            # (on_unmount closes the session, if it got that far).

    async def _start_session(self) -> None:
        await self.mount_panes()
        trust = self.settings.trust
        if trust is not None and (notice := trust.notice()):
            self.notify(notice, title="Settings ignored", severity="warning", timeout=20)
        # The agent, the engine, the store and the event renderers: after the first paint.
        from rigtui.session import Session
        from rigtui.ui.router import EventRouter
        from rigtui.ui.threads import Threads

        session = await Session.open(
            self.root, settings=self.settings, working_dir=launch_folder(self.root)
        )
        if not self.is_running:  # quit while it opened: nothing will close it but this
            await session.close()
            return
        self.session = session
        self.query_one(MessageInput).completer = session.completer
        self.threads = Threads(self, session, self._switched)
        self.router = EventRouter(self, session, self.threads)
        self.query_one(ReviewPane).session = session
        self.pump_events(session.subscribe())  # subscribed now: nothing after this is missed
        await self.threads.open_first()
        self.query_one("#message").focus()
        self.session_opened.set()
        self.call_after_refresh(self.start_runtime)
        self.call_after_refresh(self.start_mcp)

    @work(group="runtime")
    async def start_runtime(self) -> None:
        """After the first paint: a crash's leftovers, the watcher, the index, the checks."""
        session = self.session_required()
        await session.start()
        if not self.is_running:  # quit while it started: the panes are gone
            return
        if (runner := session.runtime.checks) is not None:
            self.query_one(ChecksPanel).set_checks(runner.checks)
        self.status.show(sandbox=session.runtime.sandbox_name)

    async def on_unmount(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def opened_session(self) -> Session:
        """The session, once it is open (it opens right after the first frame)."""
        await self.session_opened.wait()
        return self.session_required()

    def session_required(self) -> Session:
        if self.session is None:
            raise RuntimeError("the session is not open yet")
        return self.session

    @property
    def current_thread(self) -> Thread | None:
        return self.threads.current if self.threads else None

    async def switch_thread(self, thread_id: str) -> None:
        if self.threads is not None:
            await self.threads.switch(thread_id)

    def _switched(self, thread: Thread, history: list[ev.Event]) -> None:
        usage = [e for e in history if isinstance(e, ev.UsageUpdated)]
        profile = thread.model_profile or self.launch_profile
        self.status.show(thread=thread.title, profile=profile, usage=usage[-1] if usage else None)
        self.thread_pane.border_title = f"Thread: {thread.title}"
        configured = model_status(self.settings, profile).configured
        self.thread_pane.set_placeholder(
            "Message the model…"
            if configured
            else "Message… (no model configured: send to see how to set one up)"
        )

    # --- events from the core --------------------------------------------------------------

    @work(exclusive=True, group="session-events")
    async def pump_events(self, events: AsyncIterator[ev.Event]) -> None:
        from rigtui.ui.router import SessionEvent

        async for event in events:
            self.post_message(SessionEvent(event))

    async def on_session_event(self, message: SessionEvent) -> None:
        try:
            await self.router.route(message.event)
        except (NoMatches, MountError):  # shutting down: the widgets are gone (it is stored)
            if self.is_running and self.screen_stack:
                raise

    # --- ops -------------------------------------------------------------------------------

    @work(group="ops")
    async def send_op(self, op: ev.Op, refused: str = "") -> None:
        """Send an op (once the session is open: a key pressed as the workbench starts is
        kept, not lost); one refused (nothing to undo, a patch that does not fit) is said."""
        try:
            await (await self.opened_session()).send(op)
        except RigtuiError as exc:
            self.notify(f"{refused}{exc}", severity="error", timeout=10)

    @on(ThreadPane.Submitted)
    async def _submitted(self, message: ThreadPane.Submitted) -> None:
        session = await self.opened_session()  # a message typed as the workbench starts waits
        if self.current_thread is not None:
            text = await message_text(self, message.text)  # None: a /command did it
            text = text and await expand_prompt(self, session.mcp, text)
            if text:  # None: a server's prompt that cannot be used (said)
                await session.send(ev.SendMessage(self.current_thread.id, text))

    @on(ThreadPane.ThreadChosen)
    async def _thread_chosen(self, message: ThreadPane.ThreadChosen) -> None:
        await self.switch_thread(message.thread_id)
        self.query_one("#message").focus()

    def action_undo_change_set(self) -> None:
        self.send_op(ev.Undo(self._current_id()))

    def action_redo_change_set(self) -> None:
        self.send_op(ev.Redo(self._current_id()))

    def action_review_pending(self) -> None:
        if not self.query_one(ReviewPane).show_latest(self._current_id()):
            # A change set an earlier run left pending (`exec --approve never`, a restart).
            self.send_op(ev.ReviewLeftover(self._current_id()))

    def action_review_patch_file(self) -> None:
        """Review a patch file (apply_patch envelope or unified diff) without a model."""

        async def load(name: str | None) -> None:
            if name:
                path = (self.root / name).expanduser()
                try:
                    text = await asyncio.to_thread(path.read_text)
                except OSError as exc:
                    self.notify(f"{path}: cannot be read ({exc.strerror})", severity="error")
                    return
                self.send_op(ev.ProposePatch(self._current_id(), text))

        from rigtui.ui.modals import PromptScreen  # loaded on use

        self.push_screen(PromptScreen("Patch file to review (path from the project root)"), load)

    def action_run_checks(self) -> None:
        self.right.show("checks")
        self.query_one(ChecksPanel).focus()
        runner = self.session_required().runtime.checks
        if runner is None or not runner.checks:
            self.notify("no checks: add a [checks] table to .rigtui.toml (see README)")
            return
        self.send_op(ev.RunChecks(""))

    def action_confirm_checks(self) -> None:
        self.send_op(ev.ConfirmChecks(self._current_id()))

    @on(ChecksPanel.RerunRequested)
    def _rerun(self, message: ChecksPanel.RerunRequested) -> None:
        self.send_op(ev.RunChecks("", [message.check] if message.check else None))

    @on(ChecksPanel.SendToModel)
    async def _send_failure(self, message: ChecksPanel.SendToModel) -> None:
        if self.current_thread is not None:
            await self.session_required().send(ev.SendMessage(self.current_thread.id, message.text))
            self.query_one("#message").focus()

    async def action_cancel_turn(self) -> None:
        if self.current_thread is not None:
            await self.session_required().send(ev.Cancel(self.current_thread.id))
            self.notify("stopped the model's reply")

    def _current_id(self) -> str:
        return self.current_thread.id if self.current_thread else ""

    # --- threads ---------------------------------------------------------------------------

    # --- files, search, artifacts ------------------------------------------------------------

    def open_file(self, path: Path, line: int | None = None) -> None:
        self.reveal("right")
        self.right.open_file(path, line)

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, message: DirectoryTree.FileSelected) -> None:
        self.open_file(Path(message.path))
        outline = next(iter(self.query(Outline)), None)  # None: chosen before it is mounted
        if outline is not None and outline.index is not None:
            outline.remove_class("-empty")
            outline.show_path(Path(message.path).relative_to(self.root).as_posix())

    @on(ChecksPanel.JumpTo)
    def _jump_to_failure(self, message: ChecksPanel.JumpTo) -> None:
        self.open_file(self.root / message.path, message.line)

    @on(Outline.SymbolChosen)
    def _symbol_chosen(self, message: Outline.SymbolChosen) -> None:
        self.open_file(self.root / message.location.path, message.location.line)

    def action_search(self) -> None:
        self.right.search(self.session_required().runtime.index)

    async def action_open_artifact(self) -> None:
        self.right.choose_artifact(await self.session_required().history(self._current_id()))

    # --- panes and keys --------------------------------------------------------------------

    def action_focus_pane(self, pane: str) -> None:
        self.reveal({"tree": "left"}.get(pane, pane))
        if pane == "tree":
            self.query_one("#left").remove_class("-hidden")
            self.query_one("#tree").focus()
        elif pane == "thread":
            self.query_one("#message").focus()
        else:
            self.right.focus_current()

    def action_toggle_tree(self) -> None:
        left = self.query_one("#left")
        left.toggle_class("-hidden")
        if left.has_class("-hidden") and left.has_focus_within:
            self.query_one("#message").focus()

    def action_close_file(self) -> None:
        if self.right.close_file():
            left = self.query_one("#left")
            (self.query_one("#tree") if left.display else self.query_one("#message")).focus()

    def action_show_diff(self) -> None:
        self.right.show("diff-empty")

    async def action_escape(self) -> None:
        if self._current_running():
            await self.action_cancel_turn()
        else:
            self.action_close_file()

    def action_show_keys(self) -> None:
        from rigtui.ui.modals import KeyMapScreen  # loaded on use

        self.push_screen(KeyMapScreen(keymap.key_rows()))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session is None:  # the trust question is open: nothing to act on yet
            return action == "quit"
        # ctrl+c stops a running reply; otherwise it stays the widgets' copy key.
        if action == "cancel_turn":
            return self._current_running()
        return True

    def _current_running(self) -> bool:
        thread = self.current_thread
        return bool(self.session and thread and self.session.running(thread.id))

    def get_default_screen(self) -> Screen[object]:
        """The first screen, with the width class its first resize gives it already set (set
        then, it would style every widget once more before the first frame); styled as it
        mounts, moments later, not now as well."""
        screen = WorkbenchScreen(id="_default")
        width = self.size.width
        screen.add_class(
            max(b for b in self.HORIZONTAL_BREAKPOINTS if width >= b[0])[1], update=False
        )
        return screen

    def on_resize(self, event: events.Resize) -> None:
        """Under 100 columns the tree collapses (ctrl+b brings it back) so the thread and
        diff panes keep a readable width."""
        self.fit_review(event.size.width)
        narrow = event.size.width < 100
        if narrow != self._narrow:
            self._narrow = narrow
            hide = narrow or not self.settings.ui.show_tree
            left = self.query_one("#left")
            left.set_class(hide, "-hidden")
            if hide and left.has_focus_within:
                self.query_one("#message").focus()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, help_text, action in keymap.commands():
            yield SystemCommand(title, help_text, partial(self.run_action, action))
        # the keys of the open review or checks panel, so the palette lists them too
        yield from keymap.pane_commands(self, self.right.shown_pane())

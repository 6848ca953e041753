"""The workbench: file tree, thread pane and diff pane side by side, a status bar and a footer.
Renders session events; user actions become ops on the session (DESIGN.md)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DirectoryTree, Footer, Header, Input, Static

from rigtui import events as ev
from rigtui.config import Settings, load_settings
from rigtui.errors import RigtuiError
from rigtui.index.events import IndexProgress, IndexReady, IndexUpdated
from rigtui.ops import (
    Cancel,
    DecideCommand,
    DecidePatch,
    DeleteThread,
    ForkThread,
    RenameThread,
    SendMessage,
    SetThreadModel,
)
from rigtui.session import Session, launch_folder, model_status
from rigtui.store import Thread
from rigtui.ui.checks_panel import ChecksPanel
from rigtui.ui.code_view import CodeView
from rigtui.ui.file_tree import ProjectTree
from rigtui.ui.mcp_view import McpServersScreen, expand_prompt, status_segment
from rigtui.ui.modals import ChooseScreen, ConfirmScreen, KeyMapScreen, PromptScreen
from rigtui.ui.outline import Outline
from rigtui.ui.plan_view import PlanView
from rigtui.ui.themes import register_themes
from rigtui.ui.thread_pane import ThreadList, ThreadPane
from rigtui.workspace import Workspace

DIFF_EMPTY = (
    "[b]Diff pane[/b]\n\n"
    "Change sets the model proposes appear here as diffs, file by file and hunk by hunk, "
    "for you to accept, reject or edit before anything touches disk.\n\n"
    "Select a file in the tree to read it here.\n\n"
    "[dim]ctrl+e tree · ctrl+t thread · ctrl+g this pane · ? keys[/dim]"
)


class DiffEmpty(Static):
    """The diff pane before there is a change set: says what will appear here."""

    can_focus = True


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """


class RigtuiApp(App[int]):
    TITLE = "rigtui"
    CSS_PATH = "app.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding(
            "ctrl+e", "focus_pane('tree')", "Tree", tooltip="Focus the file tree", priority=True
        ),
        Binding(
            "ctrl+t",
            "focus_pane('thread')",
            "Thread",
            tooltip="Focus the message box",
            priority=True,
        ),
        Binding(
            "ctrl+g",
            "focus_pane('right')",
            "Diff",
            tooltip="Focus the diff/code pane",
            priority=True,
        ),
        Binding("ctrl+b,f3", "toggle_tree", "Tree on/off", show=False, priority=True),
        Binding("ctrl+n", "new_thread", "New thread", priority=True),
        Binding("ctrl+l", "toggle_thread_list", "Threads", priority=True),
        Binding("f2", "rename_thread", "Rename", show=False),
        Binding("ctrl+f", "search", "Search", priority=True),
        Binding("slash", "search", "Search", show=False),
        Binding("ctrl+r", "run_checks", "Checks", priority=True),
        Binding("question_mark,f1", "show_keys", "Keys"),
        Binding("escape", "escape", "Close / cancel", show=False),
        Binding("ctrl+c", "cancel_turn", "Cancel", show=False, priority=True),
        Binding("ctrl+z", "undo_change_set", "Undo", show=False, priority=True),
        Binding("ctrl+y", "redo_change_set", "Redo", show=False, priority=True),
    ]
    KEY_ROWS = [
        ("Tab / Shift+Tab", "move focus between panes", "anywhere"),
        ("ctrl+e", "focus the file tree", "anywhere"),
        ("ctrl+t", "focus the message box", "anywhere"),
        ("ctrl+g", "focus the diff / code pane", "anywhere"),
        ("f3 or ctrl+b", "show or hide the file tree (in tmux, ctrl+b is its prefix)", "anywhere"),
        ("ctrl+l", "show the thread list and focus it", "anywhere"),
        ("ctrl+n", "new thread", "anywhere"),
        ("f2", "rename the current thread", "anywhere"),
        (
            "ctrl+f or /",
            "search symbols and text, jump to file:line",
            "anywhere ( / outside input)",
        ),
        ("ctrl+r", "show the checks and run them now", "anywhere"),
        ("Enter / j, m, r", "jump to failure, send it to the model, re-run", "checks panel"),
        ("n / r / x", "new / rename / delete thread", "thread list"),
        ("Enter", "switch to the highlighted thread", "thread list"),
        ("↑ ↓ Enter", "move, open a file or folder", "file tree"),
        ("h / l", "parent folder / open", "file tree"),
        ("Enter", "jump to the symbol", "outline (below the tree)"),
        ("Esc / ctrl+c", "stop the model's reply (the thread stays consistent)", "while it runs"),
        ("Esc", "close the file or checks, back to the diff pane", "code view, checks"),
        ("n p ] [", "next/previous hunk, next/previous file", "diff review"),
        ("a r / A R / y x", "accept/reject hunk, file, all", "diff review"),
        (
            "c, e, t, Enter",
            "reject with comment, edit in $EDITOR, split view, submit",
            "diff review",
        ),
        ("ctrl+z / ctrl+y", "undo / redo the last change set", "anywhere"),
        ("ctrl+p", "command palette: every action, themes", "anywhere"),
        ("? / f1", "this key map", "outside the message box"),
        ("ctrl+q", "quit", "anywhere"),
    ]

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
        self.profile = profile
        self.launch_profile = profile  # --profile; a thread may have its own
        self.session: Session | None = None
        self.workspace = Workspace(root, settings)
        self.index_state = "starting" if settings.index.enabled else "off"
        self.workspace_started = asyncio.Event()
        self.usage: dict[str, object] = {}
        self.current_thread: Thread | None = None
        self.theme_warnings = register_themes(self)
        self.theme = theme or settings.ui.theme
        self.started = time.perf_counter()
        self._narrow: bool | None = None
        self._event_waiters: list[tuple[type[ev.Event], asyncio.Future[ev.Event]]] = []

    # --- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                yield ProjectTree(self.root, id="tree")
                yield Outline(None, id="outline", classes="-empty")
            yield ThreadPane(id="thread")
            with ContentSwitcher(initial="diff-empty", id="right"):
                yield DiffEmpty(DIFF_EMPTY, id="diff-empty")
                yield CodeView(id="code")
                yield ChecksPanel(id="checks")
                yield Vertical(id="review")
        yield StatusBar(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        self.thread_pane = self.query_one(ThreadPane)  # looked up once: events use it per delta
        self.sub_title = self.root.name
        self.query_one("#thread", ThreadPane).border_title = "Thread"
        self.query_one("#right").border_title = "Diff"
        self.query_one("#tree").border_title = self.root.name
        for warning in self.theme_warnings:
            self.notify(warning, severity="warning")
        trust = self.settings.trust
        if trust is not None and trust.should_ask:
            # After the first paint and before the session starts, so a yes applies to
            # everything the session and the workspace do.
            self.call_after_refresh(self.ask_trust)
            return
        await self.start_session()

    @work(group="trust")
    async def ask_trust(self) -> None:
        """The one-time question: the project file asks for settings that need trust."""
        from rigtui.trust import record
        from rigtui.ui.trust_screen import TrustScreen

        trust = self.settings.trust
        assert trust is not None
        yes = bool(await self.push_screen_wait(TrustScreen(trust)))
        try:
            await asyncio.to_thread(record, self.root, trust.sha256, trusted=yes)
            if yes:
                self.settings.update_from(await asyncio.to_thread(self.reload_settings))
        except RigtuiError as exc:  # the trust list is unreadable: say so, keep them ignored
            self.notify(str(exc), severity="error", timeout=30)
        await self.start_session()

    async def start_session(self) -> None:
        trust = self.settings.trust
        if trust is not None and (notice := trust.notice()):
            self.notify(notice, title="Settings ignored", severity="warning", timeout=20)
        self.session = await Session.open(
            self.root, settings=self.settings, working_dir=launch_folder(self.root)
        )
        self.pump_events()
        self.workspace.listeners.append(self.on_workspace_event)
        self.workspace.attach_session(self.session)
        threads = await self.session.threads()
        thread = threads[0] if threads else await self.session.new_thread("Thread 1")
        await self.switch_thread(thread.id)
        self.update_status()
        self.query_one("#message").focus()
        self.call_after_refresh(self.start_workspace)
        self.call_after_refresh(self.start_mcp)
        if path := os.environ.get("RIGTUI_FIRST_PAINT_FILE"):  # bench/startup.py
            self.call_after_refresh(self._record_first_paint, Path(path))

    @work(group="workspace")
    async def start_workspace(self) -> None:
        """After the first paint: the watcher, the index and the checks."""
        await self.workspace.start()
        if self.workspace.checks is not None:
            self.query_one(ChecksPanel).set_checks(self.workspace.checks.checks)
        self.workspace_started.set()
        self.update_status()

    @work(group="mcp")
    async def start_mcp(self) -> None:
        """After the first paint: the MCP servers (their tools are offered once up)."""
        await self.session_required().mcp.start()

    def _record_first_paint(self, path: Path) -> None:
        path.write_text(f"{time.time()}\n")
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.workspace.close()
        if self.session is not None:
            await self.session.close()

    # --- events from the core --------------------------------------------------------------

    @work(exclusive=True, group="session-events")
    async def pump_events(self) -> None:
        assert self.session is not None
        async for event in self.session.subscribe():
            try:
                await self.handle_event(event)
            except NoMatches:  # shutting down: the widgets are gone (the event is stored)
                if self.is_running and self.screen_stack:
                    raise
                return
            self._resolve_waiters(event)

    def event_handled(self, kind: type[ev.Event]) -> asyncio.Future[ev.Event]:
        """A future resolved once the next event of `kind` has been rendered (for tests and
        scripted front ends that must not guess how long rendering takes)."""
        future: asyncio.Future[ev.Event] = asyncio.get_running_loop().create_future()
        self._event_waiters.append((kind, future))
        return future

    def _resolve_waiters(self, event: ev.Event) -> None:
        for waiter in list(self._event_waiters):
            kind, future = waiter
            if isinstance(event, kind):
                self._event_waiters.remove(waiter)
                if not future.done():
                    future.set_result(event)

    async def handle_event(self, event: ev.Event) -> None:
        current = self.current_thread.id if self.current_thread else None
        pane = self.thread_pane
        if event.type in ("MessageDelta", "ToolCallDelta"):  # by the thousand: the short path
            if (view := pane.view(event.thread_id)) is not None:
                await view.add_event(event)
            return
        if isinstance(event, ev.ThreadRenamed | ev.ThreadCreated | ev.ThreadDeleted):
            await self.refresh_threads()
        if isinstance(event, ev.TaskStarted | ev.TaskEnded):
            await self.refresh_threads()
        if isinstance(event, ev.ThreadRenamed) and event.thread_id == current:
            self.current_thread = await self.session_required().store.thread(event.thread_id)
        if event.thread_id == current:
            plan = self.query_one(PlanView)
            if isinstance(event, ev.PlanUpdated):
                plan.show_plan(event)
            elif isinstance(event, ev.TaskEnded):
                plan.finish(event)
        view = pane.view(event.thread_id) if event.thread_id else None
        if view is not None and not isinstance(event, ev.ThreadDeleted):
            await view.add_event(event)
        match event.type:
            case "CommandApprovalRequested":
                self.ask_command_approval(event)
            case "PatchProposed":
                self.open_review(getattr(event, "change_set_id", ""))
            case "UsageUpdated" if event.thread_id == current:
                self.usage = event.to_dict()
            case "TaskEnded" if getattr(event, "outcome", "") == "cancelled":
                self._withdraw_requests(event.thread_id)
            case "PatchApplied" | "PatchRefused" | "PatchDecided":
                self.close_review(getattr(event, "change_set_id", ""))
            case "McpServerChanged" if getattr(event, "notice", ""):
                self.notify(event.notice, title="MCP", severity="warning", timeout=15)  # type: ignore[attr-defined]
        self.update_status()

    def session_required(self) -> Session:
        if self.session is None:
            raise RuntimeError("the session is not open yet")
        return self.session

    def on_workspace_event(self, event: ev.Event) -> None:
        """Index and check events from the workspace (called on the app's loop)."""
        if isinstance(event, IndexProgress):
            self.index_state = f"indexing {event.done}/{event.total}"
        elif isinstance(event, IndexReady):
            self.index_state = f"{event.files} files, up to date"
            self.query_one(Outline).index = self.workspace.index
        elif isinstance(event, IndexUpdated):
            stamp = time.strftime("%H:%M:%S")
            self.index_state = f"up to date ({len(event.paths)} file(s) at {stamp})"
        elif event.type.startswith("Check"):
            self.query_one(ChecksPanel).apply(event)
            if event.type == "CheckFinished" and getattr(event, "state", "") == "failed":
                self.notify(
                    f"check {getattr(event, 'check', '')} failed: ctrl+r shows it", severity="error"
                )
        elif isinstance(event, ev.Notice | ev.Error):
            text = event.text if isinstance(event, ev.Notice) else f"{event.message}: {event.fix}"
            self.notify(text, severity="warning" if isinstance(event, ev.Error) else "information")
        self.update_status()

    def event_handled_by_workspace(
        self, type_name: str, where: Callable[[ev.Event], bool] = lambda _: True
    ) -> asyncio.Future[ev.Event]:
        """A future resolved with the next workspace event of that type (and matching `where`),
        once rendered."""
        future: asyncio.Future[ev.Event] = asyncio.get_running_loop().create_future()

        def listener(event: ev.Event) -> None:
            if event.type == type_name and where(event) and not future.done():
                future.set_result(event)
                self.workspace.listeners.remove(listener)

        self.workspace.listeners.append(listener)  # after on_workspace_event: rendered first
        return future

    def action_search(self) -> None:
        index = self.workspace.index
        if index is None:
            self.notify("the code index is still being built; try again in a moment")
            return

        from rigtui.ui.search_screen import SearchScreen

        def jump(location: object) -> None:
            if location is not None:
                self.open_file(self.root / location.path, location.line)  # type: ignore[attr-defined]

        self.push_screen(SearchScreen(index), jump)

    def action_run_checks(self) -> None:
        self.show_right("checks")
        self.query_one(ChecksPanel).focus()
        runner = self.workspace.checks
        if runner is None or not runner.checks:
            self.notify("no checks: add a [checks] table to .rigtui.toml (see README)")
            return
        runner.run_now()

    async def action_open_artifact(self) -> None:
        thread = self.current_thread
        if thread is None:
            return
        files: dict[str, str] = {}
        for event in await self.session_required().history(thread.id):
            if event.type == "ArtifactsDetected":
                data = event.to_dict()
                for path in data["created"] + data["changed"]:
                    files[path] = f"{path}  (from `{data['command']}`)"
        if not files:
            self.notify("no command in this thread has made or changed a file")
            return

        def open_it(path: str | None) -> None:
            if path:
                self.open_file(self.root / path)

        choices = list(files.items())[::-1]
        self.push_screen(ChooseScreen("Files the model's commands made", choices), open_it)

    async def action_confirm_checks(self) -> None:
        try:
            path, trusted = await self.workspace.confirm_suggested_checks()
        except RigtuiError as exc:
            self.notify(str(exc), severity="warning")
            return
        if trusted:
            self.notify(f"checks saved to {path.name}; they now re-run as files change")
        else:
            self.notify(
                f"checks saved to {path.name}; this project's settings are not trusted, so they"
                " run only when you ask (ctrl+r) until you run `rigtui trust`",
                severity="warning",
            )

    @on(ChecksPanel.JumpTo)
    def _jump_to_failure(self, message: ChecksPanel.JumpTo) -> None:
        self.open_file(self.root / message.path, message.line)

    @on(ChecksPanel.RerunRequested)
    def _rerun(self, message: ChecksPanel.RerunRequested) -> None:
        if self.workspace.checks is not None:
            self.workspace.checks.run_now([message.check] if message.check else None)

    @on(ChecksPanel.SendToModel)
    async def _send_failure(self, message: ChecksPanel.SendToModel) -> None:
        if self.current_thread is not None:
            await self.session_required().send(SendMessage(self.current_thread.id, message.text))
            self.query_one("#message").focus()

    @on(Outline.SymbolChosen)
    def _symbol_chosen(self, message: Outline.SymbolChosen) -> None:
        self.open_file(self.root / message.location.path, message.location.line)

    def show_right(self, which: str) -> None:
        titles = {"diff-empty": "Diff", "checks": "Checks"}
        self.query_one("#right", ContentSwitcher).current = which
        right = self.query_one("#right")
        if which in titles:
            right.border_title, right.border_subtitle = titles[which], ""

    # --- threads ---------------------------------------------------------------------------

    async def refresh_threads(self) -> None:
        session = self.session_required()
        threads = await session.threads()
        current = self.current_thread.id if self.current_thread else None
        running = {t.id for t in threads if session.running(t.id)}
        self.query_one(ThreadList).set_threads(threads, current, running)

    async def switch_thread(self, thread_id: str) -> None:
        session = self.session_required()
        thread = await session.store.thread(thread_id)
        if thread is None:
            return
        self.current_thread = thread
        history = await session.history(thread_id)
        await self.query_one(ThreadPane).open_thread(thread_id, history)
        self._offer_unsent(history)
        usage = [e for e in history if e.type == "UsageUpdated"]
        self.usage = usage[-1].to_dict() if usage else {}
        self.profile = thread.model_profile or self.launch_profile
        await self.refresh_threads()
        self.update_status()

    def _offer_unsent(self, history: list[ev.Event]) -> None:
        """A message queued and never sent (the workbench closed first) goes back into an
        empty message box, so the words are not lost."""
        unsent = _last_unsent(history)
        box = self.query_one("#message", Input)
        if unsent and not box.value:
            box.value = unsent
            self.notify("Your unsent message is back in the message box.")

    @on(ThreadPane.ThreadChosen)
    async def _thread_chosen(self, message: ThreadPane.ThreadChosen) -> None:
        await self.switch_thread(message.thread_id)
        self.query_one("#message").focus()

    @on(ThreadPane.Submitted)
    async def _submitted(self, message: ThreadPane.Submitted) -> None:
        if self.current_thread is not None:
            text = await expand_prompt(self, self.session_required().mcp, message.text)
            if text is not None:  # None: a server's prompt that cannot be used (said)
                await self.session_required().send(SendMessage(self.current_thread.id, text))

    async def action_new_thread(self) -> None:
        count = len(await self.session_required().threads())
        thread = await self.session_required().new_thread(f"Thread {count + 1}")
        await self.switch_thread(thread.id)
        self.query_one("#message").focus()

    async def action_rename_thread(self) -> None:
        thread = await self._targeted_thread()
        if thread is None:
            return

        async def rename(title: str | None) -> None:
            if title and title != thread.title:
                await self.session_required().send(RenameThread(thread.id, title))

        self.push_screen(PromptScreen("Rename thread", thread.title), rename)

    async def _targeted_thread(self) -> Thread | None:
        """The highlighted thread when the thread list has focus, else the current one."""
        thread_list = self.query_one(ThreadList)
        if thread_list.has_focus and thread_list.highlighted is not None:
            option_id = thread_list.get_option_at_index(thread_list.highlighted).id
            if option_id:
                return await self.session_required().store.thread(option_id)
        return self.current_thread

    async def action_delete_thread(self) -> None:
        target = await self._targeted_thread()
        if target is None:
            return
        thread_id = target.id

        async def delete(yes: bool | None) -> None:
            if not yes:
                return
            session = self.session_required()
            await session.send(DeleteThread(thread_id))
            await self.query_one(ThreadPane).forget_thread(thread_id)
            if self.current_thread and self.current_thread.id == thread_id:
                remaining = await session.threads()
                nxt = remaining[0] if remaining else await session.new_thread("Thread 1")
                await self.switch_thread(nxt.id)
            else:
                await self.refresh_threads()

        title = target.title or "this thread"
        self.push_screen(ConfirmScreen(f"Delete {title!r} and its history?"), delete)

    def action_toggle_thread_list(self) -> None:
        thread_list = self.query_one(ThreadList)
        if thread_list.has_focus:
            thread_list.add_class("-hidden")
            self.query_one("#message").focus()
        else:
            thread_list.remove_class("-hidden")
            thread_list.focus()

    # --- panes -----------------------------------------------------------------------------

    def action_focus_pane(self, pane: str) -> None:
        if pane == "tree":
            self.query_one("#left").remove_class("-hidden")
            self.query_one("#tree").focus()
        elif pane == "thread":
            self.query_one("#message").focus()
        else:
            switcher = self.query_one("#right", ContentSwitcher)
            if switcher.current and switcher.current != "diff-empty":
                self.query_one(f"#{switcher.current}").focus()
            else:
                self.query_one("#diff-empty").focus()

    def on_resize(self, event: events.Resize) -> None:
        if self.session is not None:
            self.update_status()
        self._collapse_tree_when_narrow(event)

    def _collapse_tree_when_narrow(self, event: events.Resize) -> None:
        """Under 100 columns the tree collapses (ctrl+b brings it back) so the thread and
        diff panes keep a readable width."""
        narrow = event.size.width < 100
        if narrow != self._narrow:
            self._narrow = narrow
            hide = narrow or not self.settings.ui.show_tree
            left = self.query_one("#left")
            left.set_class(hide, "-hidden")
            if hide and left.has_focus_within:
                self.query_one("#message").focus()

    def action_toggle_tree(self) -> None:
        left = self.query_one("#left")
        left.toggle_class("-hidden")
        if left.has_class("-hidden") and left.has_focus_within:
            self.query_one("#message").focus()

    # --- the model's work: cancel, approvals, review, undo -----------------------------------

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

    async def action_escape(self) -> None:
        if self._current_running():
            await self.action_cancel_turn()
        else:
            self.action_close_file()

    async def action_cancel_turn(self) -> None:
        if self.current_thread is not None:
            await self.session_required().send(Cancel(self.current_thread.id))
            self.notify("stopped the model's reply")

    def ask_command_approval(self, event: ev.Event) -> None:
        from rigtui.ui.approval import CommandApprovalScreen

        async def answer(result: tuple[bool, str] | None) -> None:
            approved, comment = result if result is not None else (False, "")
            await self.session_required().send(
                DecideCommand(event.thread_id, event.request_id, approved, comment)  # type: ignore[attr-defined]
            )

        self.push_screen(CommandApprovalScreen(event), answer)  # type: ignore[arg-type]

    def open_review(self, change_set_id: str, proposal: object | None = None) -> None:
        """Show a proposed change set in the diff pane for review: the model's (decided through
        the session) or, with `proposal` given, a patch file's (applied here)."""
        local = proposal is not None
        proposal = proposal or self.session_required().proposals.get(change_set_id)
        if proposal is None:  # auto-applied, or already decided
            return
        from rigtui.ui.diff_review import DiffReview

        holder = self.query_one("#review", Vertical)
        holder.remove_children()
        review = DiffReview(proposal, id="diff-review")
        review.change_set_id = change_set_id  # type: ignore[attr-defined]
        review.local = local  # type: ignore[attr-defined]
        holder.mount(review)
        self.show_right("review")
        right = self.query_one("#right")
        right.border_title = f"Review change set · {len(proposal.hunk_ids())} hunk(s)"  # type: ignore[attr-defined]
        right.border_subtitle = "a/r hunk · A/R file · y/x all · e edit · c comment · Enter submit"
        self.call_after_refresh(review.focus)

    def _withdraw_requests(self, thread_id: str) -> None:
        """A cancelled task answers nothing: close its review and approval prompt."""
        from rigtui.ui.approval import CommandApprovalScreen

        for review in self.query("#diff-review"):
            if getattr(review, "local", False):  # a patch file's review belongs to no task
                continue
            if self._thread_of(getattr(review, "change_set_id", "")) in (thread_id, ""):
                self.close_review(getattr(review, "change_set_id", ""))
        if isinstance(self.screen, CommandApprovalScreen):
            if self.screen.request.thread_id == thread_id:
                self.pop_screen()

    def close_review(self, change_set_id: str) -> None:
        holder = self.query_one("#review", Vertical)
        for review in holder.children:
            if getattr(review, "change_set_id", None) == change_set_id:
                holder.remove_children()
                if self.query_one("#right", ContentSwitcher).current == "review":
                    self.show_right("diff-empty")

    def on_diff_review_decided(self, message: object) -> None:
        from rigtui.ui.diff_review import DiffReview

        assert isinstance(message, DiffReview.Decided)
        reviews = self.query("#diff-review")
        change_set_id = getattr(reviews.first(), "change_set_id", "") if reviews else ""
        change_set_id = change_set_id or message.proposal.id
        decision = message.decision
        if reviews and getattr(reviews.first(), "local", False):
            origin = getattr(reviews.first(), "origin", None)
            self.apply_reviewed(message.proposal, set(decision.accepted), origin)
            self.close_review(change_set_id)
            return
        thread = self._thread_of(change_set_id)
        op = DecidePatch(
            thread,
            change_set_id,
            accepted=list(decision.accepted),
            rejected=list(decision.rejected),
            comments=dict(decision.comments),
            edited=dict(decision.edited),
        )
        self.run_worker(self.session_required().send(op), group="decide")

    def action_review_patch_file(self) -> None:
        """Review a patch file (apply_patch envelope or unified diff) without a model."""

        async def load(name: str | None) -> None:
            if not name:
                return
            from rigtui.edits.parse import parse_patch
            from rigtui.edits.prepare import prepare

            path = (self.root / name).expanduser()
            try:
                text = await asyncio.to_thread(path.read_text)
                proposal = await asyncio.to_thread(prepare, self.root, parse_patch(text))
            except OSError as exc:
                self.notify(f"{path}: cannot be read ({exc.strerror})", severity="error")
                return
            except RigtuiError as exc:
                self.notify(str(exc), severity="error", timeout=10)
                return
            self.open_review(proposal.id, proposal)

        self.push_screen(PromptScreen("Patch file to review (path from the project root)"), load)

    @work(group="apply", exclusive=True)
    async def apply_reviewed(
        self, proposal: object, accepted: set[str], origin: tuple[str, str] | None = None
    ) -> None:
        from rigtui.edits.engine import apply_proposal
        from rigtui.edits.errors import PatchConflict

        try:
            result = await asyncio.to_thread(apply_proposal, proposal, accepted)  # type: ignore[arg-type]
        except PatchConflict as exc:
            if exc.rebased is None:
                self.notify(str(exc), severity="error", timeout=10)
                return
            question = (
                f"{', '.join(exc.paths)} changed since the patch was read, but its hunks still"
                " match the new content. Re-base them and apply?"
            )
            if await self.push_screen_wait(ConfirmScreen(question)):
                result = await asyncio.to_thread(apply_proposal, exc.rebased, accepted)
            else:
                self.notify("nothing was applied")
                return
        except RigtuiError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.notify(f"applied to {', '.join(result.paths)} (ctrl+z undoes)")
        if origin is not None:  # a thread's leftover change set: its log learns the outcome
            from rigtui.edits.events import PatchApplied

            thread_id, change_set_id = origin
            await self.session_required().emit(
                PatchApplied(
                    thread_id=thread_id,
                    change_set_id=change_set_id,
                    paths=result.paths,
                    accepted=result.accepted,
                    rejected=result.rejected,
                )
            )

    def on_diff_review_cancelled(self, message: object) -> None:
        self.show_right("diff-empty")
        self.notify("the change set is still waiting: ctrl+p → Review pending change set")

    def _thread_of(self, change_set_id: str) -> str:
        owner = self.session_required().approvals.thread_of(change_set_id)
        return owner or (self.current_thread.id if self.current_thread else "")

    async def action_review_pending(self) -> None:
        pending = list(self.session_required().proposals)
        if pending:
            self.open_review(pending[-1])
            return
        # A change set left pending by an earlier run (`exec --approve never`, a restart):
        # rebuild it from the patch stored in the thread and review it here.
        leftover = await self._leftover_patch()
        if leftover is None:
            self.notify("no change set is waiting for review")
            return
        change_set_id, text = leftover
        from rigtui.edits.parse import parse_patch
        from rigtui.edits.prepare import prepare

        try:
            proposal = await asyncio.to_thread(prepare, self.root, parse_patch(text))
        except RigtuiError as exc:
            self.notify(f"change set {change_set_id} no longer applies: {exc}", severity="error")
            return
        self.open_review(proposal.id, proposal)
        self.query_one("#diff-review").origin = (self.current_thread.id, change_set_id)  # type: ignore[attr-defined,union-attr]

    async def _leftover_patch(self) -> tuple[str, str] | None:
        thread = self.current_thread
        if thread is None:
            return None
        proposed: dict[str, str] = {}
        for event in await self.session_required().history(thread.id):
            data = event.to_dict()
            if event.type == "PatchProposed" and data.get("patch"):
                proposed[data["change_set_id"]] = data["patch"]
            elif event.type in ("PatchDecided", "PatchApplied", "PatchRefused"):
                proposed.pop(data["change_set_id"], None)
        return list(proposed.items())[-1] if proposed else None

    @work(group="undo", exclusive=True)
    async def action_undo_change_set(self) -> None:
        await self._swap_change_set("undo")

    @work(group="undo", exclusive=True)
    async def action_redo_change_set(self) -> None:
        await self._swap_change_set("redo")

    async def _swap_change_set(self, which: str) -> None:
        from rigtui.edits import engine

        try:
            entry = await asyncio.to_thread(getattr(engine, which), self.root)
        except RigtuiError as exc:
            self.notify(f"{exc.message}" + (f" ({exc.fix})" if exc.fix else ""), severity="error")
            return
        self.notify(f"{which} done: {entry.summary or entry.id}")
        if self.query_one("#right", ContentSwitcher).current == "code":
            code = self.query_one(CodeView)
            if code.path is not None:
                code.show_file(code.path)

    # --- threads: fork, model, search --------------------------------------------------------

    async def action_fork_thread(self) -> None:
        thread = self.current_thread
        if thread is None:
            return
        session = self.session_required()
        rows = await session.history_rows(thread.id)
        choices = [
            (f"{seq}", f"after: {_first_line(e.text)}")  # type: ignore[attr-defined]
            for seq, e in rows
            if isinstance(e, ev.UserMessage | ev.AssistantMessage)
        ]
        if not choices:
            self.notify("nothing to fork yet: the thread has no messages")
            return

        async def fork(seq: str | None) -> None:
            if seq is not None:
                await session.send(ForkThread(thread.id, seq=int(seq)))
                newest = (await session.threads())[0]
                await self.switch_thread(newest.id)

        self.push_screen(ChooseScreen("Fork this thread after which message?", choices[::-1]), fork)

    def action_switch_model(self) -> None:
        thread = self.current_thread
        if thread is None:
            return
        profiles = self.settings.model.profiles
        choices = [(name, f"{name}: {p.model} @ {p.base_url or 'default endpoint'}")
                   for name, p in profiles.items()]  # fmt: skip

        async def switch(name: str | None) -> None:
            if name is not None:
                await self.session_required().send(SetThreadModel(thread.id, name))
                self.profile = name
                self.update_status()

        self.push_screen(ChooseScreen("Model for this thread", choices), switch)

    def action_search_threads(self) -> None:
        async def search(text: str | None) -> None:
            if not text:
                return
            found = await self.session_required().search_threads(text)
            if not found:
                self.notify(f"no thread mentions {text!r}")
                return

            async def open_it(thread_id: str | None) -> None:
                if thread_id:
                    await self.switch_thread(thread_id)

            choices = [(t.id, t.title) for t in found]
            self.push_screen(ChooseScreen(f"Threads mentioning {text!r}", choices), open_it)

        self.push_screen(PromptScreen("Search threads for"), search)

    def action_close_file(self) -> None:
        switcher = self.query_one("#right", ContentSwitcher)
        if switcher.current in ("code", "checks", "review"):
            self.show_right("diff-empty")
            left = self.query_one("#left")
            target = self.query_one("#tree") if left.display else self.query_one("#message")
            target.focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, message: DirectoryTree.FileSelected) -> None:
        self.open_file(Path(message.path))
        outline = self.query_one(Outline)
        if outline.index is not None:
            outline.remove_class("-empty")
            outline.show_path(Path(message.path).relative_to(self.root).as_posix())

    def open_file(self, path: Path, line: int | None = None) -> None:
        code = self.query_one("#code", CodeView)
        code.show_file(path, line)
        self.query_one("#right", ContentSwitcher).current = "code"
        rel = path.relative_to(self.root) if path.is_relative_to(self.root) else path
        right = self.query_one("#right")
        right.border_title = str(rel)
        right.border_subtitle = "read-only · Esc closes"

    def action_show_keys(self) -> None:
        self.push_screen(KeyMapScreen(self.KEY_ROWS))

    # --- status and palette ----------------------------------------------------------------

    def update_status(self) -> None:
        status = model_status(self.settings, self.profile)
        model = status.model if status.configured else "no model"
        thread = self.current_thread.title if self.current_thread else "-"
        patches = self.settings.approval.patches
        sandbox = self.workspace.sandbox_name
        if self.usage:
            u = self.usage
            approx = "~" if u.get("estimated") else ""  # the server reported no usage
            tokens = f"{approx}{u['thread_input_tokens']}↑ {u['thread_output_tokens']}↓"
            ttft = u.get("time_to_first_token")
            cost = u.get("thread_cost")
            model += f" {tokens}" + (f" ttft {ttft:.1f}s" if isinstance(ttft, float) else "")
            model += f" ${cost:.4f}" if isinstance(cost, float) else ""
        text = (
            f"{self.root.name} │ {thread} │ model: {model} │ index: {self.index_state} │ "
            f"sandbox: {sandbox} │ patches: {patches}"
        )
        untrusted = " │ untrusted settings ignored" if self.settings.trust and self.settings.trust.ignored else ""  # fmt: skip
        mcp = status_segment(self.session.mcp) if self.session else ""
        text += mcp + untrusted
        if len(text) > self.size.width - 2:  # narrow terminals: the same facts, shorter
            if "no isolation" not in sandbox:  # a warning is never shortened away
                sandbox = sandbox.split(" ")[0]
            text = f"{thread} │ {model} │ {self.index_state} │ {sandbox} │ {patches}"
            text += mcp.replace("mcp: ", "mcp ") + (" │ untrusted" if untrusted else "")
        try:
            status_bar = self.query_one(StatusBar)
        except NoMatches:  # an event that lands while the app is shutting down
            return
        status_bar.update(text)
        self.query_one(ThreadPane).set_placeholder(
            "Message the model…"
            if status.configured
            else "Message… (no model configured: send to see how to set one up)"
        )
        self.query_one("#thread", ThreadPane).border_title = f"Thread: {thread}"

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        ours = [
            ("New thread", "Start a new thread in this project", self.action_new_thread),
            ("Rename thread", "Rename the current thread", self.action_rename_thread),
            ("Delete thread", "Delete the current thread", self.action_delete_thread),
            ("Switch thread", "Show the thread list", self.action_toggle_thread_list),
            ("Focus file tree", "Move focus to the file tree", lambda: self.action_focus_pane("tree")),
            ("Focus thread", "Move focus to the message box", lambda: self.action_focus_pane("thread")),
            ("Focus diff pane", "Move focus to the diff/code pane", lambda: self.action_focus_pane("right")),
            ("Toggle file tree", "Show or hide the file tree", self.action_toggle_tree),
            ("Close file", "Close the code view", self.action_close_file),
            ("Fork thread", "A new thread from a message of this one", self.action_fork_thread),
            ("Switch model", "Another model profile for this thread", self.action_switch_model),
            ("Search threads", "Find threads by what they say", self.action_search_threads),
            ("Cancel reply", "Stop the model's reply in this thread", self.action_cancel_turn),
            ("Review pending change set", "Reopen a change set waiting for review",
             self.action_review_pending),
            ("Undo last change set", "Restore the files the last change set changed",
             self.action_undo_change_set),
            ("Redo change set", "Re-apply the change set undone last", self.action_redo_change_set),
            ("Search", "Symbols and text in the code index", self.action_search),
            ("Run checks", "Show the checks panel and run every check", self.action_run_checks),
            ("Show diff pane", "Back to the diff pane", lambda: self.show_right("diff-empty")),
            ("Review a patch file", "Review and apply a patch file, hunk by hunk",
             self.action_review_patch_file),
            ("Open an artifact", "A file the model's commands created or changed",
             self.action_open_artifact),
            ("Confirm suggested checks", "Save the detected checks to .rigtui.toml",
             self.action_confirm_checks),
            ("MCP servers", "Each server's state, tools, prompts and last error",
             lambda: self.push_screen(McpServersScreen(self.session_required().mcp))),
            ("Show keys", "The key map", self.action_show_keys),
        ]  # fmt: skip
        for title, help_text, callback in ours:
            yield SystemCommand(title, help_text, callback)
        yield from self._pane_commands()

    def _pane_commands(self) -> Iterable[SystemCommand]:
        """The keys of the open review or checks panel, so the palette lists them too."""
        current = self.query_one("#right", ContentSwitcher).current
        widgets: dict[str, tuple[str, str]] = {
            "review": ("Review", "#diff-review"),
            "checks": ("Checks", "#checks"),
        }
        if current not in widgets:
            return
        prefix, selector = widgets[current]
        try:
            widget = self.query_one(selector)
        except NoMatches:
            return
        for binding in widget.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                key = self.get_key_display(Binding(binding.key.split(",")[0], ""))
                action = binding.action
                yield SystemCommand(
                    f"{prefix}: {binding.description}",
                    f"key {key}",
                    lambda action=action: widget.run_action(action),  # type: ignore[misc]
                )


def _last_unsent(history: list[ev.Event]) -> str:
    """The words of the last MessageNotSent that nothing was sent after (else "")."""
    for event in reversed(history):
        if isinstance(event, ev.UserMessage):
            return ""
        if isinstance(event, ev.MessageNotSent):
            return event.text
    return ""


def _first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"

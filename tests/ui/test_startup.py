"""What the workbench's first frame costs (bench/startup.py measures it): the event classes,
the check parsers, the slash commands and the modal screens load after it, and the panes
hidden at first are mounted once the session opens (with the thread list, empty until then),
not composed into that frame."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import ContentSwitcher

from rigtui.config import load_settings
from rigtui.ui import app as app_module
from rigtui.ui.app import RigtuiApp
from rigtui.ui.checks_panel import ChecksPanel
from rigtui.ui.message_box import CompletionMenu, MessageInput
from rigtui.ui.outline import Outline
from rigtui.ui.plan_view import PlanView
from rigtui.ui.review_pane import ReviewPane
from rigtui.ui.status_bar import StatusBar
from rigtui.ui.thread_pane import ThreadList

HIDDEN = (ChecksPanel, ReviewPane, PlanView, Outline)
LOADED_AFTER_THE_FIRST_FRAME = (
    "rigtui.protocol.",  # every event module
    "rigtui.checks.parsers",
    "rigtui.checks.feedback",
    "rigtui.session.slash",
    "rigtui.session.core",
    "rigtui.agent",
    "rigtui.ui.modals",  # the modal screens: loaded as one is first pushed
    "rigtui.ui.trust_screen",
    "rigtui.ui.mcp_screen",
    "rigtui.ui.plan_view",  # mounted once the session opens
    "rigtui.ui.thread_parts",  # a user message's and a compaction's widgets
)


def test_the_workbench_loads_no_event_check_or_session_code_before_painting() -> None:
    code = (
        "import sys\nimport rigtui.cli, rigtui.ui.launch, rigtui.ui.app\n"
        "print('\\n'.join(m for m in sys.modules if m.startswith('rigtui.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    assert "rigtui.protocol" in loaded  # the package itself: its names load on first use
    early = [m for m in loaded if m.startswith(LOADED_AFTER_THE_FIRST_FRAME)]
    assert early == []


async def test_the_first_frame_composes_none_of_the_hidden_panes(demo_project) -> None:
    class Watched(RigtuiApp):
        CSS_PATH = str(Path(app_module.__file__).parent / RigtuiApp.CSS_PATH)  # not this file's

        def on_mount(self) -> None:  # before the first frame (Textual calls both on_mounts)
            self.composed = [p for p in (*HIDDEN, ThreadList, CompletionMenu) if self.query(p)]

    settings = load_settings(demo_project)
    settings.sandbox.kind = "local"
    app = Watched(demo_project, settings)
    async with app.run_test(size=(120, 40)):
        await (await app.opened_session()).runtime.index_ready.wait()  # the start done
        assert app.composed == []
        assert all(app.query(p) for p in (*HIDDEN, ThreadList, CompletionMenu))


async def test_the_hidden_panes_are_there_once_the_session_is_open(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.index_ready.wait()  # the start done
        await pilot.pause()
        for pane in HIDDEN:
            assert not app.query_one(pane).display
        right = app.query_one("#right", ContentSwitcher)
        assert right.current == "diff-empty"
        order = [w.id for w in app.query_one("#thread").children]
        assert order == ["thread-list", "plan", "views", "completions", "message"]
        app.action_run_checks()  # the panel mounted later still shows and takes the focus
        await pilot.pause()
        assert app.query_one(ChecksPanel).display
        assert right.current == "checks"


class BoxOnly(App[None]):
    """The message box before the workbench mounts its completion menu."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def compose(self) -> ComposeResult:
        yield MessageInput(id="message")

    def on_input_submitted(self, message: MessageInput.Submitted) -> None:
        self.sent.append(message.value)


async def test_keys_typed_before_the_menu_is_mounted_do_what_they_always_do() -> None:
    app = BoxOnly()
    async with app.run_test() as pilot:
        box = app.query_one(MessageInput)
        box.focus()
        await pilot.press(*"see @src", "tab", "down", "up", "escape", "enter")
        await pilot.pause()
        assert app.sent == ["see @src"]
        assert not app.query(CompletionMenu)


async def test_the_chosen_theme_is_there_from_the_start_without_parsing_css_again(
    make_app, monkeypatch
) -> None:
    reparsed: list[bool] = []
    monkeypatch.setattr(App, "refresh_css", lambda self, animate=True: reparsed.append(True))
    app = make_app(theme="rigtui-light")
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.index_ready.wait()
        await pilot.pause()
        assert app.theme == "rigtui-light"
        assert {"-theme-rigtui-light", "-light-mode"} <= app.classes
        assert "-dark-mode" not in app.classes
        background = app.get_css_variables()["background"]
        assert app.screen.styles.background.hex.lower() == background.lower()[:7]
        assert reparsed == []


class FirstFrame(RigtuiApp):
    """The workbench, noting what its first frame shows."""

    CSS_PATH = str(Path(app_module.__file__).parent / RigtuiApp.CSS_PATH)  # not this file's

    def on_mount(self) -> None:  # before the first frame (Textual calls both on_mounts)
        self.status_before_painting = str(self.query_one(StatusBar).render())
        self.call_after_refresh(self.painted)

    def painted(self) -> None:
        self.focused_when_painted = self.focused
        self.styles_when_painted = styles_of(self.screen)
        self.screen.update_node_styles(animate=False)  # every node styled again, now
        self.styles_restyled = styles_of(self.screen)


def styles_of(screen: Screen[object]) -> dict[str, object]:
    """Every node's computed rules (its own and its parts')."""
    found: dict[str, object] = {}
    for node in screen.walk_children(with_self=True):
        path = "/".join(f"{type(n).__name__}#{n.id}" for n in reversed(node.ancestors_with_self))
        parts = {name: s.base.get_rules() for name, s in node._component_styles.items()}
        found[path] = (node.styles.base.get_rules(), parts)
    return found


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_first_frame_is_the_one_the_session_starts_from(demo_project, size) -> None:
    """The message box has the focus (the session leaves it there), the status bar its line,
    and every widget the styles a full restyle of the screen gives it."""
    settings = load_settings(demo_project)
    settings.sandbox.kind = "local"
    app = FirstFrame(demo_project, settings)
    async with app.run_test(size=size) as pilot:
        await app.opened_session()
        await pilot.pause()
        assert app.focused_when_painted is app.query_one(MessageInput)
        assert app.status_before_painting.startswith(demo_project.name)
        assert len(app.styles_when_painted) > 10
        assert app.styles_when_painted == app.styles_restyled


async def test_a_resize_to_the_size_the_screen_has_lays_nothing_out(make_app) -> None:
    """Terminals tell the size as the app starts, and Textual passes that on to the screen
    (three times before the first frame): the same size is no layout; a new one is."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.index_ready.wait()  # the start done
        await pilot.pause()
        layouts: list[Screen[object]] = []
        app.screen.screen_layout_refresh_signal.subscribe(app, layouts.append)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert layouts == []
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert layouts and app.screen.outer_size == (100, 30)
        assert app.query_one("#status").outer_size.width == 100


@pytest.mark.parametrize("stage", ["mounted", "opened", "started"])
async def test_quitting_while_the_session_opens_is_quiet_and_closes_it(
    make_app, monkeypatch, stage: str
) -> None:
    """A quit that lands while the session is still opening or starting (the first second of
    a start, or a test that ends early) removes the panes under it: nothing raises, and the
    session is closed (its store and lock released), not left behind."""
    from rigtui.session import core

    real_open, real_start = core.Session.open.__func__, core.Session.start  # type: ignore[attr-defined]
    app = make_app()
    opened: list[core.Session] = []
    closed: list[core.Session] = []
    quit_done = asyncio.Event()

    async def quit_at(here: str) -> None:
        if stage == here:
            right = app.query_one("#right")
            app.exit()
            async with asyncio.timeout(30):
                while right.is_attached:  # the panes go first, then the app's workers
                    await asyncio.sleep(0)
            quit_done.set()

    async def open_noted(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        await quit_at("mounted")
        session = await real_open(cls, *args, **kwargs)
        opened.append(session)
        close = session.close

        async def close_noted() -> None:
            closed.append(session)
            await close()

        session.close = close_noted  # type: ignore[method-assign]
        await quit_at("opened")
        return session

    async def start_noted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        await real_start(self, *args, **kwargs)
        await quit_at("started")

    monkeypatch.setattr(core.Session, "open", classmethod(open_noted))
    monkeypatch.setattr(core.Session, "start", start_noted)
    async with app.run_test(size=(80, 24)):
        await asyncio.wait_for(quit_done.wait(), 30)
    assert app.return_code in (0, None)
    assert closed == opened
    assert len(opened) == 1

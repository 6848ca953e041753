"""Pilot tests of the workbench: focus, threads, files, layout, help."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import ContentSwitcher, Input, OptionList

from rigtui import protocol as ev
from rigtui.trust import trust
from rigtui.ui.app import RigtuiApp
from rigtui.ui.checks_panel import ChecksPanel
from rigtui.ui.code_view import CodeView
from rigtui.ui.diff_review import DiffReview
from rigtui.ui.file_tree import ProjectTree
from rigtui.ui.modals import ConfirmScreen, KeyMapScreen, PromptScreen
from rigtui.ui.outline import Outline
from rigtui.ui.search_screen import SearchScreen
from rigtui.ui.thread_pane import ThreadList, ThreadView
from tests.support.pilot import settle_until
from tests.support.recorder import recorder


def titles(app: RigtuiApp) -> list[str]:
    thread_list = app.query_one(ThreadList)
    return [str(thread_list.get_option_at_index(i).prompt) for i in range(thread_list.option_count)]


async def test_direct_keys_and_tab_move_focus_between_panes(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.focused is app.query_one("#message", Input)
        await pilot.press("ctrl+e")
        assert isinstance(app.focused, ProjectTree)
        await pilot.press("ctrl+g")
        assert app.focused is not None and app.focused.id == "diff-empty"
        await pilot.press("ctrl+t")
        assert app.focused is app.query_one("#message")
        visited = set()
        for _ in range(6):
            await pilot.press("tab")
            visited.add(type(app.focused).__name__)
        assert {"ProjectTree", "MessageInput", "DiffEmpty"} <= visited
        await pilot.press("shift+tab")
        assert app.focused is not None


async def test_threads_create_rename_switch_delete(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert titles(app) == ["Thread 1"]
        first = app.current_thread
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert titles(app) == ["Thread 2", "Thread 1"]
        assert app.current_thread is not None and app.current_thread.title == "Thread 2"

        await pilot.press("ctrl+l", "down", "r")  # the highlighted row, not the current thread
        assert isinstance(app.screen, PromptScreen) and app.screen.value == "Thread 1"
        await pilot.press("escape", "ctrl+t")
        await pilot.press("f2")
        assert isinstance(app.screen, PromptScreen)
        renamed = recorder(app).next(ev.ThreadRenamed)
        await pilot.press("ctrl+u", *"parser work", "enter")
        await renamed
        assert app.current_thread.title == "parser work"
        assert "parser work" in titles(app)

        await pilot.press("ctrl+l")  # the thread list, focused
        assert isinstance(app.focused, OptionList)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.current_thread.id == first.id  # type: ignore[union-attr]

        await pilot.press("ctrl+l", "x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert titles(app) == ["parser work"]
        assert app.current_thread.title == "parser work"


async def test_message_without_model_explains_how_to_configure(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        error = recorder(app).next(ev.Error)
        await pilot.press(*"hello there", "enter")
        await error
        view = app.query_one(ThreadView)
        text = " ".join(str(w.render()) for w in view.query(".user, .error"))
        assert "hello there" in text and "OPENAI_API_KEY" in text and "base_url" in text


async def test_history_is_shown_after_restart(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        stored = recorder(app).next(ev.Error)
        await pilot.press(*"remember me", "enter")
        await stored
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        users = [str(w.render()) for w in again.query_one(ThreadView).query(".user")]
        assert users == ["remember me"]


async def test_opening_a_file_shows_highlighted_read_only_code(
    make_app, demo_project: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_file(demo_project / "src" / "demo" / "parser.py", line=10)
        await pilot.pause()
        code = app.query_one(CodeView)
        assert app.query_one("#right", ContentSwitcher).current == "code"
        assert code.read_only and code.language == "python"
        assert "class ConfigParser" in code.text
        assert code.cursor_location[0] == 9
        await pilot.press("ctrl+g", "escape")
        assert app.query_one("#right", ContentSwitcher).current == "diff-empty"


async def test_tree_selects_a_file_with_the_keyboard(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e")
        tree = app.query_one(ProjectTree)
        await pilot.wait_for_scheduled_animations()
        labels = [str(n.label) for n in tree.root.children]
        # .gitignore'd log, node_modules and build output are hidden
        assert "debug.log" not in labels and "node_modules" not in labels and "build" not in labels
        assert labels[:2] == ["docs", "src"]
        readme = labels.index("README.md") + 1
        for _ in range(readme):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one("#right", ContentSwitcher).current == "code"
        assert "A fixture for rigtui's tests." in app.query_one(CodeView).text


async def test_narrow_terminal_collapses_the_tree_and_a_key_toggles_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.query_one("#left")
        assert not tree.display
        thread = app.query_one("#thread")
        assert thread.size.width >= 30
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert tree.display
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not tree.display


async def test_key_map_and_palette_commands(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e", "question_mark")
        assert isinstance(app.screen, KeyMapScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, KeyMapScreen)
        titles_ = [c.title for c in app.get_system_commands(app.screen)]
        for expected in ("New thread", "Rename thread", "Delete thread", "Toggle file tree"):
            assert expected in titles_
        assert any("theme" in t.lower() for t in titles_)


async def test_themes_from_files_are_selectable(make_app) -> None:
    app = make_app(theme="rigtui-light")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "rigtui-light"
        assert not app.current_theme.dark
        app.theme = "rigtui-contrast"
        assert app.current_theme.background == "#000000"


async def test_search_jumps_to_a_symbol_and_the_outline_follows_the_file(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.index_ready.wait()
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"parse_line")
        for search in [w for w in app.workers if w.group == "index-search" and not w.is_cancelled]:
            await search.wait()  # the live query's worker (finished ones are already gone)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        code = app.query_one(CodeView)
        assert code.path is not None and code.path.name == "parser.py"
        assert code.cursor_location[0] == 7  # `def parse_line` is on line 8
        assert "index: " in str(app.query_one("#status").render())


async def test_selecting_a_file_shows_its_outline(make_app, demo_project: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.index_ready.wait()
        tree = app.query_one(ProjectTree)
        tree.post_message(ProjectTree.FileSelected(tree.root, demo_project / "src/demo/parser.py"))
        await pilot.pause()
        outline = app.query_one(Outline)
        await outline.load("src/demo/parser.py")  # what the worker runs, awaited
        names = [s.qualname for s in outline.symbols]
        assert "ConfigParser.parse_line" in names and "parse_config" in names
        assert outline.display


async def test_checks_panel_runs_a_configured_check_and_jumps_to_the_failure(
    make_app, demo_project: Path
) -> None:
    (demo_project / "check.sh").write_text("echo 'src/demo/cli.py:4:1: E999 broken'; exit 1\n")
    (demo_project / ".rigtui.toml").write_text(
        '[sandbox]\nkind = "local"\n[checks]\nlint = "sh check.sh"\n'
    )
    trust(demo_project)  # the user's own settings for this project
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.started.wait()
        finished = recorder(app).next(ev.CheckFinished)
        await pilot.press("ctrl+r")
        event = await finished
        assert event.state == "failed"  # type: ignore[attr-defined]
        await pilot.pause()
        assert app.query_one("#right", ContentSwitcher).current == "checks"
        panel = app.query_one(ChecksPanel)
        panel.post_message(ChecksPanel.JumpTo("src/demo/cli.py", 4))
        await pilot.pause()
        assert app.query_one(CodeView).cursor_location[0] == 3


PATCH_FILE = """*** Begin Patch
*** Update File: src/demo/parser.py
@@ class ConfigParser:
     def parse_line(self, line: str) -> tuple[str, str]:
-        key, _, value = line.partition(self.separator)
+        key, _, value = line.expandtabs().partition(self.separator)
*** End Patch
"""


async def _review_patch_file(app: RigtuiApp, pilot, name: str) -> None:
    app.action_review_patch_file()
    await pilot.pause()
    await pilot.press(*name, "enter")
    await settle_until(pilot, lambda: bool(app.query(DiffReview)))


async def test_a_patch_file_is_reviewed_and_applied_without_a_model(
    make_app, demo_project: Path
) -> None:
    (demo_project / "fix.patch").write_text(PATCH_FILE)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await _review_patch_file(app, pilot, "fix.patch")
        assert app.query_one("#right", ContentSwitcher).current == "review"
        app.query_one(DiffReview).focus()
        seen = recorder(app)
        applied = seen.next(ev.PatchApplied)
        await pilot.press("a", "enter")
        assert (await applied).origin == "file"
        assert "line.expandtabs().partition" in (demo_project / "src/demo/parser.py").read_text()
        undone = seen.next(ev.PatchUndone)
        await pilot.press("ctrl+z")  # undo from the journal
        await undone
        assert "line.expandtabs()" not in (demo_project / "src/demo/parser.py").read_text()
        redone = seen.next(ev.PatchRedone)
        await pilot.press("ctrl+y")  # and redo
        await redone
        assert "line.expandtabs().partition" in (demo_project / "src/demo/parser.py").read_text()
        # Each step is in the thread, as it will be when the thread is opened again.
        history = await app.session_required().history(app.current_thread.id)  # type: ignore[union-attr]
        steps = [
            type(e)
            for e in history
            if isinstance(e, ev.PatchApplied | ev.PatchUndone | ev.PatchRedone)
        ]
        assert steps == [ev.PatchApplied, ev.PatchUndone, ev.PatchRedone]


async def test_a_file_changed_during_review_is_rebased_only_when_the_user_agrees(
    make_app, demo_project: Path
) -> None:
    (demo_project / "fix.patch").write_text(PATCH_FILE)
    parser = demo_project / "src/demo/parser.py"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await _review_patch_file(app, pilot, "fix.patch")
        parser.write_text("# a comment added meanwhile\n" + parser.read_text())
        app.query_one(DiffReview).focus()
        await pilot.press("y", "enter")
        await settle_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "still match" in app.screen.question
        applied = recorder(app).next(ev.PatchApplied)
        await pilot.press("y")
        assert (await applied).rebased
        text = parser.read_text()
        assert text.startswith("# a comment added meanwhile\n")
        assert "line.expandtabs().partition" in text


async def test_a_change_set_a_crash_interrupted_is_rolled_back_when_the_workbench_opens(
    make_app, demo_project: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tests.unit.edits.test_patch_journal import CRASH

    patch = tmp_path / "two.patch"
    patch.write_text(
        "*** Begin Patch\n*** Update File: README.md\n@@\n-# demo project\n+# DEMO\n"
        "*** Update File: docs/guide.md\n@@\n-# Demo guide\n+# GUIDE\n*** End Patch\n"
    )
    before = (
        (demo_project / "README.md").read_bytes(),
        (demo_project / "docs/guide.md").read_bytes(),
    )
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH, str(demo_project), str(patch), "2", "apply"], timeout=60
    )
    assert crashed.returncode == 9  # killed between the two renames
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.started.wait()
        await pilot.pause()
    after = (demo_project / "README.md").read_bytes(), (demo_project / "docs/guide.md").read_bytes()
    assert after == before


async def test_an_unsent_queued_message_comes_back_into_the_message_box(make_app) -> None:
    from textual.widgets import Input

    from rigtui import protocol as ev

    app = make_app()
    async with app.run_test(size=(120, 40)):
        session = await app.opened_session()
        kept = await session.new_thread("kept")
        # Logs as a closed session leaves them (MessageNotSent is what it stores on close).
        await session.store.append(ev.MessageNotSent(thread_id=kept.id, text="also fix the docs"))
        resent = await session.new_thread("resent")
        await session.store.append(ev.MessageNotSent(thread_id=resent.id, text="old words"))
        await session.store.append(
            ev.UserMessage(thread_id=resent.id, message_id="m", text="new words")
        )
        box = app.query_one("#message", Input)
        await app.switch_thread(resent.id)
        assert box.value == ""  # something was sent after it: not offered again
        await app.switch_thread(kept.id)
        assert box.value == "also fix the docs"

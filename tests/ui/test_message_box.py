"""The message box in the workbench: `@` completes files (fuzzy) and attaches them (chips in
the thread), `/` completes and runs commands and prompts, `/compact` shows its event."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Collapsible

from rigtui import protocol as ev
from rigtui.ui.message_box import CompletionMenu, MessageInput, word_at_cursor
from rigtui.ui.thread_pane import ThreadPane
from tests.support.fake_openai import Say
from tests.support.pilot import settle_until
from tests.support.recorder import recorder
from tests.ui.test_app_model import workbench


def test_the_word_at_the_cursor() -> None:
    assert word_at_cursor("see @src/pa", 11).kind == "mention"  # type: ignore[union-attr]
    assert word_at_cursor("see @src/pa", 11).query == "src/pa"  # type: ignore[union-attr]
    assert word_at_cursor('a @"my fi', 9).query == "my fi"  # type: ignore[union-attr]
    assert word_at_cursor("/comp", 5).kind == "command"  # type: ignore[union-attr]
    assert word_at_cursor("/compact now", 12) is None
    assert word_at_cursor("mail me@host", 12) is None


async def test_at_completes_a_file_and_sends_it_with_a_chip(
    model_app,  # noqa: F811
    demo_project: Path,
) -> None:
    async with workbench(model_app, [Say("It parses.")]) as (server, app, pilot):
        box = app.query_one(MessageInput)
        box.focus()
        menu = app.query_one(CompletionMenu)
        await pilot.press(*"explain @parsr")
        await settle_until(pilot, lambda: menu.is_open)
        assert menu.completions[0].insert == "@src/demo/parser.py"
        assert all("node_modules" not in c.insert for c in menu.completions)  # ignored
        await pilot.press("tab")
        assert box.value == "explain @src/demo/parser.py " and not menu.is_open
        ended = recorder(app).next(ev.TaskEnded)
        await pilot.press("enter")
        await ended
        await pilot.pause()
        sent = server.requests[0]["messages"][-1]["content"]
        assert sent.startswith("explain @src/demo/parser.py")
        assert (demo_project / "src/demo/parser.py").read_text() in sent
        view = app.query_one(ThreadPane).current_view
        assert view is not None
        chips = [str(w.render()) for w in view.query(".chips")]
        assert len(chips) == 1 and "@ src/demo/parser.py" in chips[0]


async def test_slash_completes_runs_compact_and_shows_the_summary(
    model_app,  # noqa: F811
) -> None:
    script = [Say("one"), Say("two"), Say("- the user said first and second")]
    async with workbench(model_app, script) as (server, app, pilot):
        box = app.query_one(MessageInput)
        box.focus()
        for text in ("first", "second"):
            ended = recorder(app).next(ev.TaskEnded)
            await pilot.press(*text, "enter")
            await ended
        menu = app.query_one(CompletionMenu)
        await pilot.press(*"/comp")
        await settle_until(pilot, lambda: menu.is_open)
        assert [c.insert for c in menu.completions] == ["/compact"]
        compacted = recorder(app).next(ev.ThreadCompacted)
        await pilot.press("enter", "enter")  # choose it, then send it
        event = await compacted
        await pilot.pause()
        assert event.reason == "asked" and box.value == ""
        view = app.query_one(ThreadPane).current_view
        assert view is not None
        (shown,) = view.query(Collapsible)
        assert shown.title == "⇣ 2 earlier messages compacted" and shown.collapsed
        await pilot.click(shown.query_one("CollapsibleTitle"))
        assert not shown.collapsed
        assert "asked for with /compact" in str(shown.query_one(".summary").render())
        assert "- the user said first and second" in str(shown.query_one(".summary").render())
        assert "tools" not in server.requests[-1]


async def test_an_unknown_command_is_said_and_kept_in_the_box(
    model_app,  # noqa: F811
) -> None:
    async with workbench(model_app, []) as (server, app, pilot):
        app.query_one(MessageInput).focus()
        await pilot.press(*"/nosuch thing", "escape", "enter")
        await settle_until(pilot, lambda: bool(app._notifications))
        assert app.query_one(MessageInput).value == "/nosuch thing"
        (note,) = list(app._notifications)
        assert "unknown command /nosuch" in note.message
        assert server.requests == []


async def test_enter_sends_when_the_whole_path_is_typed_out(
    model_app,  # noqa: F811
    demo_project: Path,
) -> None:
    async with workbench(model_app, [Say("Read it.")]) as (server, app, pilot):
        app.query_one(MessageInput).focus()
        menu = app.query_one(CompletionMenu)
        await pilot.press(*"read @src/demo/cli.py")
        await settle_until(pilot, lambda: menu.is_open)
        assert menu.chosen().insert == "@src/demo/cli.py"  # type: ignore[union-attr]
        ended = recorder(app).next(ev.TaskEnded)
        await pilot.press("enter")
        await ended
        assert not menu.is_open
        sent = server.requests[0]["messages"][-1]["content"]
        assert (demo_project / "src/demo/cli.py").read_text() in sent


async def test_slash_new_with_a_title_opens_a_thread_of_that_name(
    model_app,  # noqa: F811
) -> None:
    async with workbench(model_app, []) as (server, app, pilot):
        app.query_one(MessageInput).focus()
        first = app.current_thread
        renamed = recorder(app).next(ev.ThreadRenamed)
        await pilot.press(*"/new parser work", "enter")
        await renamed
        assert app.current_thread is not None and app.current_thread.id != first.id
        assert app.current_thread.title == "parser work"
        assert server.requests == []


async def test_the_palette_compacts_too(model_app) -> None:  # noqa: F811
    async with workbench(model_app, []) as (server, app, pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Compact thread" in titles
        said = recorder(app).next(ev.Notice, lambda n: n.text.startswith("nothing to compact"))
        app.action_compact_thread()
        await said
        assert server.requests == []

"""Over SSH: Y copies with OSC 52 (wrapped for tmux too), and a task that needs the user while
the terminal is not focused rings the bell and sends OSC 9/777, as `[ui] notify` says."""

from __future__ import annotations

import base64
import re
import threading
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from rigtui import protocol as ev
from rigtui.ui import osc
from rigtui.ui.app import RigtuiApp
from rigtui.ui.copying import code_blocks
from rigtui.ui.diff_review import DiffReview
from rigtui.ui.file_tree import ProjectTree
from rigtui.ui.notify import Notifier
from tests.support.fake_openai import Call, FakeOpenAI, Say
from tests.support.pilot import settle_until
from tests.support.recorder import recorder
from tests.ui.test_widths import open_review

# --- the sequences -------------------------------------------------------------------------


def test_osc_sequences_and_their_tmux_passthrough() -> None:
    assert osc.osc52("héllo") == "\x1b]52;c;" + base64.b64encode("héllo".encode()).decode() + "\a"
    assert osc.osc9("rigtui", "task done") == "\x1b]9;rigtui: task done\a"
    assert osc.osc777("rigtui", "task done") == "\x1b]777;notify;rigtui;task done\a"
    wrapped = osc.tmux_passthrough("\x1b]9;hi\a")
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;hi\a\x1b\\"
    assert osc.for_terminal("\x1b]9;hi\a", {}) == "\x1b]9;hi\a"
    assert osc.for_terminal("\x1b]9;hi\a", {"TMUX": "/tmp/tmux-0/default,1,0"}) == (
        "\x1b]9;hi\a" + wrapped
    )


def test_a_hostile_title_cannot_end_the_sequence_or_start_another() -> None:
    title = "evil\a\x1b]52;c;cm0gLXJm\a\x1b[2J;field\nnext\x9b"
    for sequence in (osc.osc9(title, "b"), osc.osc777(title, "b\x07")):
        body = sequence[:-1]  # everything before the closing BEL
        assert "\a" not in body and "\x9b" not in body and "\n" not in body
        assert body.count("\x1b") == 1  # the one that starts it
    assert osc.osc777(title, "b").count(";") == 3  # notify;title;body: no field added
    assert len(osc.osc9("t" * 1000, "")) < 300


def test_code_blocks_of_a_reply() -> None:
    reply = "Run this:\n\n```sh\npytest -q\n```\n\nthen\n\n```python\nprint(1)\n```\n"
    assert code_blocks(reply) == ["pytest -q\n", "print(1)\n"]
    assert code_blocks("no code") == []


# --- in the workbench ----------------------------------------------------------------------


def capture(app: RigtuiApp) -> list[str]:
    """What the app writes to its terminal (the headless driver writes nowhere)."""
    written: list[str] = []
    app._driver.write = written.append  # type: ignore[union-attr,method-assign]
    return written


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("off", ""),
        ("bell", "\a"),
        ("osc", "\a\x1b]9;rigtui: needs you: now\a\x1b]777;notify;rigtui: needs you;now\a"),
    ],
)
async def test_attention_rings_only_while_the_terminal_is_not_focused(
    make_app, mode: str, expected: str
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        written = capture(app)
        notifier = Notifier(app, mode, env={})
        assert not notifier.attention("rigtui: needs you", "now")  # focused: nothing
        assert written == []
        app.post_message(events.AppBlur())
        await settle_until(pilot, lambda: not app.app_focus)
        assert notifier.attention("rigtui: needs you", "now") is (mode != "off")
        assert "".join(written) == expected
        app.post_message(events.AppFocus())
        await settle_until(pilot, lambda: app.app_focus)
        assert not notifier.attention("rigtui: needs you", "again")


async def test_inside_tmux_each_notification_is_also_wrapped_for_passthrough(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        written = capture(app)
        app.post_message(events.AppBlur())
        await settle_until(pilot, lambda: not app.app_focus)
        Notifier(app, "osc", env={"TMUX": "/tmp/tmux/x,1,0"}).attention("rigtui", "done")
        out = "".join(written)
        assert out.startswith("\a\x1b]9;rigtui: done\a\x1bPtmux;\x1b\x1b]9;rigtui: done\a\x1b\\")
        assert "\x1bPtmux;\x1b\x1b]777;notify;rigtui;done\a\x1b\\" in out


async def test_a_task_ending_and_an_approval_while_away_ring(model_app) -> None:
    release, release_call = threading.Event(), threading.Event()
    script = [
        Say("Working on it, slowly.", hold=release),
        Say("", calls=[Call("run_command", {"command": "echo hi"})], hold=release_call),
    ]
    with FakeOpenAI(script) as server:
        app = model_app(server)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.opened_session()
            written = capture(app)
            for text, first, done, gate, said in (
                ("go", ev.MessageDelta, ev.TaskEnded, release, "task done"),
                ("run it", ev.ToolCallDelta, ev.CommandApprovalRequested, release_call,
                 "approval needed"),
            ):  # fmt: skip
                written.clear()
                started = recorder(app).next(first)
                await pilot.press(*text, "enter")  # typing: the terminal is focused
                await started  # the reply holds after its first words: the user looks away
                finished = recorder(app).next(done)
                app.post_message(events.AppBlur())
                await settle_until(pilot, lambda: not app.app_focus)
                gate.set()
                await finished
                await settle_until(pilot, lambda s=said: s in "".join(written))
                out = "".join(written)
                assert f"\a\x1b]9;rigtui: Thread 1: {said}: " in out
                assert f"\x1b]777;notify;rigtui: Thread 1: {said};" in out
                app.post_message(events.AppFocus())
                await settle_until(pilot, lambda: app.app_focus)
            assert "run `echo hi`?" in "".join(written)


def copied(written: list[str]) -> list[str]:
    return [
        base64.b64decode(b).decode() for b in re.findall(r"\x1b\]52;c;([^\a]*)\a", "".join(written))
    ]


async def test_y_copies_the_hunk_the_path_and_not_in_the_message_box(
    make_app, demo_project: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.opened_session()
        written = capture(app)
        await pilot.press("ctrl+t", "Y")  # a letter in the message box
        assert app.query_one("#message", Input).value == "Y" and written == []

        review = await open_review(app, pilot, demo_project)
        review.focus()
        await pilot.press("Y")
        hunk = copied(written)[-1]
        assert hunk.startswith("--- a/src/demo/parser.py\n+++ b/src/demo/parser.py\n@@")
        assert "+        key, _, value = line.expandtabs()" in hunk
        assert app.clipboard == hunk
        assert review is app.query_one(DiffReview)  # copying decided nothing

        await pilot.press("escape", "ctrl+e")
        tree = app.query_one(ProjectTree)
        await settle_until(pilot, lambda: len(tree.root.children) > 0)
        await pilot.press("down", "Y")  # docs/, then README? the highlighted entry
        node = tree.cursor_node
        assert node is not None and node.data is not None
        assert copied(written)[-1] == node.data.path.relative_to(demo_project).as_posix()


async def test_y_in_the_thread_copies_the_newest_reply_and_the_palette_its_code_block(
    model_app,
) -> None:
    reply = "Run the tests:\n\n```sh\npytest -q\n```\n\nThen ship it."
    with FakeOpenAI([Say(reply)]) as server:
        app = model_app(server)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.opened_session()
            written = capture(app)
            await app.run_action("copy_code_block")  # nothing said yet: said so
            await settle_until(pilot, lambda: "nothing to copy" in notices(app))
            assert copied(written) == []
            ended = recorder(app).next(ev.TaskEnded)
            await pilot.press(*"ship", "enter")
            await ended
            view = app.thread_pane.current_view
            assert view is not None
            view.focus()
            await pilot.press("Y")
            assert copied(written) == [reply]
            await pilot.press("ctrl+p")
            await pilot.press(*"Copy code block", "enter")
            await settle_until(pilot, lambda: len(copied(written)) == 2)
            assert copied(written)[-1] == "pytest -q\n"
            await settle_until(pilot, lambda: "code block (1 line)" in notices(app))


def notices(app: RigtuiApp) -> str:
    return " ".join(str(n.message) for n in app._notifications)

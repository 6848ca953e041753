"""An assistant reply looks the same live, once finished, and from history after the thread
is reopened: the same widget, the same lines and styles on screen. The pure parts (cutting a
reply into blocks, spacing them as Rich does) are checked against Rich's own Markdown render
without a terminal."""

from __future__ import annotations

import threading

import pytest
from rich.console import Console
from rich.markdown import Markdown
from rich.segment import Segment
from textual.widget import Widget

from rigtui import protocol as ev
from rigtui.ui.app import RigtuiApp
from rigtui.ui.event_render import (
    RenderedMarkdown,
    RenderedReply,
    markdown_blocks,
    reply_pieces,
    spaced,
)
from rigtui.ui.thread_pane import LiveReply, Reply, ThreadPane
from tests.support.fake_openai import FakeOpenAI, Say
from tests.support.recorder import recorder
from tests.ui.test_app_model import ask

REPLY = """## Parsing tabs

The parser splits on spaces, so a `\\t` survives:

```python
def split(line):
    return line.split(" ")
```

| input | tokens |
|-------|--------|
| `a b` | 2 |
| `a\\tb` | 1 |

- use `str.split()`
- add a test
  - with tabs

> tabs are whitespace too
---
Fixed **both**."""

CUT = REPLY.index("    return")  # the first delta ends inside the code block


def lines(renderable: object, width: int) -> list[list[Segment]]:
    console = Console(width=width, force_terminal=True, color_system="truecolor")
    return console.render_lines(renderable, console.options, pad=False)


def plain(rendered: list[list[Segment]]) -> list[str]:
    return ["".join(segment.text for segment in line).rstrip() for line in rendered]


def live_layout(text: str, width: int) -> list[str]:
    """What a LiveReply shows: each block rendered alone, a margin line where `spaced`."""
    blocks = markdown_blocks(text)
    shown: list[str] = []
    for index, block in enumerate(blocks):
        shown += [""] if spaced(blocks, index) else []
        shown += plain(lines(RenderedMarkdown(block), width))
    return shown


SAMPLES = [
    REPLY,
    "- a list first\n- two\n\ntext ![image](x.png)\n\n> - quoted list",
    "para\n- list right after\n\n***\n\n    indented code\n\n<div>html</div>\n\nend",
    "Setext\n===\n\n1. one\n\n   ```\n   code in a list\n   ```\n2. two",
    "[a link][1] and text\n\nmore\n\n[1]: http://example.com",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_a_reply_in_pieces_renders_as_richs_markdown_of_the_whole(text: str) -> None:
    blocks = markdown_blocks(text)
    assert "".join(block.text for block in blocks) == text
    whole = lines(Markdown(text), 60)
    for group_chars in (1, 40, 2000):  # a piece per block, a few pieces, one piece
        pieces = reply_pieces(blocks, live=False, group_chars=group_chars)
        assert lines(RenderedReply([RenderedMarkdown(p) for p in pieces]), 60) == whole
    assert live_layout(text, 60) == plain(whole)


def test_a_streamed_reply_shows_richs_render_of_the_text_so_far_at_every_cut() -> None:
    for end in range(0, len(REPLY), 7):
        assert live_layout(REPLY[:end], 50) == plain(lines(Markdown(REPLY[:end]), 50)), end


def test_a_live_reply_keeps_a_piece_per_block_only_in_its_last_group() -> None:
    blocks = markdown_blocks("\n\n".join([REPLY] * 3))
    live = reply_pieces(blocks, live=True, group_chars=len(REPLY))
    done = reply_pieces(blocks, live=False, group_chars=len(REPLY))
    assert len(done) == 3 and live[:2] == done[:2]  # complete groups: joined already
    assert len(live) > 3 and live[2:] == blocks[-len(live[2:]) :]
    assert "".join(block.text for block in live[2:]) == done[2].text


def on_screen(app: RigtuiApp, widget: Widget) -> list[list[tuple[str, object]]]:
    """The cells the screen shows where `widget` is: text and style, line by line."""
    region = widget.region
    assert region.height and region.bottom <= app.size.height, "the reply must fit on screen"
    strips = app.screen._compositor.render_strips()  # what the terminal is sent
    return [
        [(segment.text, segment.style) for segment in strip.crop(region.x, region.right).simplify()]
        for strip in strips[region.y : region.bottom]
    ]


def text_of(shown: list[list[tuple[str, object]]]) -> list[str]:
    return ["".join(text for text, _ in line).rstrip() for line in shown]


def the(app: RigtuiApp, kind: type[Widget]) -> Widget:
    view = app.query_one(ThreadPane).current_view
    assert view is not None
    found = list(view.query_children(kind))
    assert len(found) == 1, f"{len(found)} {kind.__name__} in the thread"
    return found[0]


async def test_a_reply_looks_the_same_while_streaming_finished_and_reopened(
    model_app,  # noqa: F811
) -> None:
    hold = threading.Event()
    with FakeOpenAI([Say(REPLY, text_chunk=CUT, hold=hold)]) as server:
        app = model_app(server)
        async with app.run_test(size=(120, 60)) as pilot:
            await pilot.pause()
            await ask(app, pilot, "why do tabs break the parser?", ev.MessageDelta)
            live = the(app, LiveReply)
            width = live.region.width
            partial = text_of(on_screen(app, live))
            assert partial == plain(lines(Markdown(REPLY[:CUT]), width))
            assert "def split(line):" in "\n".join(partial)  # shown before the reply ends
            assert "return" not in "\n".join(partial)

            finished = recorder(app).next(ev.AssistantMessage)
            hold.set()
            await finished
            await pilot.pause()
            assert not live.is_attached  # replaced by the widget history builds
            reply = the(app, Reply)
            seen_live = on_screen(app, reply)
            assert text_of(seen_live) == plain(lines(Markdown(REPLY), width))
            thread_id = app.current_thread.id  # type: ignore[union-attr]
            await app.session_required().wait_idle()

        app = model_app(server)  # the workbench opened again: the thread from the store
        async with app.run_test(size=(120, 60)) as pilot:
            await pilot.pause()
            assert app.current_thread.id == thread_id  # type: ignore[union-attr]
            reopened = the(app, Reply)
            assert reopened.region.width == width
            assert reopened.source == reply.source == REPLY
            assert reopened.pieces == reply.pieces
            assert on_screen(app, reopened) == seen_live  # the same text in the same styles


async def test_a_reply_cut_for_a_retry_keeps_its_note_and_the_retried_reply_follows(
    model_app,  # noqa: F811
) -> None:
    script = [Say("partial words here", drop_after=2), Say("whole reply")]
    with FakeOpenAI(script) as server:
        app = model_app(server)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await ask(app, pilot, "hi", ev.TaskEnded)
            view = app.query_one(ThreadPane).current_view
            assert view is not None and not view.query(LiveReply)
            replies = [reply.source for reply in view.query_children(Reply)]
            assert replies == ["partial \n\n*[interrupted; retrying]*", "whole reply"]

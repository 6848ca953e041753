"""The thread pane: the list of threads (toggled above), the plan of the running task, the
stream of the current thread and the message box. It renders events and posts what the user
asks for; the app turns those requests into ops on the session.

Switching threads must be instant with long histories, so each thread's view is kept mounted
for a few recent threads, and a view mounts only the latest events (older ones on request)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalGroup, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, OptionList, Static
from textual.widgets.option_list import Option

from rigtui import protocol as ev
from rigtui.ui.event_render import (
    NEWLINES,
    Block,
    RenderedMarkdown,
    RenderedReply,
    event_text,
    markdown_blocks,
    reply_pieces,
    spaced,
    tool_line,
)
from rigtui.ui.message_box import CompletionMenu, MessageInput

if TYPE_CHECKING:
    from rigtui.session import Thread


WINDOW = 24  # events mounted when a thread is opened; older ones load on request
CACHED_VIEWS = 6  # threads whose views stay mounted, for instant switching back

EMPTY_THREAD = (
    "This thread is empty. Type a message below and press Enter.\n"
    "The model's replies, its plans and the commands it runs will appear here."
)


class ThreadList(OptionList):
    """Threads of the project, newest activity first. Enter switches to the highlighted one."""

    DEFAULT_CSS = """
    ThreadList { height: auto; max-height: 8; border: none; background: $surface; }
    ThreadList.-hidden { display: none; }
    .-narrow ThreadList { max-height: 4; }
    """

    BINDINGS = [
        ("n", "app.new_thread", "New"),
        ("r", "app.rename_thread", "Rename"),
        ("f", "app.fork_thread", "Fork"),
        ("delete,x", "app.delete_thread", "Delete"),
    ]

    def set_threads(
        self,
        threads: list[Thread],
        current: str | None,
        running: set[str],
        states: dict[str, dict[str, int]] | None = None,
    ) -> None:
        """`states`: per thread, its tasks' counts by status (rigtui.ui.thread_rows)."""
        from rigtui.ui.thread_rows import thread_row

        states = states or {}
        self.clear_options()
        self.add_options(
            [Option(thread_row(t, states.get(t.id, {}), t.id in running), id=t.id) for t in threads]
        )
        for index, thread in enumerate(threads):
            if thread.id == current:
                self.highlighted = index


class Reply(Widget):
    """A finished assistant reply, the one way one is shown: built from the stored text by
    history, and by LiveReply.finished() when a reply ends. One widget rendering Rich's
    Markdown in pieces (see reply_pieces; most replies: one piece), so its lines are those of
    Rich's Markdown of the whole text. One widget per reply keeps opening a thread as fast as
    before; Textual's Markdown widget (a widget per block) made it 3x slower."""

    DEFAULT_CSS = "Reply { height: auto; }"

    def __init__(
        self, text: str, *, rendered: Iterable[RenderedMarkdown] = (), **kwargs: object
    ) -> None:
        """`rendered`: pieces a live reply already rendered, taken over where they match."""
        super().__init__(**kwargs)  # type: ignore[arg-type]
        blocks = markdown_blocks(text)
        self.source = "".join(block.text for block in blocks)
        done = {piece.piece: piece for piece in rendered}
        pieces = reply_pieces(blocks, live=False)
        self._rendered = RenderedReply([done.get(p) or RenderedMarkdown(p) for p in pieces])

    @property
    def pieces(self) -> list[Block]:
        return [rendered.piece for rendered in self._rendered.pieces]

    def render(self) -> RenderedReply:
        return self._rendered


class ReplyBlock(Widget):
    """A piece of a live reply. Its render is lazy (many deltas between two frames cost one)
    and kept per width, for the Reply that takes it over."""

    DEFAULT_CSS = "ReplyBlock { height: auto; }"

    def __init__(self, piece: Block, *, spaced: bool) -> None:
        super().__init__(classes="-spaced" if spaced else "")
        self.rendered = RenderedMarkdown(piece)

    def render(self) -> RenderedMarkdown:
        return self.rendered

    def show(self, piece: Block, *, spaced: bool) -> None:
        if piece != self.rendered.piece:
            self.rendered = RenderedMarkdown(piece)
            self.refresh(layout=True)
        self.set_class(spaced, "-spaced")


class LiveReply(VerticalGroup):
    """A reply as it streams: a child per piece (see reply_pieces), so a delta re-renders
    only the last block; its lines are Rich's Markdown of the text so far, as the Reply it
    becomes will show them (the swap is not seen). finished() builds that Reply, taking over
    the pieces rendered here."""

    DEFAULT_CSS = "LiveReply > ReplyBlock.-spaced { margin-top: 1; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._blocks: list[Block] = []
        self._shown: list[ReplyBlock] = []  # the children, kept here: no DOM query per delta

    @property
    def source(self) -> str:
        return "".join(block.text for block in self._blocks)

    async def append(self, text: str) -> None:
        """Add streamed text: the blocks before the last one are complete; only the last one
        is cut again with the new text."""
        last = self._blocks.pop().text if self._blocks else ""
        self._blocks += markdown_blocks(last + text)
        await self._show(reply_pieces(self._blocks, live=True))
        await asyncio.sleep(0)  # deltas come by the thousand: let a key in between two

    def finished(self, text: str, **kwargs: object) -> Reply:
        """The Reply showing `text`, the stored reply. Text streamed after it (a retry's
        note: that reply is not stored) stays on screen."""
        stored = NEWLINES.sub("\n", text)
        final = self.source if self.source.startswith(stored) else stored
        return Reply(final, rendered=[child.rendered for child in self._shown], **kwargs)

    async def _show(self, pieces: list[Block]) -> None:
        """Make the children show the pieces, re-rendering only the ones that changed."""
        shown = self._shown
        for index, child in enumerate(shown[: len(pieces)]):
            child.show(pieces[index], spaced=spaced(pieces, index))
        if extra := shown[len(pieces) :]:
            del shown[len(pieces) :]
            await self.remove_children(extra)
        if added := [ReplyBlock(pieces[index], spaced=spaced(pieces, index))
                     for index in range(len(shown), len(pieces))]:  # fmt: skip
            shown += added
            await self.mount_all(added)


@dataclass
class _ToolCall:
    widget: Static
    name: str = ""
    arguments: str = ""


class EarlierEvents(Static):
    """Stands for the events not mounted yet; Enter (or a click) mounts the next batch."""

    can_focus = True
    BINDINGS = [Binding("enter", "load", "Show earlier")]

    def action_load(self) -> None:
        self.post_message(ThreadView.LoadEarlier())

    def on_click(self) -> None:
        self.action_load()


class ThreadView(VerticalScroll):
    """The events of one thread, rendered as they arrive. An assistant reply streams into a
    LiveReply and ends as the Reply history shows (the same lines, so the swap is not seen);
    a tool call is one line that fills in as its arguments stream and its result arrives."""

    DEFAULT_CSS = """
    ThreadView { height: 1fr; padding: 0 1; }
    ThreadView .user { margin: 1 0 0 0; padding: 0 1; background: $boost; color: $foreground; }
    ThreadView .assistant { margin: 1 0 0 0; }
    ThreadView .error { margin: 1 0 0 0; padding: 0 1; color: $error; border-left: thick $error; }
    ThreadView .line { color: $foreground; }
    ThreadView .empty { color: $text-muted; margin: 1 0; }
    ThreadView .chips { color: $text-muted; }
    ThreadView .compacted { margin: 1 0 0 0; border: none; padding: 0; }
    ThreadView EarlierEvents { color: $text-muted; text-style: italic; }
    ThreadView EarlierEvents:focus { color: $foreground; background: $boost; }
    """

    can_focus = True

    class LoadEarlier(Message):
        pass

    def __init__(self, thread_id: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.thread_id = thread_id
        self._streams: dict[str, LiveReply] = {}  # replies streaming, by message id
        self._tools: dict[str, _ToolCall] = {}  # by call id, or message id + index while streaming
        self._unmounted: list[ev.Event] = []
        self._empty: Static | None = None  # the "this thread is empty" note, while shown

    # --- history ---------------------------------------------------------------------------

    async def show_history(self, events: list[ev.Event]) -> None:
        self._streams.clear()
        await self.remove_children()
        self._tools.clear()
        if not self.is_attached:  # dropped meanwhile (another thread shown, this one deleted)
            return
        visible = [e for e in events if _is_visible(e)]
        if not visible:
            self._empty = Static(EMPTY_THREAD, classes="empty")
            await self.mount(self._empty)
            return
        self._unmounted, recent = visible[:-WINDOW], visible[-WINDOW:]
        widgets = self._build(recent)
        if self._unmounted:
            widgets.insert(0, self._earlier_marker())
        await self.mount_all(widgets)
        self.scroll_end(animate=False)

    def _earlier_marker(self) -> EarlierEvents:
        return EarlierEvents(f"▲ {len(self._unmounted)} earlier events: Enter to show more")

    @on(LoadEarlier)
    async def load_earlier(self, message: LoadEarlier | None = None) -> None:
        if message is not None:
            message.stop()
        if not self._unmounted:
            return
        self._unmounted, batch = self._unmounted[:-WINDOW], self._unmounted[-WINDOW:]
        marker = self.query(EarlierEvents).first()
        widgets = self._build(batch)
        await self.mount_all(widgets, after=marker)
        await marker.remove()
        if self._unmounted:
            await self.mount(self._earlier_marker(), before=widgets[0])

    def _build(self, events: list[ev.Event]) -> list[Widget]:
        """Widgets for stored events; a tool call and its result share one line."""
        widgets: list[Widget] = []
        for event in events:
            if isinstance(event, ev.ToolCallFinished):
                call = self._tools.get(event.call_id)
                if call is not None:
                    self._finish_tool(call, event)
                    continue
            widget = self._widget_for(event)
            if widget is not None:
                widgets.append(widget)
        return widgets

    def _widget_for(self, event: ev.Event) -> Widget | None:
        match event:
            case ev.UserMessage(text=text, attachments=attached):
                from rigtui.ui.thread_parts import user_message  # loaded after the first frame

                return user_message(text, attached)
            case ev.ThreadCompacted():
                from rigtui.ui.thread_parts import compaction

                return compaction(event)
            case ev.AssistantMessage(text=text):
                return Reply(text, classes="assistant")
            case ev.Error(message=message, fix=fix):
                text = f"✗ {message}" + (f"\n  {fix}" if fix else "")
                return Static(text, classes="error", markup=False)
            case ev.ToolCallStarted(call_id=call_id, name=name, arguments=arguments):
                call = _ToolCall(Static(classes="line"), name, arguments)
                call.widget.update(tool_line(call.name, call.arguments))
                self._tools[call_id] = call
                return call.widget
        text = event_text(event)
        return Static(text, classes="line") if text is not None else None

    def _finish_tool(self, call: _ToolCall, event: ev.ToolCallFinished) -> None:
        first = event.output.strip().splitlines()[:1]
        summary = event.summary or (first[0] if first else "")
        call.widget.update(tool_line(call.name, call.arguments, ok=event.ok, summary=summary))

    # --- live events -----------------------------------------------------------------------

    async def add_event(self, event: ev.Event) -> None:
        # Called for every streamed delta: nothing here may walk the DOM or lay it out.
        if self._empty is not None and _shows_something(event):
            await self._empty.remove()
            self._empty = None
        follow = self.max_scroll_y - self.scroll_y < 3
        if isinstance(event, ev.MessageStarted):
            self._streams[event.message_id] = LiveReply(classes="assistant")
            await self.mount(self._streams[event.message_id])
        elif isinstance(event, ev.MessageDelta):
            if event.message_id in self._streams:
                await self._streams[event.message_id].append(event.text)
        elif isinstance(event, ev.AssistantMessage) and event.message_id in self._streams:
            live = self._streams.pop(event.message_id)
            with self.app.batch_update():  # same lines: the swap is not seen
                await self.mount(live.finished(event.text, classes="assistant"), after=live)
                await live.remove()
        elif isinstance(event, ev.ToolCallDelta):
            await self._tool_delta(event)
        elif isinstance(event, ev.ToolCallStarted) and self._adopt_streamed_call(event):
            pass
        else:
            for widget in self._build([event]):
                await self.mount(widget)
        if follow:
            self.scroll_end(animate=False, immediate=False)

    async def _tool_delta(self, event: ev.ToolCallDelta) -> None:
        key = f"{event.message_id}#{event.index}"
        call = self._tools.get(key)
        if call is None:
            call = _ToolCall(Static(classes="line"))
            self._tools[key] = call
            await self.mount(call.widget)
        call.name = event.name or call.name
        call.arguments += event.arguments
        call.widget.update(tool_line(call.name, call.arguments, streaming=True))

    def _adopt_streamed_call(self, event: ev.ToolCallStarted) -> bool:
        """The finished call takes over the line its streamed arguments were filling."""
        for key, call in list(self._tools.items()):
            if key.startswith(f"{event.message_id}#") and call.name == event.name:
                del self._tools[key]
                call.arguments = event.arguments
                call.widget.update(tool_line(call.name, call.arguments))
                self._tools[event.call_id] = call
                return True
        return False


def _shows_something(event: ev.Event) -> bool:
    """Whether a live event adds something to the view (a silent one leaves the empty note)."""
    return _is_visible(event) or isinstance(event, ev.MessageStarted | ev.ToolCallDelta)


def _is_visible(event: ev.Event) -> bool:
    if isinstance(event, ev.UserMessage | ev.AssistantMessage | ev.Error):
        return True
    return (
        isinstance(event, ev.ToolCallStarted | ev.ToolCallFinished) or event_text(event) is not None
    )


class ThreadPane(Vertical):
    """Thread list (toggle with ctrl+l), the plan, the current thread, and the message box."""

    DEFAULT_CSS = """
    ThreadPane { border: round $panel; border-title-color: $text-muted; }
    ThreadPane:focus-within { border: round $primary; border-title-color: $primary; }
    ThreadPane #views { height: 1fr; }
    ThreadPane #message { dock: bottom; border: tall $panel; }
    ThreadPane #message:focus { border: tall $primary; }
    """

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class ThreadChosen(Message):
        def __init__(self, thread_id: str) -> None:
            super().__init__()
            self.thread_id = thread_id

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._views: OrderedDict[str, ThreadView] = OrderedDict()
        self._opening = asyncio.Lock()  # two opens of one thread must not build two views

    def compose(self) -> ComposeResult:
        yield ContentSwitcher(id="views")
        yield MessageInput(placeholder="Message the model…", id="message")

    async def mount_panes(self) -> None:
        """The thread list (empty until the session opens), the plan (hidden until a reply
        makes one) and the completion menu (closed until @ or / is typed): mounted after the
        first frame, in their places around the thread."""
        from rigtui.ui.plan_view import PlanView  # loaded after the first frame too

        await self.mount(ThreadList(id="thread-list"), PlanView(id="plan"), before="#views")
        await self.mount(CompletionMenu(id="completions"), before="#message")

    @property
    def current_view(self) -> ThreadView | None:
        current = self.query_one("#views", ContentSwitcher).current
        return self._views.get(current.removeprefix("view-")) if current else None

    def view(self, thread_id: str) -> ThreadView | None:
        """The mounted view of a thread, if it is one of the recent ones."""
        return self._views.get(thread_id)

    async def open_thread(self, thread_id: str, history: list[ev.Event]) -> ThreadView:
        """Show a thread: instantly when its view is cached, else build it from history."""
        async with self._opening:
            return await self._open_thread(thread_id, history)

    async def _open_thread(self, thread_id: str, history: list[ev.Event]) -> ThreadView:
        from rigtui.ui.plan_view import PlanView

        switcher = self.query_one("#views", ContentSwitcher)
        self.query_one(PlanView).restore(history)
        view = self._views.get(thread_id)
        if view is None:
            view = ThreadView(thread_id, id=f"view-{thread_id}")
            await switcher.mount(view)
            await view.show_history(history)
            self._views[thread_id] = view
            while len(self._views) > CACHED_VIEWS:
                _, oldest = self._views.popitem(last=False)
                await oldest.remove()
        self._views.move_to_end(thread_id)
        switcher.current = view.id
        return view

    async def forget_thread(self, thread_id: str) -> None:
        view = self._views.pop(thread_id, None)
        if view is not None:
            await view.remove()

    def set_placeholder(self, text: str) -> None:
        self.query_one("#message", Input).placeholder = text

    @on(Input.Submitted, "#message")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if text:
            event.input.clear()
            self.post_message(self.Submitted(text))

    @on(OptionList.OptionSelected, "#thread-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.ThreadChosen(event.option.id))

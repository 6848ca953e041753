"""The thread pane: the list of threads (toggled above) and the stream of the current one,
with the message box at the bottom. It renders events and posts what the user asks for; the
app turns those requests into ops on the session."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Markdown, OptionList, Static
from textual.widgets.markdown import MarkdownStream
from textual.widgets.option_list import Option

from rigtui import events as ev
from rigtui.store import Thread


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
        ("delete,x", "app.delete_thread", "Delete"),
    ]

    def set_threads(self, threads: list[Thread], current: str | None) -> None:
        self.clear_options()
        self.add_options([Option(t.title, id=t.id) for t in threads])
        if current is not None:
            for index, thread in enumerate(threads):
                if thread.id == current:
                    self.highlighted = index


@dataclass
class _Streaming:
    widget: Markdown
    stream: MarkdownStream


class ThreadView(VerticalScroll):
    """The events of one thread, rendered as they arrive. Assistant replies stream into a
    Markdown widget through Textual's MarkdownStream (appends, never re-renders the whole)."""

    DEFAULT_CSS = """
    ThreadView { height: 1fr; padding: 0 1; }
    ThreadView .user { margin: 1 0 0 0; padding: 0 1; background: $boost; color: $foreground; }
    ThreadView .assistant { margin: 1 0 0 0; }
    ThreadView .error { margin: 1 0 0 0; padding: 0 1; color: $error; border-left: thick $error; }
    ThreadView .notice { color: $text-muted; }
    ThreadView .empty { color: $text-muted; margin: 1 0; }
    """

    can_focus = True

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._streams: dict[str, _Streaming] = {}

    async def show_history(self, events: list[ev.Event]) -> None:
        await self.stop_streams()
        await self.remove_children()
        if not events or all(isinstance(e, ev.ThreadCreated) for e in events):
            await self.mount(Static(EMPTY_THREAD, classes="empty"))
            return
        widgets = [w for e in events if (w := render_event(e)) is not None]
        await self.mount_all(widgets)
        self.scroll_end(animate=False)

    async def add_event(self, event: ev.Event) -> None:
        for empty in self.query(".empty"):
            await empty.remove()
        if isinstance(event, ev.MessageStarted):
            widget = Markdown(classes="assistant")
            await self.mount(widget)
            self._streams[event.message_id] = _Streaming(widget, Markdown.get_stream(widget))
        elif isinstance(event, ev.MessageDelta) and event.message_id in self._streams:
            await self._streams[event.message_id].stream.write(event.text)
        elif isinstance(event, ev.AssistantMessage) and event.message_id in self._streams:
            await self._streams.pop(event.message_id).stream.stop()
        elif (widget := render_event(event)) is not None:
            await self.mount(widget)
        if self.is_vertical_scroll_end or self.max_scroll_y - self.scroll_y < 3:
            self.scroll_end(animate=False)

    async def stop_streams(self) -> None:
        for streaming in self._streams.values():
            await streaming.stream.stop()
        self._streams.clear()


EMPTY_THREAD = (
    "This thread is empty. Type a message below and press Enter.\n"
    "The model's replies, its plans and the commands it runs will appear here."
)


def render_event(event: ev.Event) -> Widget | None:
    """One widget per stored event; None for events that only change state."""
    match event:
        case ev.UserMessage(text=text):
            return Static(text, classes="user", markup=False)
        case ev.AssistantMessage(text=text):
            return Markdown(text, classes="assistant")
        case ev.Error(message=message, fix=fix):
            return Static(
                f"✗ {message}" + (f"\n  {fix}" if fix else ""), classes="error", markup=False
            )
        case ev.Notice(text=text):
            return Static(text, classes="notice", markup=False)
        case ev.ThreadRenamed(title=title):
            return Static(f"· renamed to {title!r}", classes="notice", markup=False)
        case ev.ThreadCreated() | ev.MessageStarted() | ev.MessageDelta():
            return None
        case _:
            return Static(f"· {event.type}", classes="notice")


class ThreadPane(Vertical):
    """Thread list (toggle with ctrl+l), the current thread, and the message box."""

    DEFAULT_CSS = """
    ThreadPane { border: round $panel; border-title-color: $text-muted; }
    ThreadPane:focus-within { border: round $primary; border-title-color: $primary; }
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

    def compose(self) -> ComposeResult:
        yield ThreadList(id="thread-list")
        yield ThreadView(id="thread-view")
        yield Input(placeholder="Message the model…", id="message")

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

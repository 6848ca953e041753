"""The thread pane: the list of threads (toggled above), the plan of the running task, the
stream of the current thread and the message box. It renders events and posts what the user
asks for; the app turns those requests into ops on the session.

Switching threads must be instant with long histories, so each thread's view is kept mounted
for a few recent threads, and a view mounts only the latest events (older ones on request)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from rich.markdown import Markdown as RichMarkdown
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Markdown, OptionList, Static
from textual.widgets.markdown import MarkdownStream
from textual.widgets.option_list import Option

from rigtui import events as ev
from rigtui.store import Thread
from rigtui.ui.event_render import event_text, tool_line
from rigtui.ui.plan_view import PlanView

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

    def set_threads(self, threads: list[Thread], current: str | None, running: set[str]) -> None:
        self.clear_options()
        self.add_options(
            [Option(("● " if t.id in running else "") + t.title, id=t.id) for t in threads]
        )
        for index, thread in enumerate(threads):
            if thread.id == current:
                self.highlighted = index


@dataclass
class _Streaming:
    widget: Markdown
    stream: MarkdownStream


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
    """The events of one thread, rendered as they arrive. Assistant replies stream into a
    Markdown widget through Textual's MarkdownStream (appends, never re-renders the whole);
    a tool call is one line that fills in as its arguments stream and its result arrives."""

    DEFAULT_CSS = """
    ThreadView { height: 1fr; padding: 0 1; }
    ThreadView .user { margin: 1 0 0 0; padding: 0 1; background: $boost; color: $foreground; }
    ThreadView .assistant { margin: 1 0 0 0; }
    ThreadView .error { margin: 1 0 0 0; padding: 0 1; color: $error; border-left: thick $error; }
    ThreadView .line { color: $foreground; }
    ThreadView .empty { color: $text-muted; margin: 1 0; }
    ThreadView EarlierEvents { color: $text-muted; text-style: italic; }
    ThreadView EarlierEvents:focus { color: $foreground; background: $boost; }
    """

    can_focus = True

    class LoadEarlier(Message):
        pass

    def __init__(self, thread_id: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.thread_id = thread_id
        self._streams: dict[str, _Streaming] = {}
        self._tools: dict[str, _ToolCall] = {}  # by call id, or message id + index while streaming
        self._unmounted: list[ev.Event] = []
        self._empty: Static | None = None  # the "this thread is empty" note, while shown

    # --- history ---------------------------------------------------------------------------

    async def show_history(self, events: list[ev.Event]) -> None:
        await self.stop_streams()
        await self.remove_children()
        self._tools.clear()
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
            if isinstance(event, ev.Event) and event.type == "ToolCallFinished":
                call = self._tools.get(getattr(event, "call_id", ""))
                if call is not None:
                    self._finish_tool(call, event)
                    continue
            widget = self._widget_for(event)
            if widget is not None:
                widgets.append(widget)
        return widgets

    def _widget_for(self, event: ev.Event) -> Widget | None:
        match event:
            case ev.UserMessage(text=text):
                return Static(text, classes="user", markup=False)
            case ev.AssistantMessage(text=text):
                # History renders through Rich's Markdown in one Static: a tenth of the
                # cost of Textual's block widgets, which only live streaming needs.
                return Static(RichMarkdown(text), classes="assistant")
            case ev.Error(message=message, fix=fix):
                text = f"✗ {message}" + (f"\n  {fix}" if fix else "")
                return Static(text, classes="error", markup=False)
        if event.type == "ToolCallStarted":
            data = event.to_dict()
            call = _ToolCall(Static(classes="line"), data["name"], data["arguments"])
            call.widget.update(tool_line(call.name, call.arguments))
            self._tools[data["call_id"]] = call
            return call.widget
        text = event_text(event)
        return Static(text, classes="line") if text is not None else None

    def _finish_tool(self, call: _ToolCall, event: ev.Event) -> None:
        data = event.to_dict()
        summary = data.get("summary") or data.get("output", "").strip().splitlines()[:1]
        summary = summary if isinstance(summary, str) else (summary[0] if summary else "")
        call.widget.update(tool_line(call.name, call.arguments, ok=data["ok"], summary=summary))

    # --- live events -----------------------------------------------------------------------

    async def add_event(self, event: ev.Event) -> None:
        # Called for every streamed delta: nothing here may walk the DOM or lay it out.
        if self._empty is not None:
            await self._empty.remove()
            self._empty = None
        follow = self.max_scroll_y - self.scroll_y < 3
        if isinstance(event, ev.MessageStarted):
            widget = Markdown(classes="assistant")
            await self.mount(widget)
            self._streams[event.message_id] = _Streaming(widget, Markdown.get_stream(widget))
        elif isinstance(event, ev.MessageDelta):
            if event.message_id in self._streams:
                await self._streams[event.message_id].stream.write(event.text)
        elif isinstance(event, ev.AssistantMessage) and event.message_id in self._streams:
            await self._streams.pop(event.message_id).stream.stop()
        elif event.type == "ToolCallDelta":
            await self._tool_delta(event)
        elif event.type == "ToolCallStarted" and self._adopt_streamed_call(event):
            pass
        else:
            for widget in self._build([event]):
                await self.mount(widget)
        if follow:
            self.scroll_end(animate=False, immediate=False)

    async def _tool_delta(self, event: ev.Event) -> None:
        data = event.to_dict()
        key = f"{data['message_id']}#{data['index']}"
        call = self._tools.get(key)
        if call is None:
            call = _ToolCall(Static(classes="line"))
            self._tools[key] = call
            await self.mount(call.widget)
        call.name = data["name"] or call.name
        call.arguments += data["arguments"]
        call.widget.update(tool_line(call.name, call.arguments, streaming=True))

    def _adopt_streamed_call(self, event: ev.Event) -> bool:
        """The finished call takes over the line its streamed arguments were filling."""
        data = event.to_dict()
        for key, call in list(self._tools.items()):
            if key.startswith(f"{data['message_id']}#") and call.name == data["name"]:
                del self._tools[key]
                call.arguments = data["arguments"]
                call.widget.update(tool_line(call.name, call.arguments))
                self._tools[data["call_id"]] = call
                return True
        return False

    async def stop_streams(self) -> None:
        for streaming in self._streams.values():
            await streaming.stream.stop()
        self._streams.clear()


def _is_visible(event: ev.Event) -> bool:
    if isinstance(event, ev.UserMessage | ev.AssistantMessage | ev.Error):
        return True
    return event.type in ("ToolCallStarted", "ToolCallFinished") or event_text(event) is not None


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

    def compose(self) -> ComposeResult:
        yield ThreadList(id="thread-list")
        yield PlanView(id="plan")
        yield ContentSwitcher(id="views")
        yield Input(placeholder="Message the model…", id="message")

    @property
    def current_view(self) -> ThreadView | None:
        current = self.query_one("#views", ContentSwitcher).current
        return self._views.get(current.removeprefix("view-")) if current else None

    def view(self, thread_id: str) -> ThreadView | None:
        """The mounted view of a thread, if it is one of the recent ones."""
        return self._views.get(thread_id)

    async def open_thread(self, thread_id: str, history: list[ev.Event]) -> ThreadView:
        """Show a thread: instantly when its view is cached, else build it from history."""
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
                await oldest.stop_streams()
                await oldest.remove()
        self._views.move_to_end(thread_id)
        switcher.current = view.id
        return view

    async def forget_thread(self, thread_id: str) -> None:
        view = self._views.pop(thread_id, None)
        if view is not None:
            await view.stop_streams()
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

"""The workbench's top line: its icon, the title and the project's name, as Textual's Header
shows them, drawn by one widget. Header is four (the bar, the icon, the title, the space
its clock would take), each mounted, styled and drawn before the first frame: ~9% of the
work before it."""

from __future__ import annotations

from textual import events
from textual.app import RenderResult
from textual.content import Content
from textual.reactive import Reactive
from textual.style import Style
from textual.widget import Widget

ICON_WIDTH = 8  # Header's icon: 8 cells, the icon one cell in
CLOCK_WIDTH = 10  # the space Header keeps on the right for its clock (none shown here)


class TitleBar(Widget):
    """The icon (a click opens the command palette), the screen's or app's title and
    sub-title centred between it and the clock's space; a click elsewhere toggles a
    three-line bar, as Header's does."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        background: $panel;
        color: $foreground;
        height: 1;
    }
    TitleBar.-tall {
        height: 3;
    }
    """

    icon: Reactive[str] = Reactive("⭘")
    tall: Reactive[bool] = Reactive(False)

    def __init__(self, icon: str | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._icon_hovered = False
        if icon is not None:
            self.set_reactive(TitleBar.icon, icon)

    def _on_mount(self, event: events.Mount) -> None:
        for node in (self.app, self.screen):
            self.watch(node, "title", self._title_changed, init=False)
            self.watch(node, "sub_title", self._title_changed, init=False)

    def _title_changed(self) -> None:
        self.refresh()

    def watch_tall(self, tall: bool) -> None:
        self.set_class(tall, "-tall")

    @property
    def screen_title(self) -> str:
        """The screen's title, else the app's (as Header shows it)."""
        title = self.screen.title
        return title if title is not None else self.app.title

    @property
    def screen_sub_title(self) -> str:
        sub_title = self.screen.sub_title
        return sub_title if sub_title is not None else self.app.sub_title

    def format_title(self) -> Content:
        return self.app.format_title(self.screen_title, self.screen_sub_title)

    def render(self) -> RenderResult:
        width = self.size.width
        middle = max(0, width - ICON_WIDTH - CLOCK_WIDTH)
        title = self.format_title().truncate(middle, ellipsis=True)
        left = (middle - title.cell_length) // 2  # centred as Header's title is
        title = title.pad(left, middle - left - title.cell_length)
        clock = " " * CLOCK_WIDTH
        icon = Content(" ").append(self.icon).truncate(ICON_WIDTH, pad=True)
        if not self.tall:
            return self._fit(Content.assemble(self._icon_cells(icon), title, clock), width)
        # Header's three lines: the title on the first, the icon on the middle one
        blank = self._icon_cells(Content(" " * ICON_WIDTH))
        lines = [
            Content.assemble(blank, title, clock),
            Content.assemble(self._icon_cells(icon), " " * (middle + CLOCK_WIDTH)),
            blank,
        ]
        return Content("\n").join(self._fit(line, width) for line in lines)

    @staticmethod
    def _fit(line: Content, width: int) -> Content:
        # (cut only when narrower than the icon and the clock: cutting measures every cell)
        return line if line.cell_length <= width else line.truncate(width)

    def _icon_cells(self, cells: Content) -> Content:
        if not self._icon_hovered:
            return cells
        hover = self.styles.background.blend(self.styles.color, 0.1)
        return cells.stylize(Style(background=hover))

    # --- the mouse -------------------------------------------------------------------------

    def _on_icon(self, x: int) -> bool:
        return x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE

    def _hover_icon(self, over: bool) -> None:
        if over != self._icon_hovered:
            self._icon_hovered = over
            self.tooltip = "Open the command palette" if over else None
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover_icon(self._on_icon(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hover_icon(False)

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        if self._on_icon(event.x):
            await self.run_action("app.command_palette")
        else:
            self.tall = not self.tall

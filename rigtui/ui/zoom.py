"""Zoom, as tmux's prefix z does it: the focused pane (file tree, thread or right pane) takes
the whole width and `z` gives the others back. A review opened while the workbench is under
`REVIEW_FULL_WIDTH` columns zooms the right pane by itself, and gives the width back when it
closes (Esc) or on `z`. Mixed into the app; the panes are `#left`, `#thread` and `#right`
inside `#panes`, and app.tcss hides the others while `#panes` has `-zoom`."""

from __future__ import annotations

from textual.widget import Widget

PANES = ("left", "thread", "right")
# Under this many columns a review's diff pane is too narrow to read (a third of the width
# each for tree, thread and diff leaves ~40 columns): it takes the whole width.
REVIEW_FULL_WIDTH = 140


class ZoomActions:
    """`zoomed`: the pane with the whole width, or ""; `auto_zoomed`: a review did it."""

    zoomed: str = ""
    auto_zoomed: bool = False
    review_unzoomed: bool = False  # z gave this review's width back: resizing keeps it so

    def action_toggle_zoom(self) -> None:
        if len(self.screen_stack) > 1:  # type: ignore[attr-defined]
            return  # a dialog is open: the panes behind it stay as they are
        if self.zoomed:
            self.review_unzoomed = self.auto_zoomed
            self.unzoom()
        else:
            self.zoom(self._focused_pane())

    def zoom(self, pane: str, *, auto: bool = False) -> None:
        app: Widget = self  # type: ignore[assignment]
        panes = app.query_one("#panes")
        for name in PANES:
            panes.query_one(f"#{name}").set_class(name == pane, "-zoomed")
        panes.add_class("-zoom")
        self.zoomed, self.auto_zoomed = pane, auto
        app.app.sub_title = f"{app.app.root.name} · zoomed: z returns"  # type: ignore[attr-defined]

    def unzoom(self) -> None:
        app: Widget = self  # type: ignore[assignment]
        app.query_one("#panes").remove_class("-zoom")
        for name in PANES:
            app.query_one(f"#{name}").remove_class("-zoomed")
        self.zoomed, self.auto_zoomed = "", False
        app.app.sub_title = app.app.root.name  # type: ignore[attr-defined]

    def reveal(self, pane: str) -> None:
        """Going to a pane the zoom hides (ctrl+e, a file opened from search) gives the width
        back first, as tmux does when another pane is selected."""
        if self.zoomed and self.zoomed != pane:
            self.unzoom()

    def _focused_pane(self) -> str:
        focused = self.focused  # type: ignore[attr-defined]
        node = focused
        while node is not None:
            if node.id in PANES:
                return str(node.id)
            node = node.parent
        return "thread"

    def fit_review(self, width: int) -> None:
        """A review under REVIEW_FULL_WIDTH columns takes the width; above it, gives it back."""
        review_open = self.query_one("#right").current == "review"  # type: ignore[attr-defined]
        if review_open and width < REVIEW_FULL_WIDTH and not self.zoomed:
            if not self.review_unzoomed:
                self.zoom("right", auto=True)
        elif self.auto_zoomed and (width >= REVIEW_FULL_WIDTH or not review_open):
            self.unzoom()

    # Handlers by name (a mixin's `@on` is not collected): ReviewPane.Opened / Closed.
    def on_review_pane_opened(self) -> None:
        self.review_unzoomed = False
        self.fit_review(self.size.width)  # type: ignore[attr-defined]

    def on_review_pane_closed(self) -> None:
        if self.auto_zoomed:
            self.unzoom()

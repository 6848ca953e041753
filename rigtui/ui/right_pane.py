"""The right pane: one of the diff pane's hint, a file read-only, the checks, or a change set
under review; its border says which, and Esc goes back to the hint. Files get here from the
tree, the search, the outline, a check's failure, or the files the model's commands made."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from rigtui import protocol as ev
from rigtui.ui.checks_panel import ChecksPanel
from rigtui.ui.review_pane import ReviewPane

DIFF_EMPTY = (
    "[b]Diff pane[/b]\n\n"
    "Change sets the model proposes appear here as diffs, file by file and hunk by hunk, "
    "for you to accept, reject or edit before anything touches disk.\n\n"
    "Select a file in the tree to read it here.\n\n"
    "[dim]ctrl+e tree · ctrl+t thread · ctrl+g this pane · ? keys[/dim]"
)
if TYPE_CHECKING:
    from rigtui.index import CodeIndex, Location
    from rigtui.ui.code_view import CodeView

TITLES = {"diff-empty": "Diff", "checks": "Checks"}


class DiffEmpty(Static):
    """The diff pane before there is a change set: says what will appear here."""

    can_focus = True


class RightPane(ContentSwitcher):
    def __init__(self, root: Path, **kwargs: object) -> None:
        super().__init__(initial="diff-empty", **kwargs)  # type: ignore[arg-type]
        self.root = root

    def compose(self) -> ComposeResult:
        yield DiffEmpty(DIFF_EMPTY, id="diff-empty")

    async def mount_panes(self) -> None:
        """The checks panel and the review: hidden at first, so mounted after the first frame
        (each widget mounted costs the first paint; bench/startup.py)."""
        panes = (ChecksPanel(id="checks"), ReviewPane(id="review"))
        for pane in panes:
            pane.display = False
        await self.mount_all(panes)

    def on_mount(self) -> None:
        self.border_title = "Diff"

    def show(self, which: str) -> None:
        self.current = which
        if which in TITLES:
            self.border_title, self.border_subtitle = TITLES[which], ""

    def _code_view(self) -> CodeView:
        """The file view, made when the first file opens (a TextArea costs the first paint)."""
        from rigtui.ui.code_view import CodeView

        try:
            return self.query_one(CodeView)
        except NoMatches:
            view = CodeView(id="code")
            self.mount(view)
            return view

    def open_file(self, path: Path, line: int | None = None) -> None:
        self._code_view().show_file(path, line)
        self.current = "code"
        rel = path.relative_to(self.root) if path.is_relative_to(self.root) else path
        self.border_title = str(rel)
        self.border_subtitle = "read-only · Esc closes"

    def reload_file(self) -> None:
        """The file shown changed on disk (an undo, a redo): show it as it is now."""
        code = self._code_view()
        if self.current == "code" and code.path is not None:
            code.show_file(code.path)

    def close_file(self) -> bool:
        """Back to the hint from a file, the checks or a review; False when already there."""
        if self.current not in ("code", "checks", "review"):
            return False
        self.show("diff-empty")
        return True

    def shown_pane(self) -> Widget | None:
        """The review or the checks panel, when one is shown (their keys are in the palette)."""
        try:
            return self.query_one(
                {"review": "#diff-review", "checks": "#checks"}[self.current or ""]
            )
        except (KeyError, NoMatches):
            return None

    def search(self, index: CodeIndex | None) -> None:
        """Symbols and text in the code index; Enter opens the file at the line."""
        if index is None:
            self.app.notify("the code index is still being built; try again in a moment")
            return
        from rigtui.ui.search_screen import SearchScreen  # loads the index's query code

        def jump(location: Location | None) -> None:
            if location is not None:
                self.open_file(self.root / location.path, location.line)

        self.app.push_screen(SearchScreen(index), jump)

    def choose_artifact(self, history: list[ev.Event]) -> None:
        """Open one of the files the thread's commands made or changed."""
        files: dict[str, str] = {}
        for event in history:
            if isinstance(event, ev.ArtifactsDetected):
                for path in event.created + event.changed:
                    files[path] = f"{path}  (from `{event.command}`)"
        if not files:
            self.app.notify("no command in this thread has made or changed a file")
            return

        def open_it(path: str | None) -> None:
            if path:
                self.open_file(self.root / path)

        choices = list(files.items())[::-1]
        from rigtui.ui.modals import ChooseScreen  # loaded on use

        self.app.push_screen(ChooseScreen("Files the model's commands made", choices), open_it)

    def focus_current(self) -> None:
        self.query_one(f"#{self.current or 'diff-empty'}").focus()

    @on(ReviewPane.Opened)
    def _review_opened(self, message: ReviewPane.Opened) -> None:
        self.current = "review"
        self.border_title, self.border_subtitle = message.title, message.subtitle

    @on(ReviewPane.Closed)
    def _review_closed(self, message: ReviewPane.Closed) -> None:
        if self.current == "review":
            self.show("diff-empty")
        if message.note:
            self.app.notify(message.note)

"""The diff pane's review widget: a change set file by file and hunk by hunk, each hunk accepted,
rejected (with an optional comment) or edited in `$EDITOR` before the decision is posted.

Embed it with `DiffReview(proposal)` (a `rigtui.edits.prepare.Proposal`). It posts
`DiffReview.Decided(proposal, decision)` when the user submits (Enter) and
`DiffReview.Cancelled()` on Escape. The proposal in `Decided` includes any edited hunks; the
decision (edits in it) goes to the session in a `DecidePatch` op, which applies it.
Hunks left undecided count as rejected. Nothing here touches the disk except the temp file an
edit goes through.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from rigtui.display import safe_name
from rigtui.edits.errors import PatchRefused
from rigtui.edits.prepare import LocatedHunk, PreparedFile, Proposal
from rigtui.edits.render import (
    describe_hunk,
    file_hunk_rows,
    file_mode_text,
    render_split,
    render_unified,
)
from rigtui.errors import BadInput
from rigtui.protocol import Decision
from rigtui.ui.modals import PromptScreen
from rigtui.ui.themes import palette_for

State = Literal["pending", "accepted", "rejected"]
SIDE_MIN = 60  # columns each side of a side-by-side view needs; narrower shows unified
SPLIT_CHROME = 2 * 5 + 3 + 4 + 2  # two gutters, the grid's padding, a hunk's border and
# padding, the scroll bar
MARKS = {"pending": ("·", "dim"), "accepted": ("✓", "green"), "rejected": ("✗", "red")}
EDIT_HELP = (
    "# Edit this hunk, save and quit. Lines starting with # are ignored.\n"
    "# Keep ' ' context and '-' lines as they are in the file; change '+' lines freely.\n"
)


class HunkView(Static):
    """One hunk: a title line with its id and decision, then its diff."""

    DEFAULT_CSS = """
    HunkView {
        border: round $panel; padding: 0 1; margin: 0 0 1 0; height: auto;
        width: auto; min-width: 100%; text-wrap: nowrap;
    }
    HunkView.-split { width: 100%; }
    HunkView.-current { border: round $accent; }
    HunkView.-accepted { border-title-color: $success; }
    HunkView.-rejected { border-title-color: $error; }
    """


class DiffReview(Vertical, can_focus=True):
    """Review a proposal. Keys: n/p hunk, ]/[ file, a/r hunk, A/R file, y/x all, c comment,
    e edit, t unified/side by side (only where each side gets SIDE_MIN columns), left/right
    scroll long lines, Enter submit, Escape cancel."""

    DEFAULT_CSS = """
    DiffReview { height: 1fr; }
    DiffReview > #review-files { height: auto; max-height: 7; border: none; }
    DiffReview > #review-hunks { height: 1fr; overflow-x: auto; }
    DiffReview > #review-status { height: 1; background: $panel; color: $text-muted; }
    """
    BINDINGS = [
        Binding("n,down", "move(1)", "Next hunk"),
        Binding("p,up", "move(-1)", "Prev hunk"),
        Binding("right_square_bracket", "move_file(1)", "Next file"),
        Binding("left_square_bracket", "move_file(-1)", "Prev file"),
        Binding("a", "decide('accepted')", "Accept"),
        Binding("r", "decide('rejected')", "Reject"),
        Binding("A", "decide_file('accepted')", "Accept file"),
        Binding("R", "decide_file('rejected')", "Reject file"),
        Binding("y", "decide_all('accepted')", "Accept all"),
        Binding("x", "decide_all('rejected')", "Reject all"),
        Binding("c", "comment", "Reject + comment"),
        Binding("e", "edit", "Edit hunk"),
        Binding("t", "toggle_mode", "Unified/split"),
        Binding("left,h", "scroll_code(-8)", "Scroll left"),
        Binding("right,l", "scroll_code(8)", "Scroll right"),
        Binding("enter", "submit", "Submit"),
        Binding("escape", "cancel", "Cancel"),
    ]

    mode: reactive[str] = reactive("unified")

    class Decided(Message):
        """The user submitted: `decision.accepted` hunks are to be applied."""

        def __init__(self, proposal: Proposal, decision: Decision) -> None:
            super().__init__()
            self.proposal = proposal
            self.decision = decision

    class Cancelled(Message):
        """The user closed the review without deciding; nothing is to be applied."""

    def __init__(self, proposal: Proposal, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.proposal = proposal
        self.states: dict[str, State] = dict.fromkeys(proposal.hunk_ids(), "pending")
        self.comments: dict[str, str] = {}
        self.edited: dict[str, str] = {}
        self.file_index = 0
        self.hunk_index = 0
        self.shown_mode = "unified"  # what is drawn: unified when split does not fit

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        files = OptionList(id="review-files")
        files.can_focus = False
        yield files
        yield VerticalScroll(id="review-hunks", can_focus=False)
        yield Static(id="review-status")

    async def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _: self.call_later(self._show_file))
        self._refresh_files()
        await self._show_file()
        self.focus()

    @property
    def current_file(self) -> PreparedFile:
        return self.proposal.files[self.file_index]

    @property
    def current_hunk(self) -> LocatedHunk:
        return self.current_file.located[self.hunk_index]

    def _file_label(self, pf: PreparedFile) -> Text:
        states = [self.states[i] for i in pf.hunk_ids]
        mark = "accepted" if all(s == "accepted" for s in states) else "pending"
        if all(s == "rejected" for s in states):
            mark = "rejected"
        glyph, style = MARKS[mark]
        label = Text.assemble((f"{glyph} ", style), safe_name(pf.change.label), " ")
        if mode := file_mode_text(pf):
            label.append(f"{mode} ", style="yellow")
        label.append(f"+{pf.change.added}", style="green")
        label.append(" ")
        label.append(f"-{pf.change.removed}", style="red")
        return label

    def _refresh_files(self) -> None:
        files = self.query_one("#review-files", OptionList)
        files.clear_options()
        files.add_options(Option(self._file_label(pf)) for pf in self.proposal.files)
        files.highlighted = self.file_index

    async def _show_file(self) -> None:
        """Render every hunk of the current file (one file at a time keeps big sets fast)."""
        pane = self.query_one("#review-hunks", VerticalScroll)
        await pane.remove_children()
        views = []
        self.shown_mode = self._fitting_mode()
        palette = palette_for(self.app.current_theme)  # the theme's diff colours
        for k, (lh, rows) in enumerate(file_hunk_rows(self.current_file, palette)):
            if self.shown_mode == "unified":
                body: Text | Table = render_unified(rows, palette=palette)
            else:
                body = render_split(rows, palette=palette)
            view = HunkView(body, id=f"hunk-{lh.hunk.id.replace('.', '-')}")
            view.set_class(self.shown_mode == "split", "-split")  # both sides fit the width
            self._title(view, lh)
            view.set_class(k == self.hunk_index, "-current")
            views.append(view)
        await pane.mount_all(views)
        self._focus_hunk()

    def _title(self, view: HunkView, lh: LocatedHunk) -> None:
        state = self.states[lh.hunk.id]
        extra = " (edited)" if lh.hunk.id in self.edited else ""
        view.border_title = f"{describe_hunk(lh)}{extra} · {state}"
        view.border_subtitle = self.comments.get(lh.hunk.id, "")
        view.set_class(state == "accepted", "-accepted")
        view.set_class(state == "rejected", "-rejected")

    def _views(self) -> list[HunkView]:
        return list(self.query_one("#review-hunks").query(HunkView))

    def _focus_hunk(self) -> None:
        views = self._views()
        for k, view in enumerate(views):
            view.set_class(k == self.hunk_index, "-current")
        if views:
            self.call_after_refresh(views[self.hunk_index].scroll_visible, animate=False)
        self._status()

    def _status(self) -> None:
        counts = {s: list(self.states.values()).count(s) for s in MARKS}
        pf = self.current_file
        text = (
            f" {safe_name(pf.change.label)}  hunk {self.hunk_index + 1}/{len(pf.located)}"
            f"  file {self.file_index + 1}/{len(self.proposal.files)}"
            f"  ✓{counts['accepted']} ✗{counts['rejected']} ·{counts['pending']}"
            f"  {self._mode_text()}  a/r hunk  A/R file  y/x all  e edit  c comment"
            "  Enter submit"
        )
        self.query_one("#review-status", Static).update(Text(text))

    def _redraw_titles(self) -> None:
        for view, lh in zip(self._views(), self.current_file.located, strict=False):
            self._title(view, lh)
        self._refresh_files()
        self._status()

    # --- navigation ----------------------------------------------------------------------

    async def action_move(self, step: int) -> None:
        nxt = self.hunk_index + step
        if 0 <= nxt < len(self.current_file.located):
            self.hunk_index = nxt
            self._focus_hunk()
        elif 0 <= self.file_index + step < len(self.proposal.files):
            await self._go_file(self.file_index + step, last=step < 0)

    async def action_move_file(self, step: int) -> None:
        target = self.file_index + step
        if 0 <= target < len(self.proposal.files):
            await self._go_file(target)

    async def _go_file(self, index: int, last: bool = False) -> None:
        self.file_index = index
        self.hunk_index = len(self.proposal.files[index].located) - 1 if last else 0
        self.query_one("#review-files", OptionList).highlighted = index
        await self._show_file()

    @on(OptionList.OptionSelected, "#review-files")
    async def _file_clicked(self, event: OptionList.OptionSelected) -> None:
        if event.option_index != self.file_index:
            await self._go_file(event.option_index)
        self.focus()

    async def watch_mode(self) -> None:
        if self.is_mounted:
            await self._show_file()

    def action_toggle_mode(self) -> None:
        self.mode = "split" if self.mode == "unified" else "unified"
        if self.mode == "split" and self._fitting_mode() == "unified":
            self.notify(self._too_narrow(), timeout=6)

    def split_width(self) -> int:
        """Columns the review needs for side by side: `SIDE_MIN` on each side."""
        return 2 * SIDE_MIN + SPLIT_CHROME

    def _fitting_mode(self) -> str:
        """The mode asked for, unless side by side would squeeze each side under SIDE_MIN."""
        if self.mode == "split" and self.size.width < self.split_width():
            return "unified"
        return self.mode

    def _too_narrow(self) -> str:
        zoom = " (z zooms it)" if hasattr(self.app, "action_toggle_zoom") else ""
        return (
            f"unified: side by side needs {self.split_width()} columns, this pane has"
            f" {self.size.width}{zoom}"
        )

    def _mode_text(self) -> str:
        if self.mode == "split" and self.shown_mode == "unified":  # short: 80 columns
            return f"[unified: side by side needs {self.split_width()} columns]"
        return f"[{self.shown_mode}]"

    async def on_resize(self) -> None:
        if self.is_mounted and self._fitting_mode() != self.shown_mode:
            await self._show_file()

    def action_scroll_code(self, columns: int) -> None:
        """Long lines scroll sideways instead of wrapping."""
        self.query_one("#review-hunks").scroll_relative(x=columns, animate=False)

    # --- decisions -----------------------------------------------------------------------

    def _set(self, ids: list[str], state: State) -> None:
        for hunk_id in ids:
            self.states[hunk_id] = state
            if state == "accepted":
                self.comments.pop(hunk_id, None)
        self._redraw_titles()

    async def action_decide(self, state: State) -> None:
        self._set([self.current_hunk.hunk.id], state)
        await self.action_move(1)

    async def action_decide_file(self, state: State) -> None:
        self._set(self.current_file.hunk_ids, state)
        await self.action_move_file(1)

    async def action_decide_all(self, state: State) -> None:
        self._set(list(self.states), state)

    def action_comment(self) -> None:
        hunk_id = self.current_hunk.hunk.id

        def done(text: str | None) -> None:
            if text:
                self.comments[hunk_id] = text
                self._set([hunk_id], "rejected")
                self.comments[hunk_id] = text
                self._redraw_titles()

        prompt = PromptScreen(f"Why reject hunk {hunk_id}? (sent back to the model)")
        self.app.push_screen(prompt, done)

    def decision(self) -> Decision:
        ids = self.proposal.hunk_ids()
        return Decision(
            accepted=[i for i in ids if self.states[i] == "accepted"],
            rejected=[i for i in ids if self.states[i] != "accepted"],
            comments=dict(self.comments),
            edited=dict(self.edited),
        )

    def action_submit(self) -> None:
        self.post_message(self.Decided(self.proposal, self.decision()))

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())

    # --- editing -------------------------------------------------------------------------

    async def action_edit(self) -> None:
        lh = self.current_hunk
        if self.current_file.change.kind != "update" or lh.match is None:
            self.notify("only line hunks of modified files can be edited", severity="warning")
            return
        original = lh.hunk.to_text(lh.match.index)
        edited = self._run_editor(EDIT_HELP + original)
        if edited is None or edited.strip() == (EDIT_HELP + original).strip():
            return
        try:
            proposal = self.proposal.with_edited_hunk(lh.hunk.id, edited)
        except (PatchRefused, BadInput) as exc:
            self.notify(f"edit not used: {exc.message}", severity="error", timeout=8)
            return
        self.proposal = proposal
        new = proposal.files[self.file_index].located[self.hunk_index]
        self.edited[lh.hunk.id] = new.hunk.to_text(new.match.index if new.match else None)
        self.states[lh.hunk.id] = "accepted"
        self._refresh_files()
        await self._show_file()

    def _run_editor(self, text: str) -> str | None:
        """Open `$VISUAL`/`$EDITOR` on the text, with the app suspended; None if it failed."""
        command = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
        with tempfile.TemporaryDirectory(prefix="rigtui-hunk-") as tmp:
            path = Path(tmp) / "hunk.diff"
            path.write_text(text)
            try:
                try:
                    with self.app.suspend():
                        code = subprocess.call([*command, str(path)])
                except SuspendNotSupported:  # no terminal to hand over (headless): just run it
                    code = subprocess.call([*command, str(path)], stdin=subprocess.DEVNULL)
            except OSError as exc:
                self.notify(f"editor {command[0]!r} cannot run: {exc}", severity="error")
                return None
            if code != 0:
                self.notify(f"editor exited with {code}: hunk unchanged", severity="warning")
                return None
            return path.read_text()

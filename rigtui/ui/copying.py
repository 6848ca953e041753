"""Copy over SSH: `Y` puts what the focused pane shows on the clipboard of the terminal the
user sits at (OSC 52, rigtui.ui.notify.Terminal.copy): the review's current hunk, the file
tree's path, the code view's selection (else its path), the thread's newest reply. The
palette also copies the newest reply and its last code block from anywhere. Mixed into the
app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rigtui import protocol as ev

if TYPE_CHECKING:
    from rigtui.ui.notify import Terminal


def code_blocks(markdown: str) -> list[str]:
    """The fenced and indented code blocks of a Markdown text, in order."""
    from markdown_it import MarkdownIt  # Rich's Markdown parser; loaded when first used

    tokens = MarkdownIt("commonmark").parse(markdown)
    return [t.content for t in tokens if t.type in ("fence", "code_block")]


def hunk_text(review: object) -> str:
    """The review's current hunk as a unified diff of its file."""
    from rigtui.ui.diff_review import DiffReview

    assert isinstance(review, DiffReview)
    lh, pf = review.current_hunk, review.current_file
    old = "/dev/null" if pf.change.kind == "add" else f"a/{pf.change.path}"
    new = "/dev/null" if pf.change.kind == "delete" else f"b/{pf.target}"
    header = f"--- {old}\n+++ {new}\n"
    return header + lh.hunk.to_text(lh.match.index if lh.match else None)


class CopyActions:
    terminal: Terminal

    async def action_copy(self) -> None:
        from rigtui.ui.code_view import CodeView
        from rigtui.ui.diff_review import DiffReview
        from rigtui.ui.file_tree import ProjectTree
        from rigtui.ui.thread_pane import ThreadList, ThreadView

        focused = self.focused  # type: ignore[attr-defined]
        root = self.root  # type: ignore[attr-defined]
        if isinstance(focused, DiffReview):
            self.terminal.copy(hunk_text(focused), "the hunk")
        elif isinstance(focused, ProjectTree) and focused.cursor_node is not None:
            path = focused.cursor_node.data.path if focused.cursor_node.data else root
            self.terminal.copy(path.relative_to(root).as_posix() or ".", "the path")
        elif isinstance(focused, CodeView) and focused.selected_text:
            self.terminal.copy(focused.selected_text, "the selection")
        elif isinstance(focused, CodeView) and focused.path is not None:
            self.terminal.copy(focused.path.relative_to(root).as_posix(), "the path")
        elif isinstance(focused, ThreadView | ThreadList):
            await self.action_copy_reply()
        else:
            self.notify(  # type: ignore[attr-defined]
                "Y copies the focused hunk, path, selection or reply; ctrl+p → Copy for more"
            )

    async def _last_reply(self) -> str:
        thread = self.current_thread  # type: ignore[attr-defined]
        if thread is None:
            return ""
        history = await self.session_required().history(thread.id)  # type: ignore[attr-defined]
        replies = [e.text for e in history if isinstance(e, ev.AssistantMessage) and e.text]
        return replies[-1] if replies else ""

    async def action_copy_reply(self) -> None:
        self.terminal.copy(await self._last_reply(), "the newest reply")

    async def action_copy_code_block(self) -> None:
        blocks = code_blocks(await self._last_reply())
        self.terminal.copy(blocks[-1] if blocks else "", "the newest reply's last code block")

"""File names with a newline, an escape sequence or markup brackets, as the workbench shows
them: the file tree, the code view's title, the diff review's file list, titles and lines, the
thread's event lines and the thread list. Escaped, whole, never markup, never a raw ESC."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import OptionList, Static

from rigtui.config import Settings
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from rigtui.protocol import (
    CommandApprovalRequested,
    PatchApplied,
    PatchProposed,
    PatchUndone,
    TaskEnded,
)
from rigtui.store import Thread
from rigtui.ui.code_view import CodeView
from rigtui.ui.diff_review import DiffReview, HunkView
from rigtui.ui.event_render import event_text, summarise_arguments
from rigtui.ui.file_tree import ProjectTree
from rigtui.ui.status_bar import StatusBar
from rigtui.ui.thread_pane import ThreadList
from tests.support.pilot import settle_until

NAMES = ["a\nb.txt", "\x1b[31mred.txt", "[b]bold.txt"]
SHOWN = ["a\\nb.txt", "\\x1b[31mred.txt", "[b]bold.txt"]

PATCH = """*** Begin Patch
*** Add File: a
b.txt
+x
*** End Patch
"""


def screen_text(app: App[None]) -> str:
    """Every character the terminal is sent for the screen (styles aside)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


class TreeHost(App[None]):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def compose(self) -> ComposeResult:
        yield ProjectTree(self.root)
        yield CodeView()


async def test_the_file_tree_and_code_view_show_names_escaped(tmp_path: Path) -> None:
    for name in NAMES:
        (tmp_path / name).write_text("text\n")
    app = TreeHost(tmp_path)
    async with app.run_test(size=(80, 20)) as pilot:
        tree = app.query_one(ProjectTree)
        await settle_until(pilot, lambda: len(tree.root.children) == len(NAMES))
        labels = sorted(str(node.label) for node in tree.root.children)
        assert labels == sorted(SHOWN)
        code = app.query_one(CodeView)
        code.show_file(tmp_path / NAMES[1])
        await pilot.pause()
        assert str(code.border_title) == SHOWN[1]
        assert "\x1b" not in screen_text(app)


class ReviewHost(App[None]):
    def __init__(self, review: DiffReview) -> None:
        super().__init__()
        self.review = review

    def compose(self) -> ComposeResult:
        yield self.review


async def test_the_diff_review_shows_names_and_text_escaped(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("base\n")
    text = (
        "*** Begin Patch\n"
        "*** Add File: \x1b[31mred.txt\n"
        "+red \x1b[2J\n"
        "*** Update File: keep.txt\n"
        "@@\n"
        " base\n"
        "+more\n"
        "*** End Patch\n"
    )
    proposal = prepare(tmp_path, parse_patch(text))
    app = ReviewHost(DiffReview(proposal))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        files = app.query_one("#review-files", OptionList)
        prompts = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        assert prompts == ["· \\x1b[31mred.txt +1 -0", "· keep.txt +1 -0"]
        status = str(app.query_one("#review-status", Static).render())
        assert status.startswith(" \\x1b[31mred.txt  hunk 1/1")
        (hunk,) = app.query(HunkView)
        assert "red \\x1b[2J" in str(hunk.render())
        assert "\x1b" not in screen_text(app)


def test_event_lines_show_names_escaped() -> None:
    shown = ", ".join(SHOWN)
    applied = event_text(PatchApplied(change_set_id="c", paths=NAMES, accepted=["1.1"]))
    assert applied is not None and applied.plain == f"◆ applied to {shown} (ctrl+z undoes)"
    undone = event_text(PatchUndone(change_set_id="c", paths=NAMES))
    assert undone is not None and undone.plain == f"◆ undone: {shown}"
    files = [{"path": NAMES[0], "added": 1, "removed": 0}]
    proposed = event_text(PatchProposed(change_set_id="c", files=files))
    assert proposed is not None and proposed.plain == "◆ change set proposed: a\\nb.txt +1 -0"
    ended = event_text(TaskEnded(task_id="k", outcome="done", changed_files=NAMES))
    assert ended is not None and ended.plain.endswith(f"changed: {shown}")
    command = "rm -rf \x1b[8m/\x1b[0m tmp"  # concealed text must not hide from the approver
    asked = event_text(
        CommandApprovalRequested(request_id="r", command=command, cwd="/p")  # type: ignore[call-arg]
    )
    assert asked is not None and asked.plain == "? asks to run: rm -rf \\x1b[8m/\\x1b[0m tmp"
    assert summarise_arguments('{"path": "a\\nb.txt"}') == "a\\nb.txt"
    assert summarise_arguments('{"patch": ' + repr(PATCH).replace("'", '"') + "}") == "a"


async def test_the_thread_list_shows_titles_escaped_and_never_as_markup() -> None:
    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield ThreadList()

    threads = [
        Thread("t1", "p", "fix \x1b[2Jthe\nparser", 1.0, 1.0),
        Thread("t2", "p", "[b]not bold[/b]", 1.0, 1.0),
    ]
    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        thread_list = app.query_one(ThreadList)
        thread_list.set_threads(threads, "t1", {"t2"})
        await pilot.pause()
        prompts = [str(thread_list.get_option_at_index(i).prompt) for i in range(2)]
        assert prompts == ["fix \\x1b[2Jthe\\nparser", "● [b]not bold[/b]"]


async def test_the_status_bar_shows_the_project_and_thread_never_as_markup() -> None:
    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield StatusBar(Settings(), "[/]proj\x1b[2J", id="status")

    app = Host()
    async with app.run_test(size=(160, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.show(thread="[b]fix[/b] it\nnow")
        await pilot.pause()
        text = screen_text(app)
        assert "[/]proj\\x1b[2J │ [b]fix[/b] it\\nnow │" in text
        assert "\x1b" not in text

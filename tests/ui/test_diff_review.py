"""The review widget driven with Pilot: decisions per hunk, file and all; comments; edits through
a real `$EDITOR` process; unified/side-by-side; the decision applied to real files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual import on
from textual.app import App, ComposeResult

from rigtui.edits.engine import apply_proposal
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare
from rigtui.ui.diff_review import DiffReview, HunkView
from rigtui.ui.review_app import ReviewApp

PATCH = """*** Begin Patch
*** Update File: a.py
@@ def f():
-    return 1
+    return 2
@@ def g():
-    return 'x'
+    return 'xy'
*** Add File: b.md
+# hi
*** Update File: c.txt
@@
-c
+C
*** End Patch
"""


@pytest.fixture
def proposal(tmp_path: Path) -> Proposal:
    (tmp_path / "a.py").write_text("def f():\n    return 1\n\n\ndef g():\n    return 'x'\n")
    (tmp_path / "c.txt").write_text("c\n")
    return prepare(tmp_path, parse_patch(PATCH))


class Host(App[None]):
    """Embeds the widget the way the main app's diff pane does, recording what it posts."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__()
        self.proposal = proposal
        self.posted: list[DiffReview.Decided | DiffReview.Cancelled] = []

    def compose(self) -> ComposeResult:
        yield DiffReview(self.proposal)

    @on(DiffReview.Decided)
    @on(DiffReview.Cancelled)
    def _record(self, event: DiffReview.Decided | DiffReview.Cancelled) -> None:
        self.posted.append(event)


async def _decided(app: Host) -> DiffReview.Decided:
    [event] = app.posted
    assert isinstance(event, DiffReview.Decided)
    return event


async def test_hunk_keys_decide_and_move_across_files(proposal: Proposal) -> None:
    app = Host(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        review = app.query_one(DiffReview)
        await pilot.press("a")  # accept 1.1, move to 1.2
        assert review.hunk_index == 1
        await pilot.press("r")  # reject 1.2, move on to the next file
        assert review.file_index == 1
        await pilot.press("a", "p", "p")
        assert (review.file_index, review.hunk_index) == (0, 1)
        await pilot.press("enter")
        await pilot.pause()
    decided = await _decided(app)
    assert decided.decision.accepted == ["1.1", "2.1"]
    assert decided.decision.rejected == ["1.2", "3.1"], "undecided hunks count as rejected"


async def test_file_and_all_keys(proposal: Proposal) -> None:
    app = Host(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("A")  # whole first file, then on to file 2
        await pilot.press("R", "enter")
        await pilot.pause()
        assert (await _decided(app)).decision.accepted == ["1.1", "1.2"]
        app.posted.clear()
        await pilot.press("y", "enter")
        await pilot.pause()
        assert (await _decided(app)).decision.accepted == ["1.1", "1.2", "2.1", "3.1"]
        app.posted.clear()
        await pilot.press("x", "enter")
        await pilot.pause()
        assert (await _decided(app)).decision.accepted == []


async def test_file_list_shows_counts_and_marks(proposal: Proposal) -> None:
    app = Host(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        from textual.widgets import OptionList

        files = app.query_one("#review-files", OptionList)
        labels = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        assert labels == ["· a.py +2 -2", "· b.md +1 -0", "· c.txt +1 -1"]
        await pilot.press("A")
        first = str(files.get_option_at_index(0).prompt)
        assert first.startswith("✓ a.py")


async def test_comment_rejects_with_the_text(proposal: Proposal) -> None:
    app = Host(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"use a constant")
        await pilot.press("enter")
        await pilot.pause()
        view = app.query(HunkView).first()
        assert view.border_subtitle == "use a constant"
        await pilot.press("enter")
        await pilot.pause()
    decision = (await _decided(app)).decision
    assert decision.comments == {"1.1": "use a constant"}
    assert "1.1" in decision.rejected


async def test_toggle_between_unified_and_side_by_side(proposal: Proposal) -> None:
    from rich.table import Table
    from rich.text import Text

    app = Host(proposal)
    async with app.run_test(size=(160, 24)) as pilot:  # 60 columns a side (test_widths: less)
        view = app.query(HunkView).first()
        assert isinstance(view.renderable if hasattr(view, "renderable") else view.content, Text)
        await pilot.press("t")
        await pilot.pause()
        view = app.query(HunkView).first()
        assert isinstance(view.renderable if hasattr(view, "renderable") else view.content, Table)
        assert app.query_one(DiffReview).mode == "split"


def _editor(tmp_path: Path, replace: str, by: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        f"p.write_text(p.read_text().replace({replace!r}, {by!r}))\n"
    )
    return f"{sys.executable} {script}"


async def test_edit_hunk_in_editor_then_apply(
    proposal: Proposal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "+    return 2", "+    return 42"))
    app = Host(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    decided = await _decided(app)
    assert decided.decision.accepted == ["1.1"], "an edited hunk is accepted"
    assert "+    return 42" in decided.decision.edited["1.1"]
    apply_proposal(decided.proposal, set(decided.decision.accepted))
    assert (
        tmp_path / "a.py"
    ).read_text() == "def f():\n    return 42\n\n\ndef g():\n    return 'x'\n"


async def test_edit_that_no_longer_matches_is_refused(
    proposal: Proposal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "-    return 1", "-    return 999"))
    app = Host(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        review = app.query_one(DiffReview)
        assert review.proposal is proposal, "the failed edit left the proposal as it was"
        assert review.states["1.1"] == "pending"
        assert any("edit not used" in n.message for n in app._notifications)


async def test_escape_cancels(proposal: Proposal) -> None:
    app = Host(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert [type(e) for e in app.posted] == [DiffReview.Cancelled]


async def test_review_app_returns_the_decision(proposal: Proposal, tmp_path: Path) -> None:
    app = ReviewApp(proposal)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", "r", "a", "a", "enter")
        await pilot.pause()
    assert app.return_value is not None
    final, decision = app.return_value
    assert decision.accepted == ["1.1", "2.1", "3.1"]
    apply_proposal(final, set(decision.accepted))
    assert "return 2" in (tmp_path / "a.py").read_text()
    assert "return 'x'" in (tmp_path / "a.py").read_text()
    assert (tmp_path / "b.md").read_text() == "# hi\n"

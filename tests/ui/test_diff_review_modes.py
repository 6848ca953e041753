"""A git mode change in the review: its own hunk, titled with the modes, listed with the file,
accepted or rejected apart from the file's lines, and applied to a real file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from textual.widgets import OptionList

from rigtui.edits.engine import apply_proposal
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare
from rigtui.ui.diff_review import DiffReview, HunkView
from rigtui.ui.review_app import ReviewApp

PATCH = (
    "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
    "--- a/run.sh\n+++ b/run.sh\n@@ -1,2 +1,2 @@\n #!/bin/sh\n-echo a\n+echo b\n"
    "diff --git a/tool.sh b/tool.sh\nold mode 100644\nnew mode 100755\n"
)


@pytest.fixture
def proposal(tmp_path: Path) -> Proposal:
    for name in ("run.sh", "tool.sh"):
        (tmp_path / name).write_text("#!/bin/sh\necho a\n")
        (tmp_path / name).chmod(0o644)
    return prepare(tmp_path, parse_patch(PATCH))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_mode_hunk_is_shown_and_decided_on_its_own(
    proposal: Proposal, tmp_path: Path
) -> None:
    app = ReviewApp(proposal)
    async with app.run_test(size=(90, 24)) as pilot:
        files = app.query_one("#review-files", OptionList)
        labels = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        assert labels == [
            "· run.sh mode 100644 → 100755 +1 -1",
            "· tool.sh mode 100644 → 100755 +0 -0",
        ]
        first, second = app.query(HunkView)
        assert first.border_title == "hunk 1.1: mode 100644 → 100755 · pending"
        assert "mode 100755 (executable)" in str(first.render())
        assert second.border_title.startswith("hunk 1.2 at line 1")
        await pilot.press("r", "a")  # keep run.sh's mode, take its new line
        await pilot.press("a")  # make tool.sh executable
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_value is not None
    final, decision = app.return_value
    assert decision.accepted == ["1.2", "2.1"] and decision.rejected == ["1.1"]
    apply_proposal(final, set(decision.accepted))
    assert (tmp_path / "run.sh").read_text() == "#!/bin/sh\necho b\n"
    assert _mode(tmp_path / "run.sh") == 0o644
    assert _mode(tmp_path / "tool.sh") == 0o755


async def test_a_mode_hunk_is_not_opened_in_the_editor(
    proposal: Proposal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", "false")  # an editor that would fail if it were run
    app = ReviewApp(proposal)
    async with app.run_test(size=(90, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        review = app.query_one(DiffReview)
        assert review.proposal is proposal and review.states["1.1"] == "pending"
        assert [n.message for n in app._notifications] == [
            "only line hunks of modified files can be edited"
        ]

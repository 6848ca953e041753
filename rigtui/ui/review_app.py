"""A small standalone app around `DiffReview`, used by `rigtui apply PATCH` without `--yes`."""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header

from rigtui.edits.prepare import Proposal
from rigtui.protocol import Decision
from rigtui.ui.diff_review import DiffReview

Outcome = tuple[Proposal, Decision] | None


class ReviewApp(App[Outcome]):
    """Exits with (proposal, decision) when the user submits (the proposal with the edited
    hunks in it, the decision naming them), None when they cancel."""

    TITLE = "rigtui · review patch"

    def __init__(self, proposal: Proposal) -> None:
        super().__init__()
        self.proposal = proposal
        self.sub_title = f"change set {proposal.id} · {len(proposal.hunk_ids())} hunks"

    def compose(self) -> ComposeResult:
        yield Header()
        yield DiffReview(self.proposal, id="review")
        yield Footer()

    @on(DiffReview.Decided)
    def _decided(self, event: DiffReview.Decided) -> None:
        self.exit((event.proposal, event.decision))

    @on(DiffReview.Cancelled)
    def _cancelled(self) -> None:
        self.exit(None)


async def review(proposal: Proposal) -> Outcome:
    """Run the review in the terminal; returns what the user decided."""
    return await ReviewApp(proposal).run_async()

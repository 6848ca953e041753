"""The diff pane's review: one change set at a time, shown from the session's open review
request (its proposal), decided with a `DecidePatch` op. The model's change sets, a patch
file's and one an earlier run left pending are reviewed the same way; the session applies
them. When the files changed meanwhile but a person's change set still fits, the pane asks
whether to re-base it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.containers import Vertical
from textual.message import Message

from rigtui import protocol as ev

if TYPE_CHECKING:
    from rigtui.session import Session
    from rigtui.ui.diff_review import DiffReview


KEYS_HINT = "a/r hunk · A/R file · y/x all · e edit · c comment · Enter submit"


class ReviewPane(Vertical):
    class Opened(Message):
        """A review is showing: the pane's title."""

        def __init__(self, title: str, subtitle: str) -> None:
            super().__init__()
            self.title, self.subtitle = title, subtitle

    class Closed(Message):
        """No review is showing any more (`note`: what to tell the user)."""

        def __init__(self, note: str = "") -> None:
            super().__init__()
            self.note = note

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.session: Session | None = None  # given once the session is open
        self.change_set_id = ""  # the change set shown
        self.thread_id = ""  # its thread
        self.origin = ""

    def show(self, change_set_id: str) -> bool:
        """Show the change set's open review; False when none is open (decided, auto-applied)."""
        request = self.session.review_request(change_set_id) if self.session else None
        if request is None or request.proposal is None or request.rebase_offered:
            return False
        from rigtui.ui.diff_review import DiffReview  # the renderer: when a review opens

        self.remove_children()
        review = DiffReview(request.proposal, id="diff-review")
        self.mount(review)
        self.change_set_id, self.thread_id = change_set_id, request.thread_id
        self.origin = request.origin
        hunks = len(request.proposal.hunk_ids())
        self.post_message(self.Opened(f"Review change set · {hunks} hunk(s)", KEYS_HINT))
        self.call_after_refresh(review.focus)
        return True

    def show_latest(self, thread_id: str) -> bool:
        """The newest review waiting (in the thread, else anywhere)."""
        if self.session is None:
            return False
        waiting = [r for r in self.session.review_requests() if not r.rebase_offered]
        mine = [r for r in waiting if r.thread_id == thread_id] or waiting
        return bool(mine) and self.show(mine[-1].key)

    def close(self, change_set_id: str, note: str = "") -> None:
        if change_set_id and change_set_id == self.change_set_id:
            self.remove_children()
            self.change_set_id = self.thread_id = ""
            self.post_message(self.Closed(note))

    def withdraw(self, thread_id: str) -> None:
        """A cancelled task answers nothing: its review closes (a person's own stays)."""
        if self.change_set_id and self.origin == "model" and self.thread_id == thread_id:
            self.close(self.change_set_id)

    def on_diff_review_decided(self, message: DiffReview.Decided) -> None:
        message.stop()
        cs_id = self.change_set_id or message.proposal.id
        self.send(ev.DecidePatch(self.thread_id, cs_id, message.decision))
        self.close(cs_id)

    def on_diff_review_cancelled(self, message: DiffReview.Cancelled) -> None:
        message.stop()
        self.remove_children()
        self.change_set_id = ""
        self.post_message(
            self.Closed("the change set is still waiting: ctrl+p → Review pending change set")
        )

    @work(group="decide")
    async def send(self, op: ev.DecidePatch) -> None:
        if self.session is not None:
            await self.session.send(op)

    @work(group="rebase", exclusive=True)
    async def offer_rebase(self, refused: ev.PatchRefused) -> None:
        """A person's change set met files changed since it was read, and still fits them."""
        session = self.session
        request = session.review_request(refused.change_set_id) if session else None
        if session is None or request is None or not request.rebase_offered:
            return  # the model's: offered again for a second review by the session
        question = (
            f"{', '.join(refused.conflict_paths)} changed since the patch was read, but its"
            " hunks still match the new content. Re-base them and apply?"
        )
        from rigtui.ui.modals import ConfirmScreen  # loaded on use

        yes = bool(await self.app.push_screen_wait(ConfirmScreen(question)))
        if not yes:
            self.app.notify("nothing was applied")
        answer = ev.Decision(rebase=True) if yes else ev.Decision(pending=True)  # the same hunks
        await session.send(ev.DecidePatch(refused.thread_id, refused.change_set_id, answer))

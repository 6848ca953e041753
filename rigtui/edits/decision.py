"""The user's decision on a change set (accepted and rejected hunks, comments, edits) and the
approval policy that decides for them when set to `auto-apply`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rigtui.config import Settings, load_settings
from rigtui.edits.events import PatchDecided, PatchProposed
from rigtui.edits.prepare import Proposal, file_mode_text

REVIEW, AUTO_APPLY = "review", "auto-apply"


@dataclass
class Decision:
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)  # hunk id -> comment
    edited: dict[str, str] = field(default_factory=dict)  # hunk id -> edited hunk text

    @classmethod
    def accept_all(cls, proposal: Proposal) -> Decision:
        return cls(accepted=proposal.hunk_ids())

    def event(
        self, change_set_id: str, *, thread_id: str = "", policy: str = REVIEW
    ) -> PatchDecided:
        return PatchDecided(
            thread_id=thread_id,
            change_set_id=change_set_id,
            accepted=list(self.accepted),
            rejected=list(self.rejected),
            comments=dict(self.comments),
            edited=dict(self.edited),
            policy=policy,
        )


def proposed_event(proposal: Proposal, *, thread_id: str = "") -> PatchProposed:
    files = [
        {
            "path": pf.source,
            "kind": pf.change.kind,
            "move_to": pf.change.move_to,
            "added": pf.change.added,
            "removed": pf.change.removed,
            "mode": file_mode_text(pf),  # "" unless the file's mode is set or changed
            "hunks": pf.hunk_ids,
        }
        for pf in proposal.files
    ]
    return PatchProposed(
        thread_id=thread_id,
        change_set_id=proposal.id,
        files=files,
        patch=proposal.change_set.source,
    )


def patch_policy(root: Path | None = None, settings: Settings | None = None) -> str:
    """`review` (every change set waits for the user) or `auto-apply` (still journaled)."""
    settings = settings or load_settings(root)
    return settings.approval.patches

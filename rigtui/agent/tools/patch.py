"""`apply_patch`: the model proposes a change set; nothing touches disk until the review
(the user, or the `auto-apply` policy) accepts hunks, and then the session writes them. The
result tells the model which hunks were applied, which were rejected and the user's comments."""

from __future__ import annotations

import asyncio

from rigtui.agent.tools.base import ChangeWriter, Tool, ToolContext, ToolError, ToolOutput, obj
from rigtui.edits.errors import PatchRefused
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import Proposal, prepare
from rigtui.errors import RigtuiError
from rigtui.protocol import Decision


async def apply_patch(ctx: ToolContext, args: dict[str, object]) -> ToolOutput:
    text = args.get("patch") or args.get("input")
    if not isinstance(text, str) or not text.strip():
        raise ToolError("patch must be the patch text (*** Begin Patch ... or a unified diff)")
    return await propose_patch_text(ctx, text)


async def propose_patch_text(ctx: ToolContext, text: str) -> ToolOutput:
    """Parse and prepare a patch, then review it and apply what the review accepts."""
    return await review_proposal(ctx, await prepare_patch_text(ctx, text))


async def prepare_patch_text(ctx: ToolContext, text: str) -> Proposal:
    """The patch parsed and matched against the project (nothing written); ToolError when it
    is malformed, does not fit, or nothing may write here."""
    if ctx.changes is None:
        raise ToolError("patches cannot be applied here; describe the change instead")
    try:
        return await asyncio.to_thread(lambda: prepare(ctx.root, parse_patch(text)))
    except RigtuiError as exc:
        raise ToolError(f"the patch was refused, nothing changed: {exc}") from exc


async def review_proposal(
    ctx: ToolContext, proposal: Proposal, *, person: bool = False
) -> ToolOutput:
    """Review a prepared change set and apply what the review accepts (also how a command's
    captured writes reach the project). `person`: a person decides even under auto-apply."""
    if ctx.changes is None:
        raise ToolError("patches cannot be applied here; describe the change instead")
    return await _review_and_apply(ctx, ctx.changes, proposal, rebase_offers=1, person=person)


async def _review_and_apply(
    ctx: ToolContext,
    changes: ChangeWriter,
    proposal: Proposal,
    rebase_offers: int,
    *,
    person: bool = False,
) -> ToolOutput:
    try:  # emits PatchProposed, waits for the review, emits PatchDecided
        proposal, decision = await changes.review(proposal, thread_id=ctx.thread_id, person=person)
    except RigtuiError as exc:  # the user's edit of a hunk does not fit
        raise ToolError(f"the change set was not applied: {exc}") from exc
    if decision.pending:
        return ToolOutput(
            f"change set {proposal.id} is proposed and left pending for the user's review;"
            " it is NOT applied. Do not assume its changes are on disk.",
            f"change set {proposal.id} pending review",
        )
    if not decision.accepted:
        return ToolOutput(_report(proposal.id, [], decision), f"change set {proposal.id} rejected")
    try:
        result = await changes.apply(proposal, decision, thread_id=ctx.thread_id)
    except PatchRefused as exc:  # recorded in the thread as PatchRefused
        rebased = getattr(exc, "rebased", None)
        if rebased is not None and rebase_offers > 0:
            # The files changed since the review, but every hunk still matches the new content:
            # offer the re-based change set for review (never written without a yes).
            return await _review_and_apply(ctx, changes, rebased, rebase_offers - 1, person=person)
        raise ToolError(f"the change set could not be applied, nothing changed: {exc}") from exc
    ctx.record.add_files(result.paths)
    ctx.record.change_sets.append(result.change_set_id)
    return ToolOutput(
        _report(proposal.id, result.accepted, decision, result.rejected),
        f"applied change set {proposal.id} to {', '.join(result.paths)}",
    )


def _report(
    cs_id: str, accepted: list[str], decision: Decision, rejected: list[str] | None = None
) -> str:
    rejected = decision.rejected if rejected is None else rejected
    lines = [f"change set {cs_id}:"]
    lines.append(f"applied hunks: {', '.join(accepted) or 'none'}")
    if rejected:
        lines.append(f"rejected hunks: {', '.join(rejected)}")
    for hunk_id, comment in decision.comments.items():
        lines.append(f"user comment on {hunk_id}: {comment}")
    if decision.edited:
        lines.append(
            f"the user edited hunks {', '.join(decision.edited)} before applying; re-read those"
            " files"
        )
    if decision.comment:
        lines.append(f"user comment: {decision.comment}")
    return "\n".join(lines)


TOOLS = [
    Tool(
        "apply_patch",
        "Propose edits as a patch; the user reviews it hunk by hunk before anything is written."
        " Format:\n*** Begin Patch\n*** Update File: path\n@@ optional anchor line\n context\n"
        "-old line\n+new line\n*** Add File: path\n+content\n*** Delete File: path\n*** End Patch\n"
        "A unified diff is accepted too. The result says which hunks were applied or rejected.",
        obj({"patch": {"type": "string"}}, ["patch"]),
        apply_patch,
    )
]

"""`apply_patch`: the model proposes a change set; nothing touches disk until the review
(the user, or the `auto-apply` policy) accepts hunks. The result tells the model which hunks
were applied, which were rejected and the user's comments."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from rigtui.agent.tools.base import PatchDecision, Tool, ToolContext, ToolError, ToolOutput, obj
from rigtui.errors import RigtuiError


def _edits() -> Any:
    try:
        from rigtui.edits import decision, engine, errors, events, parse, prepare
    except ImportError as exc:
        raise ToolError(
            f"patches cannot be applied in this build ({exc}); describe the change instead"
        ) from exc
    return decision, engine, errors, events, parse, prepare


async def apply_patch(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    text = args.get("patch") or args.get("input")
    if not isinstance(text, str) or not text.strip():
        raise ToolError("patch must be the patch text (*** Begin Patch ... or a unified diff)")
    return await propose_patch_text(ctx, text)


async def propose_patch_text(ctx: ToolContext, text: str) -> ToolOutput:
    """Parse and prepare a patch, then review it and apply what the review accepts (also how
    a read-only sandbox's captured writes reach the project)."""
    _, _, _, _, parse, prepare = _edits()
    try:
        proposal = await asyncio.to_thread(
            lambda: prepare.prepare(ctx.root, parse.parse_patch(text))
        )
    except RigtuiError as exc:
        raise ToolError(f"the patch was refused, nothing changed: {exc}") from exc
    return await _review_and_apply(ctx, proposal, rebase_offers=1)


async def _review_and_apply(ctx: ToolContext, proposal: Any, rebase_offers: int) -> ToolOutput:
    decision_mod, engine, errors, events, _, _ = _edits()
    choice = await ctx.ask_patch(proposal)  # emits PatchProposed, then waits for the review
    if choice.pending:
        return ToolOutput(
            f"change set {proposal.id} is proposed and left pending for the user's review;"
            " it is NOT applied. Do not assume its changes are on disk.",
            f"change set {proposal.id} pending review",
        )
    proposal = _with_edits(proposal, choice, errors)
    accepted = proposal.hunk_ids() if choice.accepted is None else list(choice.accepted)
    rejected = [h for h in proposal.hunk_ids() if h not in accepted]
    decided = decision_mod.Decision(accepted, rejected, dict(choice.comments), dict(choice.edited))
    await ctx.emit(decided.event(proposal.id, thread_id=ctx.thread_id, policy=choice.policy))
    if not accepted:
        return ToolOutput(
            _report(proposal.id, [], rejected, choice), f"change set {proposal.id} rejected"
        )
    apply = asyncio.ensure_future(
        asyncio.to_thread(engine.apply_proposal, proposal, set(accepted), thread_id=ctx.thread_id)
    )
    try:
        # Shielded: once the write has started it finishes and is recorded, even when the
        # task is cancelled meanwhile, so the thread's log never misses a change on disk.
        result = await asyncio.shield(apply)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            result = await apply
            await _applied(ctx, events, result)
        raise
    except errors.PatchRefused as exc:
        rebased = getattr(exc, "rebased", None)
        await ctx.emit(
            events.PatchRefused(
                thread_id=ctx.thread_id,
                change_set_id=proposal.id,
                message=exc.message,
                fix=exc.fix or "",
                conflict_paths=list(getattr(exc, "paths", [])),
                can_rebase=rebased is not None,
            )
        )
        if rebased is not None and rebase_offers > 0:
            # The files changed since the review, but every hunk still matches the new content:
            # offer the re-based change set for review (never written without a yes).
            return await _review_and_apply(ctx, rebased, rebase_offers - 1)
        raise ToolError(f"the change set could not be applied, nothing changed: {exc}") from exc
    await _applied(ctx, events, result)
    return ToolOutput(
        _report(proposal.id, result.accepted, result.rejected, choice),
        f"applied change set {proposal.id} to {', '.join(result.paths)}",
    )


async def _applied(ctx: ToolContext, events: Any, result: Any) -> None:
    await ctx.emit(
        events.PatchApplied(
            thread_id=ctx.thread_id,
            change_set_id=result.change_set_id,
            paths=result.paths,
            accepted=result.accepted,
            rejected=result.rejected,
            rebased=result.rebased,
        )
    )
    ctx.record.add_files(result.paths)
    ctx.record.change_sets.append(result.change_set_id)
    if ctx.services is not None:
        ctx.services.files_changed(result.change_set_id, result.paths)


def _with_edits(proposal: Any, choice: PatchDecision, errors: Any) -> Any:
    for hunk_id, hunk_text in choice.edited.items():
        try:
            proposal = proposal.with_edited_hunk(hunk_id, hunk_text)
        except RigtuiError as exc:
            raise ToolError(f"the user's edit of hunk {hunk_id} does not fit: {exc}") from exc
    return proposal


def _report(cs_id: str, accepted: list[str], rejected: list[str], choice: PatchDecision) -> str:
    lines = [f"change set {cs_id}:"]
    lines.append(f"applied hunks: {', '.join(accepted) or 'none'}")
    if rejected:
        lines.append(f"rejected hunks: {', '.join(rejected)}")
    for hunk_id, comment in choice.comments.items():
        lines.append(f"user comment on {hunk_id}: {comment}")
    if choice.edited:
        lines.append(
            f"the user edited hunks {', '.join(choice.edited)} before applying; re-read those files"
        )
    if choice.comment:
        lines.append(f"user comment: {choice.comment}")
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

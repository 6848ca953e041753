"""`update_plan`: the task's steps and their status, shown live as a checklist."""

from __future__ import annotations

from typing import Any

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, obj
from rigtui.protocol import PlanUpdated

STATUSES = ("pending", "in_progress", "completed")


def _steps(args: dict[str, Any]) -> list[dict[str, str]]:
    raw = args.get("plan", args.get("steps"))
    if not isinstance(raw, list) or not raw:
        raise ToolError("plan must be a non-empty list of {step, status}")
    steps = []
    for i, item in enumerate(raw, start=1):
        if isinstance(item, str):
            item = {"step": item, "status": "pending"}
        if not isinstance(item, dict) or not isinstance(item.get("step"), str):
            raise ToolError(f"plan item {i} needs a 'step' string")
        status = item.get("status", "pending")
        if status not in STATUSES:
            raise ToolError(f"plan item {i}: status must be one of {', '.join(STATUSES)}")
        steps.append({"step": item["step"], "status": status})
    if sum(s["status"] == "in_progress" for s in steps) > 1:
        raise ToolError("at most one step can be in_progress")
    return steps


async def update_plan(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    steps = _steps(args)
    explanation = args.get("explanation") or ""
    await ctx.emit(
        PlanUpdated(
            thread_id=ctx.thread_id, task_id=ctx.task_id, steps=steps, explanation=str(explanation)
        )
    )
    done = sum(s["status"] == "completed" for s in steps)
    return ToolOutput("plan updated", f"plan: {done}/{len(steps)} steps done")


TOOLS = [
    Tool(
        "update_plan",
        "Set the task's plan: the whole list of steps, each with status pending, in_progress"
        " (at most one) or completed. Call it when you start and as steps finish.",
        obj(
            {
                "explanation": {"type": "string"},
                "plan": {
                    "type": "array",
                    "items": obj(
                        {
                            "step": {"type": "string"},
                            "status": {"type": "string", "enum": list(STATUSES)},
                        },
                        ["step", "status"],
                    ),
                },
            },
            ["plan"],
        ),
        update_plan,
    )
]

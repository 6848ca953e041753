"""How each stored thread event looks in the thread pane: plain functions from events to
Rich text, so they are testable without a terminal and cheap to render."""

from __future__ import annotations

import json

from rich.text import Text

from rigtui import events as ev

# Events that only change state shown elsewhere (status bar, plan view) or stream live.
SILENT = frozenset(
    {
        "ThreadCreated", "MessageStarted", "MessageDelta", "UsageUpdated", "ToolCallDelta",
        "TaskStarted", "CommandDecided", "ModelChanged", "PlanUpdated", "ThreadDeleted",
        "IndexProgress", "IndexReady", "IndexUpdated", "CheckQueued", "CheckStarted",
        "CheckOutput",
    }
)  # fmt: skip

ARG_KEYS = ("path", "paths", "pattern", "query", "name", "command", "glob", "symbol")


def summarise_arguments(raw: str, width: int = 60) -> str:
    """The one argument a reader wants to see (a path, a command), else the JSON, cut short."""
    try:
        args = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        args = None
    if isinstance(args, dict):
        patch = args.get("patch") or args.get("input")
        if isinstance(patch, str):  # apply_patch: the files it touches
            files = [ln.split(":", 1)[1].strip() for ln in patch.splitlines()
                     if ln.startswith(("*** Update File:", "*** Add File:", "*** Delete File:"))]  # fmt: skip
            return _cut(", ".join(files) or "(no files)", width)
        if isinstance(args.get("plan"), list):
            return f"{len(args['plan'])} steps"
        for key in ARG_KEYS:
            if key in args and args[key]:
                value = args[key]
                text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
                return _cut(text, width)
        scalars = [f"{k}={v}" for k, v in args.items() if isinstance(v, str | int | float)]
        if scalars or not args:
            return _cut(" ".join(scalars), width)
    return _cut(" ".join(raw.split()), width)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def tool_line(
    name: str, arguments: str, *, ok: bool | None = None, summary: str = "", streaming: bool = False
) -> Text:
    line = Text("→ ", style="bold cyan")
    line.append(name, style="bold")
    if arguments:
        line.append(f" {summarise_arguments(arguments)}", style="dim")
    if streaming:
        line.append(" …", style="dim")
    if ok is True:
        line.append(f"\n  ✓ {summary or 'done'}", style="green")
    elif ok is False:
        line.append(f"\n  ✗ {summary or 'failed'}", style="red")
    return line


def event_text(event: ev.Event) -> Text | None:
    """One line or a few for an event that is not a message; None for silent events."""
    name = event.type
    if name in SILENT:
        return None
    data = event.to_dict()
    match name:
        case "Notice":
            return Text(data["text"], style="dim")
        case "ThreadRenamed":
            return Text(f"· renamed to {data['title']!r}", style="dim")
        case "ThreadForked":
            return Text(f"· forked from {data.get('parent_id', '')}", style="dim")
        case "TaskEnded":
            outcome = data.get("outcome", "")
            style = {"done": "green", "failed": "red"}.get(outcome, "yellow")
            text = Text(f"■ task {outcome}", style=f"bold {style}")
            if data.get("summary"):
                text.append(f": {data['summary']}")
            if files := data.get("changed_files"):
                text.append(f"\n  changed: {', '.join(files)}", style="dim")
            if change_sets := data.get("change_sets"):
                text.append(f"\n  change sets: {', '.join(change_sets)}", style="dim")
            for check in data.get("checks", []):
                text.append(
                    f"\n  check {check.get('check', '')}: {check.get('state', '')}", style="dim"
                )
            return text
        case "PatchProposed":
            files = ", ".join(f"{f['path']} +{f.get('added', 0)} -{f.get('removed', 0)}"
                              for f in data.get("files", []))  # fmt: skip
            return Text(f"◆ change set proposed: {files}", style="bold magenta")
        case "PatchDecided":
            return Text(
                f"◆ decided: {len(data['accepted'])} hunk(s) accepted, "
                f"{len(data['rejected'])} rejected",
                style="magenta",
            )
        case "PatchApplied":
            return Text(f"◆ applied to {', '.join(data['paths'])} (ctrl+z undoes)", style="green")
        case "PatchRefused":
            return Text(f"◆ not applied: {data['message']}", style="red")
        case "PatchUndone":
            return Text(f"◆ undone: {', '.join(data['paths'])}", style="yellow")
        case "CommandApprovalRequested":
            return Text(f"? asks to run: {data['command']}", style="yellow")
        case "CheckFinished":
            state = data.get("state", "")
            style = {"passed": "green", "failed": "red"}.get(state, "yellow")
            return Text(f"● check {data.get('check', '')} {state}", style=style)
        case "ArtifactsDetected":
            made = data.get("created", []) + data.get("changed", [])
            return Text(f"▣ files from the command: {', '.join(made)}", style="cyan")
    return Text(f"· {name}", style="dim")

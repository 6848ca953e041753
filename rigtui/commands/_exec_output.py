"""`rigtui exec`'s output and approvals: print a task's events (text or JSON lines) and answer approvals
from the `--approve` policy: `auto` applies every change set and runs every command, `never`
leaves change sets pending and declines commands, `review` asks on the terminal (and, with no
terminal to ask on, behaves like `never`). A command that needs a person (its effects cannot
be read off its text, or it reaches outside the project) is declined by `auto` too, with a
comment the model can act on."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from rigtui import protocol as ev
from rigtui.display import chip_text, json_line, safe_line, safe_name
from rigtui.protocol import (
    CheckFinished,
    CommandApprovalRequested,
    CommandDecided,
    DecideCommand,
    DecidePatch,
    Decision,
    PatchApplied,
    PatchDecided,
    PatchProposed,
    PatchRecovered,
    PatchRedone,
    PatchRefused,
    PatchUndone,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdated,
)
from rigtui.session import Session

PLAN_MARKS = {"completed": "[x]", "in_progress": "[~]", "pending": "[ ]"}


class Printer:
    """Human-readable output: the reply as it streams, one line per tool call and result."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self._mid_line = False
        self.usage: UsageUpdated | None = None

    def write(self, text: str, *, stream: TextIO | None = None) -> None:
        target = stream or self.out
        if self._mid_line:
            self.out.write("\n")
            self._mid_line = False
        target.write(text + "\n")
        target.flush()

    def show(self, event: ev.Event) -> None:
        match event:
            case ev.MessageDelta(text=text):
                self.out.write(text)
                self.out.flush()
                self._mid_line = not text.endswith("\n")
            case ev.AssistantMessage(text=text) if not self._mid_line and text:
                self.write(text)
            case ev.AssistantMessage():
                self.write("") if self._mid_line else None
            case ToolCallStarted(name=name, arguments=args):
                self.write(f"→ {name} {_short(args, 100)}")
            case ToolCallFinished(ok=ok, summary=summary, output=output):
                self.write(f"  {'✓' if ok else '✗'} {summary or _short(output, 100)}")
            case ev.PlanUpdated(steps=steps):
                self.write(
                    "plan:\n"
                    + "\n".join(
                        f"  {PLAN_MARKS.get(s['status'], '[ ]')} {s['step']}" for s in steps
                    )
                )
            case ev.Notice(text=text):
                self.write(f"· {text}")
            case ev.Error(message=message, fix=fix):
                self.write(
                    f"error: {message}" + (f"\n  fix: {fix}" if fix else ""), stream=self.err
                )
            case CommandApprovalRequested(command=command, needs_person=person):
                self.write(
                    f"? run `{safe_line(command)}`" + (" (needs a person)" if person else "")
                )
            case CommandDecided(approved=ok, comment=comment):
                self.write(
                    f"  {'approved' if ok else 'declined'}{': ' + comment if comment else ''}"
                )
            case UsageUpdated():
                self.usage = event
            case ev.TaskEnded():
                self.write(_ended(event, self.usage))
            case CheckFinished(check=check, state=state, duration=duration, locations=found):
                where = [f"{loc['path']}:{loc['line']}" for loc in found[:5]]
                self.write(
                    f"check {check}: {state} ({duration:.1f}s)"
                    + (f" at {', '.join(where)}" if where else "")
                )
            case ev.CommandChanged(command=command, paths=paths, added=added, removed=removed):
                count = f"{len(paths)} file{'s' if len(paths) != 1 else ''}"
                self.write(
                    f"· command `{_short(command, 60)}` changed {count} (+{added} \u2212{removed}):"
                    f" change set {event.change_set_id}"
                )
            case PatchProposed(change_set_id=cs_id, files=files):
                self.write(f"· PatchProposed: {_patch_line(cs_id, [f['path'] for f in files])}")
            case PatchDecided(change_set_id=cs_id):
                self.write(f"· PatchDecided: {cs_id}")
            case PatchApplied(change_set_id=cs_id, paths=paths):
                self.write(f"· PatchApplied: {_patch_line(cs_id, paths)}")
            case PatchRefused(change_set_id=cs_id):
                self.write(f"· PatchRefused: {cs_id}")
            case PatchUndone(change_set_id=cs_id, paths=paths):
                self.write(f"· PatchUndone: {_patch_line(cs_id, paths)}")
            case PatchRedone(change_set_id=cs_id, paths=paths):
                self.write(f"· PatchRedone: {_patch_line(cs_id, paths)}")
            case PatchRecovered(change_set_ids=ids):
                self.write(f"· PatchRecovered: {', '.join(ids)}")
            case ev.UserMessage(attachments=attached) if attached:
                self.write("· attached: " + ", ".join(chip_text(a) for a in attached))
            case ev.ThreadCompacted(replaced_messages=n, tokens_before=a, tokens_after=b):
                self.write(
                    f"· compacted {n} earlier messages into a summary (~{a:,} → ~{b:,} tokens)"
                )
            case ev.IsolatedTaskChanged(task_id=task_id, state=state, files=files):
                changed = f": {', '.join(map(safe_name, files))}" if files else ""
                self.write(f"· isolated task {task_id} {state}{changed}")


def _short(text: str, limit: int) -> str:
    flat = safe_line(" ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _patch_line(change_set_id: str, paths: list[str]) -> str:
    return f"{change_set_id} {', '.join(safe_name(p) for p in paths)}".strip()


def _ended(event: ev.TaskEnded, usage: UsageUpdated | None) -> str:
    lines = [f"task {event.outcome}"]
    if event.changed_files:
        lines.append("changed: " + ", ".join(map(safe_name, event.changed_files)))
    if event.change_sets:
        lines.append("change sets: " + ", ".join(event.change_sets))
    for check in event.checks:
        lines.append(f"check {check.get('check')}: {check.get('state')}")
    if usage is not None:
        cost = f", cost {usage.thread_cost:.4f}" if usage.thread_cost is not None else ""
        approx = "~" if usage.estimated else ""  # the server reported no usage (as in the TUI)
        note = " (estimated)" if usage.estimated else ""
        lines.append(
            f"tokens: {approx}{usage.thread_input_tokens} in,"
            f" {approx}{usage.thread_output_tokens} out{cost}{note}"
        )
    return "\n".join(lines)


class Approver:
    """Answers approval requests for one thread according to the `--approve` policy."""

    def __init__(self, session: Session, policy: str, printer: Printer | None) -> None:
        self.session, self.policy, self.printer = session, policy, printer
        self.interactive = policy == "review" and sys.stdin.isatty()

    async def handle(self, event: ev.Event) -> None:
        match event:
            case CommandApprovalRequested():
                await self._command(event)
            case PatchProposed() if self.session.review_request(event.change_set_id):
                await self._patch(event)

    async def _command(self, event: CommandApprovalRequested) -> None:
        where = f"{event.cwd} ({event.sandbox})" if event.sandbox else event.cwd
        if self.interactive:
            why = f"needs a person: {event.reason}\n" if event.needs_person else ""
            ok = await self._ask(f"{why}run `{event.command}` in {where}?")
            comment, by = "", "user"
        elif event.needs_person or event.outside_paths:  # never on a policy's say-so
            ok, by = False, "policy"
            why = event.reason or f"it touches {', '.join(event.outside_paths)}"
            comment = (
                f"{why}; this needs a person's approval: run with --approve review in a terminal"
            )
        else:
            ok, comment, by = self.policy == "auto", f"--approve {self.policy}", "policy"
        await self.session.send(
            DecideCommand(event.thread_id, event.request_id, ok, comment=comment, by=by)
        )

    async def _patch(self, event: PatchProposed) -> None:
        if self.interactive:
            ok = await self._ask(f"apply change set {event.change_set_id}?")
            decision = Decision(None if ok else [])
        else:
            decision = Decision(None, pending=self.policy != "auto")
        await self.session.send(DecidePatch(event.thread_id, event.change_set_id, decision))

    async def _ask(self, question: str) -> bool:
        answer = await asyncio.to_thread(input, f"{question} [y/N] ")
        return answer.strip().lower() in ("y", "yes")


def print_json(event: ev.Event, out: TextIO) -> None:
    out.write(json_line(event.to_dict()) + "\n")
    out.flush()

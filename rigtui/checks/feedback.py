"""Failures back to the model: a failed run trimmed to what matters (where it failed, why,
bounded in size), and the bounded auto-fix rounds the agent may spend on it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rigtui.checks.parsers import Location, strip_ansi

if TYPE_CHECKING:
    from rigtui.protocol import CheckFinished

MAX_MESSAGE_CHARS = 6_000
MAX_LISTED_LOCATIONS = 20
# pytest and friends: progress dots, "collected N items", rule lines, passing test names.
_NOISE = re.compile(
    r"^(?:[.sxX]+(?:\s+\[\s*\d+%\])?|collected \d+ items?|platform .*|rootdir: .*|plugins: .*|"
    r"cachedir: .*|configfile: .*|.* PASSED(?: .*)?|test \S+ \.\.\. ok|ok\s+\S+\s+[\d.]+s)$"
)
# Where the interesting part of an output starts, when one of these is present.
_REPORT_START = re.compile(r"^(?:=+ (?:FAILURES|ERRORS) =+|failures:|--- FAIL:|error(?:\[\w+\])?:)")


def trimmed_output(output: str, limit: int) -> str:
    """The part of `output` a reader needs: from the failure report on, without noise, keeping
    the head and the tail when it is still too long."""
    lines = strip_ansi(output).splitlines()
    start = next((i for i, line in enumerate(lines) if _REPORT_START.match(line)), 0)
    kept = [line.rstrip() for line in lines[start:] if not _NOISE.match(line.strip())]
    text = "\n".join(_squeeze_blank(kept)).strip("\n")
    if len(text) <= limit:
        return text
    head = text[: limit // 3]
    tail = text[-(limit - len(head)) :]
    omitted = text[len(head) : len(text) - len(tail)].count("\n")
    return f"{head.rstrip()}\n... ({omitted} lines omitted) ...\n{tail.lstrip()}"


def _squeeze_blank(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return out


def failure_message(finished: CheckFinished, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """The text to post to the thread for a failed run ("send to the model")."""
    exit_part = f"exit {finished.exit_code}" if finished.exit_code is not None else "no exit code"
    if finished.timed_out:
        exit_part = "timed out"
    header = (
        f"The check `{finished.check}` (`{finished.command}`) failed ({exit_part}, "
        f"{finished.duration:.1f}s). Please fix the cause."
    )
    parts = [header]
    locations = [Location.from_dict(d) for d in finished.locations]
    if locations:
        listed = "\n".join(f"- {loc}" for loc in locations[:MAX_LISTED_LOCATIONS])
        more = len(locations) - MAX_LISTED_LOCATIONS
        if more > 0:
            listed += f"\n- ... and {more} more"
        parts.append(f"Failure locations:\n{listed}")
    room = max(500, max_chars - sum(len(p) for p in parts) - 40)
    body = trimmed_output(finished.output, room)
    if body:
        parts.append(f"Output (trimmed):\n```\n{body}\n```")
    return "\n\n".join(parts)[: max_chars + 200]


class AutoFixRounds:
    """A bounded budget of "model, try to fix this" rounds for one task. `limit` comes from
    `settings.checks.auto_fix_rounds` (0: auto-fix is off). A pass ends the streak."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.used = 0

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0

    def try_start_round(self) -> bool:
        """Spend one round if any is left; False means stop and hand over to the user."""
        if self.exhausted:
            return False
        self.used += 1
        return True

    def record(self, finished: CheckFinished) -> None:
        """A passing run resets the budget for the next failure."""
        if finished.state == "passed":
            self.used = 0

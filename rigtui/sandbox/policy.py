"""Whether a command may run without asking: a pure function of the command, where it runs and
the project's approval settings.

- `ask` (default): always ask.
- `allow`: run when every command it runs (each simple command, and each one a wrapper such as
  `timeout` or `find -exec` runs) starts with one of `approval.allow`'s prefixes
  (`["pytest", "ruff check"]`), ask otherwise. `cd` inside the project needs no prefix.
- `auto`: run.

Whatever the policy, some commands need a person (`needs_person`): no policy may approve them,
not `auto`, not `allow`, not `rigtui exec --approve auto`. Those are commands whose effects
cannot be read off the text before they run, and commands that reach outside the project:
- paths outside the project (`../x`, `/etc/passwd`, `~/.ssh`, `> /tmp/out`, a link that points
  out), and values that could be any path (`rm $HOME`);
- command and process substitution (`$(...)`, backticks, `<(...)`), a variable as the program,
  `eval`, `source`, `.`, aliases and traps;
- inline code (`sh -c`, `python -c`, `node -e`, `perl -e`, an awk program that can run
  commands, a sed script with `e`/`w`/`r`) and an interpreter reading its program from a pipe
  or heredoc, directly or behind any wrapper (`env`, `timeout`, `nice`, `find -exec`, ...);
- `xargs`, `parallel`, `watch`, `sudo`, `ssh` and friends;
- `cd` with no folder, `~`, `-`, an unknown folder, or one outside the project;
- making links (`ln`, `cp -s`): a link inside the project can point anywhere.
The command is read with tree-sitter-bash (rigtui.sandbox.shell_scan); the rules about programs
live in rigtui.sandbox.shell_programs.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rigtui.config import ApprovalSettings
from rigtui.sandbox.shell_scan import Findings, Scanner

Action = Literal["run", "ask"]
MAX_REASONS = 4  # reasons spelled out in one decision; the rest are counted


@dataclass(frozen=True)
class PolicyDecision:
    action: Action
    reason: str
    outside_paths: tuple[str, ...] = ()
    needs_person: bool = False  # no policy may approve it: only a person


@dataclass(frozen=True)
class ApprovalRequest:
    """What the UI shows before a command runs: the exact command, where, in which sandbox,
    and why it asks."""

    command: str
    cwd: str
    sandbox: str
    reason: str
    outside_paths: list[str] = field(default_factory=list)
    needs_person: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def prompt(self) -> str:
        lines = [f"Run `{self.command}`", f"  in {self.cwd} ({self.sandbox})", f"  {self.reason}"]
        if self.needs_person:
            lines.append("  only a person can approve this command")
        return "\n".join(lines)


def command_text(command: Sequence[str] | str) -> str:
    """The exact command as one line a user can read and paste."""
    return command if isinstance(command, str) else shlex.join(list(command))


def analyse(command: Sequence[str] | str, cwd: Path, root: Path) -> Findings:
    """What the command runs and touches, as far as its text tells (a string runs through the
    shell; a list of words runs as it is)."""
    scanner = Scanner(str(root), str(cwd))
    return scanner.scan(command) if isinstance(command, str) else scanner.scan_argv(list(command))


def outside_paths(command: Sequence[str] | str, cwd: Path, root: Path) -> tuple[list[str], bool]:
    """Paths the command names that lie outside `root`, and whether it needs a person for
    another reason (what it runs or touches cannot be read off the text)."""
    findings = analyse(command, cwd, root)
    return findings.outside, bool(findings.person)


def person_reason(findings: Findings) -> str:
    parts = []
    if findings.outside:
        parts.append(f"it names paths outside the project: {', '.join(findings.outside)}")
    parts += findings.person[:MAX_REASONS]
    if len(findings.person) > MAX_REASONS:
        parts.append(f"and {len(findings.person) - MAX_REASONS} more")
    return "; ".join(parts)


def _allowed(words: list[str], patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        prefix = shlex.split(pattern)
        if prefix and words[: len(prefix)] == prefix:
            return True
    return False


def decide(
    command: Sequence[str] | str, cwd: Path, root: Path, approval: ApprovalSettings
) -> PolicyDecision:
    findings = analyse(command, cwd, root)
    if findings.person or findings.outside:
        return PolicyDecision(
            "ask", person_reason(findings), tuple(findings.outside), needs_person=True
        )
    if approval.commands == "auto":
        return PolicyDecision("run", "the project runs commands without asking (auto)")
    if approval.commands == "allow":
        commands = [c for c in findings.commands if c[0] not in ("cd", "pushd", "popd")]
        if (
            commands
            and not findings.unreadable
            and all(_allowed(words, approval.allow) for words in commands)
        ):
            return PolicyDecision("run", "allowed by the project's command prefixes")
        return PolicyDecision("ask", "not covered by the project's allowed prefixes")
    return PolicyDecision("ask", "the project asks before every command")


def approval_request(
    command: Sequence[str] | str, cwd: Path, sandbox: str, decision: PolicyDecision
) -> ApprovalRequest:
    return ApprovalRequest(
        command=command_text(command),
        cwd=str(cwd),
        sandbox=sandbox,
        reason=decision.reason,
        outside_paths=list(decision.outside_paths),
        needs_person=decision.needs_person,
    )

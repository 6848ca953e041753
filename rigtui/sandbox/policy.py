"""Whether a command may run without asking: a pure function of the command, where it runs and
the project's approval settings.

- `ask` (default): always ask.
- `allow`: run when every simple command in it starts with one of `approval.allow`'s prefixes
  (`["pytest", "ruff check"]`), ask otherwise.
- `auto`: run.
Whatever the policy, a command that names a path outside the project (`../x`, `/etc/passwd`,
`~/.ssh`, `> /tmp/out`), or whose paths cannot be known (`$VAR/...`, command substitution),
needs explicit approval.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rigtui.config import ApprovalSettings

Action = Literal["run", "ask"]

# Shell operators that separate simple commands; redirections are handled as paths.
_SEPARATORS = {";", "&&", "||", "|", "&", "\n", "(", ")", ";;", "|&"}
_HARMLESS_PATHS = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/zero"}
# A path hidden inside a word: `open('/etc/passwd')`, `-o/tmp/x`, `-C..`, `--out=~/x`.
_EMBEDDED_PATH = re.compile(r"""(?:^|[\s'"=(:,]|^-[A-Za-z])((?:/|~|\.\.(?=/|$))[^\s'",;)]*)""")
# Programs that run code given inline: what that code touches cannot be read off the command.
_INLINE_RUNNERS = {
    "sh": {"-c"}, "bash": {"-c"}, "zsh": {"-c"}, "dash": {"-c"}, "ksh": {"-c"}, "fish": {"-c"},
    "python": {"-c"}, "node": {"-e", "--eval", "-p"}, "perl": {"-e", "-E"},
    "ruby": {"-e"}, "php": {"-r"}, "deno": {"eval"}, "bun": {"-e", "--eval"},
}  # fmt: skip


@dataclass(frozen=True)
class PolicyDecision:
    action: Action
    reason: str
    outside_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApprovalRequest:
    """What the UI shows before a command runs: the exact command, where, in which sandbox,
    and why it asks."""

    command: str
    cwd: str
    sandbox: str
    reason: str
    outside_paths: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def prompt(self) -> str:
        lines = [f"Run `{self.command}`", f"  in {self.cwd} ({self.sandbox})", f"  {self.reason}"]
        return "\n".join(lines)


def command_text(command: Sequence[str] | str) -> str:
    """The exact command as one line a user can read and paste."""
    return command if isinstance(command, str) else shlex.join(list(command))


def _tokens(command: Sequence[str] | str) -> tuple[list[list[str]], bool]:
    """Split into simple commands (lists of words), and whether the text is opaque (command
    substitution, unbalanced quotes) so nothing can be concluded from it."""
    if not isinstance(command, str):
        return [list(command)], False
    if "$(" in command or "`" in command:
        return [], True
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        words = list(lexer)
    except ValueError:
        return [], True
    simple: list[list[str]] = [[]]
    for word in words:
        if word in _SEPARATORS:
            simple.append([])
        else:
            simple[-1].append(word)
    return [s for s in simple if s], False


def _runs_inline_code(words: list[str]) -> bool:
    program = Path(words[0]).name
    if program in ("eval", "source", "."):
        return True
    program = re.sub(r"[\d.]+$", "", program)  # python3.11 -> python
    flags = _INLINE_RUNNERS.get(program, set())
    return any(word in flags for word in words[1:])


def _is_redirect(word: str) -> bool:
    return bool(word) and set(word) <= set("<>&") and ("<" in word or ">" in word)


def _path_candidates(words: list[str], shell: bool) -> list[str]:
    """Words that name files: arguments with a `/` or `~`, `.`/`..`, values of `--opt=PATH`,
    redirection targets, and (in a shell string) anything with a `$` in it. The program itself
    counts only when it is a path."""
    out: list[str] = []
    after_redirect = False
    for i, word in enumerate(words):
        if shell and _is_redirect(word):
            after_redirect = True
            continue
        if shell and "$" in word:
            out.append(word)
            after_redirect = False
            continue
        value = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
        if "://" in value:
            continue  # a URL, not a path
        if after_redirect or "/" in value or value.startswith("~") or value in (".", ".."):
            if i > 0 or "/" in value:
                out.append(value)
        out += [
            m
            for m in _EMBEDDED_PATH.findall(word)
            if m and not value.startswith(m) and "://" not in m
        ]
        after_redirect = False
    return out


def outside_paths(command: Sequence[str] | str, cwd: Path, root: Path) -> tuple[list[str], bool]:
    """Paths the command names that lie outside `root`, and whether it is opaque."""
    simple, opaque = _tokens(command)
    root = Path(os.path.realpath(root))
    found: list[str] = []
    shell = isinstance(command, str)
    for words in simple:
        if _runs_inline_code(words):
            opaque = True
        for word in _path_candidates(words, shell):
            if (shell and "$" in word) or word.startswith("~"):
                found.append(word)  # cannot know where it points: treat as outside
                continue
            if word in _HARMLESS_PATHS:
                continue
            target = Path(os.path.realpath(Path(cwd) / word))
            if target != root and root not in target.parents:
                found.append(word)
    return found, opaque


def _allowed(words: list[str], patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        prefix = shlex.split(pattern)
        if prefix and words[: len(prefix)] == prefix:
            return True
    return False


def decide(
    command: Sequence[str] | str, cwd: Path, root: Path, approval: ApprovalSettings
) -> PolicyDecision:
    outside, opaque = outside_paths(command, cwd, root)
    if outside:
        return PolicyDecision(
            "ask", f"it names paths outside the project: {', '.join(outside)}", tuple(outside)
        )
    if opaque:
        return PolicyDecision("ask", "its paths cannot be checked (substitution or quoting)")
    if approval.commands == "auto":
        return PolicyDecision("run", "the project runs commands without asking (auto)")
    if approval.commands == "allow":
        simple, _ = _tokens(command)
        if simple and all(_allowed(words, approval.allow) for words in simple):
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
    )

"""Two small languages whose programs are often given inline: awk and sed. A program runs
without a person only when it cannot run commands, read other files or write files.

- awk: no `system`, `getline`, `|`, `@` (gawk extensions), nor `>` after a `print`/`printf`.
  `--sandbox` makes any program fine. A program file (`-f`) is the project's code; one read
  from the command's input is not.
- sed: the script is read with a small parser of GNU sed's commands; `e`, `r`, `R`, `w`, `W`
  (and the `e`/`w` flags of `s`) need a person, as does anything it cannot read. GNU sed takes
  options after operands too (`sed s/a/b/ f -e 'e ls'`), and so do we.
"""

from __future__ import annotations

import re

from rigtui.sandbox.shell_options import Options, parse_options
from rigtui.sandbox.shell_options import names as _set
from rigtui.sandbox.shell_tables import STDIN_FILES
from rigtui.sandbox.shell_tree import quoted as _q
from rigtui.sandbox.shell_words import Scan, Word

_AWK = Options("FvfEeilW", "bcCdDgGhLMnNOpPrsStVyY",
               long_value=_set("field-separator", "assign", "file", "exec", "source", "include",
                               "load"), any_long=True)  # fmt: skip


def awk(args: list[Word], scan: Scan) -> list[Word]:
    """Reports what the awk program needs; returns the file operands."""
    parsed = parse_options(args, _AWK)
    if parsed.problem:
        scan.person(f"`awk`: {parsed.problem}")
        return []
    files = parsed.values("-f", "--file", "-E", "--exec")
    programs = parsed.values("-e", "--source")
    operands = parsed.operands
    if not files and not programs and operands:
        programs, operands = [operands[0]], operands[1:]
    if parsed.has("-S", "--sandbox"):  # gawk refuses system(), pipes and redirections
        return operands
    if any((v.plain or "-") in STDIN_FILES for v in files):
        scan.person("awk reads its program from its input, which cannot be checked")
    if parsed.has("-i", "--include", "-l", "--load"):
        scan.person("`awk --include/--load` brings in code from outside the command")
    for program in programs:
        if program.plain is None:
            scan.person(f"the awk program {_q(program.source)} is not known before it runs")
        elif why := awk_program_risk(program.plain):
            scan.person(f"the awk program {_q(program.plain)} {why}")
    return operands


def awk_program_risk(program: str) -> str:
    """Why an awk program cannot run without a person ('' when it only reads and prints)."""
    if re.search(r"\bsystem\b", program):
        return "calls system(), which runs a command"
    if re.search(r"\bgetline\b", program):
        return "uses getline, which can run a command or read any file"
    if "|" in program.replace("||", ""):
        return "pipes to or from a command"
    if "@" in program:
        return "uses a gawk extension (@include, @load, indirect calls)"
    first_print = re.search(r"\bprintf?\b", program)
    if first_print and ">" in program[first_print.start() :]:
        return "may write to a file (`print > file`)"
    return ""


# `-i` takes an optional attached suffix, `-s` is a flag; GNU sed reads options anywhere.
_SED = Options("efl", "nrzubsE", attached="i", long_value=_set("expression", "file",
                                                               "line-length"),
               any_long=True, permute=True)  # fmt: skip
_SED_SIMPLE = set("=dDgGhHlnNpPxzFqQLv}")


def sed(args: list[Word], scan: Scan) -> list[Word]:
    """Reports what the sed script needs; returns the file operands."""
    parsed = parse_options(args, _SED)
    if parsed.problem:
        scan.person(f"`sed`: {parsed.problem}")
        return []
    files = parsed.values("-f", "--file")
    scripts = parsed.values("-e", "--expression")
    operands = parsed.operands
    if not scripts and not files and operands:
        scripts, operands = [operands[0]], operands[1:]
    if parsed.has("--sandbox"):  # GNU sed refuses e, r and w
        return operands
    if any((v.plain or "-") in STDIN_FILES for v in files):
        scan.person("sed reads its script from its input, which cannot be checked")
    script = "\n".join(s.plain or "" for s in scripts)
    if any(s.plain is None for s in scripts):
        scan.person("the sed script is not known before the command runs")
    elif why := sed_script_risk(script):
        scan.person(f"the sed script {_q(script)} {why}")
    return operands


def sed_script_risk(script: str) -> str:
    """Why a GNU sed script cannot run without a person: it runs commands (`e`), reads or
    writes files (`r R w W`), or cannot be read. '' when it only edits text."""
    i, n = 0, len(script)

    def skip_delimited(start: int, parts: int) -> int:
        delim = script[start]
        if delim in "\n\\":
            raise ValueError
        j = start + 1
        for _ in range(parts):
            while j < n and script[j] != delim:
                j += 2 if script[j] == "\\" else 1
            if j >= n:
                raise ValueError
            j += 1
        return j

    def address(j: int) -> int:
        if j < n and script[j] == "/":
            j = skip_delimited(j, 1)
        elif j < n and script[j] == "\\" and j + 1 < n:
            j = skip_delimited(j + 1, 1)
        else:
            m = re.match(r"\$|\d+(~\d+)?|[+~]\d+", script[j:])
            j += m.end() if m else 0
        while j < n and script[j] in "IM":
            j += 1
        return j

    try:
        while i < n:
            while i < n and script[i] in " \t\n;":
                i += 1
            if i >= n:
                break
            start = i
            i = address(i)
            if i != start and i < n and script[i] == ",":
                i = address(i + 1)
            while i < n and script[i] in " \t!":
                i += 1
            if i >= n:
                return "cannot be read (an address with no command)"
            c = script[i]
            i += 1
            if c in "rRwWe":
                return f"uses `{c}`, which reads or writes files or runs a command"
            if c in "#:btT":
                while i < n and script[i] != "\n" and (c == "#" or script[i] != ";"):
                    i += 1
            elif c in "aic":
                while i < n and script[i] != "\n":
                    i += 2 if script[i] == "\\" else 1
            elif c == "s":
                i = skip_delimited(i, 2)
                flags = re.match(r"[gpiImM0-9ew]*", script[i:]).group()  # type: ignore[union-attr]
                if set(flags) & set("ew"):
                    return "uses the `e` or `w` flag of `s`, which runs a command or writes a file"
                i += len(flags)
            elif c == "y":
                i = skip_delimited(i, 2)
            elif c == "{" or c in _SED_SIMPLE:
                while i < n and script[i].isdigit():
                    i += 1
            else:
                return f"cannot be read (command `{c}`)"
    except ValueError:
        return "cannot be read (an unfinished command)"
    return ""

"""What programs do with their arguments, as far as approval cares: which ones run another
command (wrappers: `env`, `timeout`, `find -exec` ...), which run code given inline (`sh -c`,
`python -c`, `perl -e`, an awk program with `system()`), which make links, which run as
another user. Everything else is taken to treat its arguments as data (words that name paths
are still checked by the caller).

`examine(argv, scan)` reports through `scan` (rigtui.sandbox.shell_scan.Scan): `person(why)`
for what only a person can approve, `nested(argv)` for a command this one runs.

The tables are in rigtui.sandbox.shell_tables; awk and sed programs are read by
rigtui.sandbox.shell_sed_awk. Decided and documented here:
- An interpreter with no script reads its program from standard input: fine when that is a
  file (`python < x.py`, the project's code), otherwise (a pipe, a heredoc) it needs a person.
- A program we do not know that gets an interpreter and its inline-code option among its
  arguments (`docker run img sh -c ...`, `uv run python -c ...`) needs a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from rigtui.sandbox.shell_options import parse_options
from rigtui.sandbox.shell_sed_awk import awk, sed
from rigtui.sandbox.shell_tables import (
    ANOTHER_ROOT,
    ANOTHER_USER,
    DATA_ONLY,
    GIT_COMMANDS,
    GIT_GLOBAL,
    GIT_SAFE_KEYS,
    INLINE_OPTIONS,
    INTERPRETERS,
    LINKERS,
    RUN_SUBCOMMANDS,
    STDIN_FILES,
    STRING_RUNNERS,
    WRAPPERS,
    Interpreter,
    Wrapper,
)
from rigtui.sandbox.shell_tree import quoted as _q
from rigtui.sandbox.shell_words import Scan, Word


def program_name(path: str) -> str:
    """`/usr/bin/python3.11` -> `python3.11`."""
    return PurePosixPath(path).name or path


def _family(name: str) -> str:
    """`python3.11` -> `python`, `perl5.36` -> `perl`: versioned names of one interpreter."""
    return re.sub(r"[\d.]+$", "", name) or name


# --- Examining one command ---------------------------------------------------------------------


def examine(argv: list[Word], scan: Scan, *, stdin_file: bool = False) -> None:
    """Report what `argv` (a known program and its words) needs: `argv[0].plain` is set."""
    program = argv[0].plain or ""
    name = program_name(program)
    args = argv[1:]
    family = _family(name)
    if name in ANOTHER_USER:
        scan.person(f"{_q(name)} runs a command as another user")
    elif name in ANOTHER_ROOT:
        scan.person(f"{_q(name)} runs a command in another root or namespace, outside the checks")
    elif name in STRING_RUNNERS:
        scan.person(STRING_RUNNERS[name])
    elif name in LINKERS or (name == "cp" and _cp_links(args)):
        scan.person(
            f"{_q(' '.join(w.source for w in argv))} makes a link: a link inside the project "
            "can point anywhere, so later paths through it cannot be checked"
        )
    elif name in WRAPPERS:
        _wrapper(name, WRAPPERS[name], args, scan, stdin_file)
    elif name in RUN_SUBCOMMANDS and args and args[0].plain == "run":
        _run_subcommand(name, args[1:], scan, stdin_file)
    elif name == "busybox" and args and args[0].known and not (args[0].plain or "-")[0] == "-":
        scan.nested(args, stdin_file=stdin_file)
    elif family in INTERPRETERS:
        _interpreter(name, family, INTERPRETERS[family], args, scan, stdin_file)
    elif name in ("awk", "gawk", "mawk", "nawk"):
        _unknown_words(name, awk(args, scan), scan)
    elif name in ("sed", "gsed"):
        _unknown_words(name, sed(args, scan), scan)
    elif name == "find":
        _find(args, scan)
    elif name == "git":
        _git(args, scan)
    elif name == "trap":
        if [w.plain for w in args[:1]] not in ([], ["-"], [""], ["-l"], ["-p"]):
            scan.person(f"trap {_q(args[0].source)} runs that text as shell code later")
    elif name == "alias" and any("=" in (w.plain or "=") for w in args):
        scan.person("alias makes a word run other code (sh expands aliases in scripts)")
    elif name == "enable" and any((w.plain or "-f").startswith("-f") for w in args):
        scan.person("`enable -f` loads a builtin from a file")
    elif name in ("make", "gmake"):
        _make(args, scan)
    else:
        _ordinary(name, args, scan)
    if name in INLINE_OPTIONS:
        _inline_options(name, args, scan)


def _unknown_words(name: str, args: Iterable[Word], scan: Scan) -> None:
    for word in args:
        if not word.known:
            scan.person(
                f"{_q(word.source)} decides an argument of {_q(name)}: its value is not known "
                "before the command runs, so it could name any path"
            )


def _ordinary(name: str, args: list[Word], scan: Scan) -> None:
    if name in DATA_ONLY:
        return
    _unknown_words(name, args, scan)
    for i, word in enumerate(args[:-1]):
        family = _family(program_name(word.plain or ""))
        interpreter = INTERPRETERS.get(family)
        flag = args[i + 1].plain or ""
        if interpreter is not None and _is_inline_flag(interpreter, flag):
            scan.person(
                f"{_q(name)} is given {_q((word.plain or '') + ' ' + flag)}: it looks like it runs"
                " inline code, which cannot be checked before it runs"
            )


def _is_inline_flag(interpreter: Interpreter, flag: str) -> bool:
    if flag in interpreter.inline:
        return True
    return bool(
        interpreter.letters
        and re.fullmatch(r"-[A-Za-z]+", flag)
        and any(c in interpreter.letters for c in flag[1:])
    )


def _inline_options(name: str, args: list[Word], scan: Scan) -> None:
    """Options anywhere in `args` (also in a cluster, `-xI`) that run a command line."""
    names = INLINE_OPTIONS[name]
    for word in args:
        text = word.plain or ""
        prefix = text.split("=", 1)[0] + "=" if "=" in text else None
        single = re.fullmatch(r"-([A-Za-z]+)", text)
        short = {f"-{c}" for c in single.group(1)} if single else set()
        if text in names or (prefix in names) or short & names:
            scan.person(f"`{name} {text}` runs a command line or inline code")
            return


def _cp_links(args: list[Word]) -> bool:
    for word in args:
        text = word.plain or ""
        if text in ("--symbolic-link", "--link"):
            return True
        if re.fullmatch(r"-[A-Za-z]+", text) and set(text[1:]) & {"s", "l"}:
            return True
    return False


def _wrapper(name: str, spec: Wrapper, args: list[Word], scan: Scan, stdin_file: bool) -> None:
    parsed = parse_options(args, spec.options)
    if parsed.problem:
        scan.person(f"{_q(name)}: {parsed.problem}, so the command it runs cannot be read")
        return
    if parsed.has(*spec.inline):
        scan.person(f"{_q(name)} is given a command line as a string: it cannot be checked")
        return
    if parsed.has(*spec.no_command):
        return
    operands = parsed.operands
    if name == "env" and operands and operands[0].plain == "-":
        operands = operands[1:]
    if spec.assignments:
        while (
            operands and operands[0].known and re.match(r"[^=\s-][^=\s]*=", operands[0].plain or "")
        ):
            key, _, value = (operands[0].plain or "").partition("=")
            scan.assignment(key, Word(value, operands[0].source))
            operands = operands[1:]
    if len(operands) < spec.operands:
        return
    _unknown_words(name, operands[: spec.operands], scan)
    command = operands[spec.operands :]
    if command:
        chdir = parsed.values(*spec.chdir)
        scan.nested(command, chdir=chdir[-1] if chdir else None, stdin_file=stdin_file)


def _run_subcommand(name: str, args: list[Word], scan: Scan, stdin_file: bool) -> None:
    parsed = parse_options(args, RUN_SUBCOMMANDS[name])
    if parsed.problem:
        scan.person(f"`{name} run`: {parsed.problem}, so the command it runs cannot be read")
        return
    if parsed.has("-m", "--module") or not parsed.operands:
        return
    chdir = parsed.values("--directory")
    scan.nested(parsed.operands, chdir=chdir[-1] if chdir else None, stdin_file=stdin_file)


def _inline(name: str, flag: str) -> str:
    return (
        f"{_q(name + ' ' + flag)} runs inline code: what it does cannot be checked before it runs"
    )


def _interpreter(
    name: str, family: str, spec: Interpreter, args: list[Word], scan: Scan, stdin_file: bool
) -> None:
    what = _q(name)
    for word in args:
        flag = word.plain or ""
        if not flag.startswith("-") or flag == "-":
            break
        if _is_inline_flag(spec, flag) or flag.split("=", 1)[0] in spec.inline:
            scan.person(_inline(name, flag))
            return
    parsed = parse_options(args, spec.options)
    if parsed.problem:
        scan.person(f"{what}: {parsed.problem}, so what it runs cannot be read")
        return
    for option, value in parsed.options:
        if value is not None and (value.plain or "").startswith("data:"):
            scan.person(f"{what} {_q(option + ' ' + (value.plain or ''))} runs inline code")
            return
        if option in spec.inline or (spec.letters and option[-1:] in spec.letters):
            scan.person(_inline(name, option))
            return
        if option in ("-m", "-M") and family == "perl" and value is not None:
            if not re.fullmatch(r"-?[\w:]+(=[\w:,]*)?", value.plain or ";"):
                scan.person(f"perl {_q(option + (value.plain or ''))} can run code")
                return
        if option == "-m" and value is not None and (value.plain or "") in spec.modules:
            scan.person(f"{what} -m {value.plain} runs code given in its arguments")
            return
    if parsed.has(*spec.no_stdin) or (family == "python" and parsed.has("-m")):
        return
    script = parsed.operands[0].plain if parsed.operands else None
    if script in STDIN_FILES or parsed.has(*spec.stdin):
        from_input = True  # `python3 /dev/stdin`, `sh -s`, `perl -`
    else:
        from_input = script is None and bool(spec.stdin)
    if from_input and not stdin_file:
        scan.person(
            f"{what} with no script reads its program from its input, which cannot be checked"
            " before it runs"
        )
    _unknown_words(family, parsed.operands, scan)


def _find(args: list[Word], scan: Scan) -> None:
    """The start folders, then the expression: what `-exec` and friends run (with `{}` as a
    start folder: what they get lies under it), and `-L` with `-delete` or `-exec`."""
    i, follows = 0, False
    while i < len(args) and (args[i].plain or "").startswith(("-H", "-L", "-P", "-D", "-O")):
        follows |= args[i].plain == "-L"
        i += 2 if args[i].plain == "-D" else 1
    starts: list[Word] = []
    while i < len(args) and not (args[i].plain or "-").startswith(("-", "(", "!", ",")):
        starts.append(args[i])
        i += 1
    starts = starts or [Word(".", ".")]
    _unknown_words("find", args, scan)
    expression = args[i:]
    follows |= any(w.plain == "-follow" for w in expression)
    k = 0
    while k < len(expression):
        action = expression[k].plain
        if action in ("-exec", "-execdir", "-ok", "-okdir"):
            end = k + 1
            while end < len(expression) and expression[end].plain not in (";", "+"):
                end += 1
            command = expression[k + 1 : end]
            if follows:
                scan.person("find follows links (-L) and runs a command on what it finds")
            for start in starts:
                argv = [_braces_to(w, start) for w in command]
                if argv:
                    scan.nested(argv)
            k = end
        elif action == "-delete" and follows:
            scan.person("find follows links (-L) and deletes what it finds, wherever it is")
        k += 1


def _braces_to(word: Word, start: Word) -> Word:
    if word.plain is None or "{}" not in word.plain or start.plain is None:
        return word
    return Word(word.plain.replace("{}", start.plain), word.source)


def _git(args: list[Word], scan: Scan) -> None:
    parsed = parse_options(args, GIT_GLOBAL)
    if parsed.problem:
        scan.person(f"`git`: {parsed.problem}")
        return
    for option, value in parsed.options:
        if option == "-c" and not GIT_SAFE_KEYS.fullmatch((value.plain if value else "") or ""):
            scan.person(
                f"`git -c {value.source if value else ''}` can set a command git runs"
                " (a pager, an editor, a hook path, an alias)"
            )
        elif option in ("--config-env", "--exec-path") and value is not None:
            scan.person(f"`git {option}` can make git run other programs")
    if not parsed.operands:
        return
    sub, rest = parsed.operands[0].plain, parsed.operands[1:]
    texts = [w.plain or "" for w in rest]
    if sub is None:
        _unknown_words("git", parsed.operands, scan)
    elif sub not in GIT_COMMANDS:
        scan.person(
            f"`git {sub}` is not a git command: it may be an alias from the repository's"
            " configuration, which can run anything"
        )
    elif sub == "config" and not _git_config_reads(texts):
        scan.person("`git config` that sets a value can make later git commands run programs")
    elif (sub, texts[:1]) in (("submodule", ["foreach"]), ("bisect", ["run"])) or (
        sub == "rebase" and any(t in ("-x", "--exec") or t.startswith("--exec=") for t in texts)
    ):
        scan.person(f"`git {sub} {texts[0] if texts else ''}` runs a command line")
    elif any(t.startswith(("--upload-pack", "--receive-pack", "--exec=", "--extcmd",
                           "--open-files-in-pager")) or t in ("-O", "--exec")
             for t in texts) or (sub in ("clone", "fetch", "pull", "ls-remote", "archive")
                                 and "-u" in texts):  # fmt: skip
        scan.person(f"`git {sub}` is given an option that runs a program")
    _unknown_words("git", rest, scan)


def _git_config_reads(texts: list[str]) -> bool:
    reading = {"-l", "--list", "--get", "--get-all", "--get-regexp", "--get-urlmatch", "get",
               "list", "--show-origin", "--show-scope", "--name-only", "-z", "--null",
               "--global", "--local", "--system", "--includes", "--no-includes", "--type=bool",
               "--bool", "--int", "--path"}  # fmt: skip
    operands = [t for t in texts if not t.startswith("-")]
    options = [t for t in texts if t.startswith("-")]
    if not all(o in reading for o in options):
        return False
    if operands[:1] in (["get"], ["list"]):
        return True
    return len(operands) <= 1 or (bool(options) and any(o.startswith("--get") for o in options))


def _make(args: list[Word], scan: Scan) -> None:
    _unknown_words("make", args, scan)
    for i, word in enumerate(args):
        text = word.plain or ""
        makefile = text[2:] if text.startswith("-f") and len(text) > 2 else None
        if text in ("-f", "--file", "--makefile") and i + 1 < len(args):
            makefile = args[i + 1].plain
        elif text.startswith(("--file=", "--makefile=")):
            makefile = text.split("=", 1)[1]
        if makefile in STDIN_FILES:
            scan.person("make reads its Makefile from its input, which cannot be checked")
        name, eq, value = text.partition("=")
        if (
            eq
            and re.fullmatch(r"[A-Za-z_.][\w.]*", name)
            and not re.fullmatch(r"[\w./+,:-]*", value)
        ):
            scan.person(f"`make {text}` sets a variable the Makefile may run as a command")

"""Reads a shell command off its tree-sitter-bash syntax tree, statement by statement, the way
the shell will run it: every simple command (in pipelines, lists, subshells, `{ }`, if, while,
for and case bodies, functions), its redirections and the commands it makes other programs
run. What it finds goes into `Findings`: paths outside the project, and reasons only a person
can approve the command.

It follows where the command is: `cd sub && x` checks x's paths from sub, and because a `cd`
can fail, a folder is only ever added to the possible working folders, never swapped for
another, except on the right of `&&` (where the `cd` succeeded). A `cd` whose target is not
known, or that leaves the project, needs a person; so does one in a function body, or one in a
loop whose folder keeps changing. Variables the command sets to known values are followed
(`d=src; ls $d`, `for f in *.py`); any other value is unknown.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import replace

import tree_sitter as ts

from rigtui.sandbox import shell_programs as programs
from rigtui.sandbox.shell_arith import arithmetic, read_reason
from rigtui.sandbox.shell_paths import PathCheck
from rigtui.sandbox.shell_state import Findings, Outcome, State
from rigtui.sandbox.shell_tables import (
    CODE_PREFIXES,
    CODE_VARIABLES,
    PATH_VARIABLES,
    SHELL_VARIABLES,
    SPECIAL_BUILTINS,
)
from rigtui.sandbox.shell_tree import (
    errors,
    expansion_assignments,
    flatten_redirects,
    operator,
    parse,
    quoted,
    reads_file,
    substitution_ids,
    substitution_reasons,
    text_of,
    walk,
)
from rigtui.sandbox.shell_words import Value, Word, WordReader

MAX_TEXT = 100_000  # characters: a longer command is not read at all
MAX_STEPS = 20_000  # statements and words visited (loops are read twice)
MAX_DEPTH = 60  # nesting of statements and of commands run by commands
MAX_COMBINATIONS = 32  # argument lists one simple command may stand for
_FOLDER_PROGRAMS = {"cd", "pushd", "popd"}
# Statements with no statements inside them (a redirected compound statement is read again).
_LEAVES = {"command", "redirected_statement", "test_command", "declaration_command",
           "variable_assignment", "variable_assignments", "unset_command"}  # fmt: skip


class _TooComplex(Exception):
    pass


class Scanner:
    """One command's analysis; `scan(text)` fills `findings`."""

    def __init__(self, root: str, cwd: str) -> None:
        self.paths = PathCheck(root)
        self.start = os.path.realpath(cwd)
        self.findings = Findings()
        self._steps = 0
        self._functions = 0  # inside a function body
        self._function_names: set[str] = set()
        self._depth = 0
        self._checked: set[tuple[str, str, str]] = set()
        self._cwds: frozenset[str] = frozenset({self.start})  # for the command being examined

    # --- entry points ------------------------------------------------------------------------

    def scan(self, text: str) -> Findings:
        if len(text) > MAX_TEXT:
            self.person(f"the command is longer than {MAX_TEXT} characters: too long to check")
            return self.findings
        if "\x00" in text:
            self.person("the command holds a NUL character, which the shell would cut it at")
            return self.findings
        tree = parse(text)
        root = tree.root_node
        if root.has_error:
            bad = next(errors(root), root)
            self.person(
                f"it does not parse as a shell command (near {quoted(text_of(bad) or text[:40])}),"
                " so what it runs cannot be read"
            )
            return self.findings
        for reason in substitution_reasons(root, text.encode()):
            self.person(reason)
        start = State(frozenset({self.start}), {}, frozenset({self.start}))
        try:
            self._sequence(root.named_children, start)
        except (_TooComplex, RecursionError):
            self.person("the command is too large or too deeply nested to check")
        return self.findings

    def scan_argv(self, argv: list[str]) -> Findings:
        """An argument list run without a shell: every word is literal."""
        if argv:
            self._examine([Word(a, a) for a in argv], self._cwds, stdin_file=False)
        return self.findings

    # --- reports (also the interface rigtui.sandbox.shell_programs calls) ----------------------

    def person(self, reason: str) -> None:
        self.findings.add_person(reason)

    def nested(self, argv: list[Word], *, chdir: Word | None = None, stdin_file: bool = False):
        cwds = self._cwds
        if chdir is not None:
            if chdir.plain is None:
                self.person(f"{quoted(chdir.source)} decides the folder a command runs in")
                return
            self.path(chdir, cwds)
            cwds = frozenset(os.path.realpath(os.path.join(c, chdir.plain)) for c in cwds)
        self._examine(argv, cwds, stdin_file=stdin_file)

    def assignment(self, name: str, value: Word, cwds: frozenset[str] | None = None) -> None:
        """`NAME=VALUE` for a command's environment or the shell's variables."""
        if name in CODE_VARIABLES or name.startswith(CODE_PREFIXES):
            self.person(
                f"setting {quoted(name)} decides a command or file that runs later, out of sight"
                " of these checks"
            )
        if value.plain is None:
            if name in PATH_VARIABLES:
                self.person(
                    f"{quoted(value.source)} decides where {quoted(name)} finds programs or code"
                )
            return
        parts = value.plain.split(":") if name in PATH_VARIABLES else [value.plain]
        for part in parts:
            if part:
                self.path(Word(part, value.source), cwds or self._cwds)

    def path(self, word: Word, cwds: frozenset[str]) -> None:
        """Report `word` if it names a path outside the project from any of `cwds`."""
        plain = word.plain
        if plain is None:
            return
        for cwd in sorted(cwds):
            key = (cwd, plain, word.pattern)
            if key in self._checked:
                continue
            self._checked.add(key)
            if not self.paths.inside(cwd, plain, word.pattern):
                self.findings.add_outside(plain)
                return

    # --- statements --------------------------------------------------------------------------

    def _tick(self) -> None:
        self._steps += 1
        if self._steps > MAX_STEPS:
            raise _TooComplex

    def _sequence(self, nodes: list[ts.Node], state: State) -> Outcome:
        outcome = Outcome.same(state)
        for node in nodes:
            if node.type in ("comment", "heredoc_body"):
                continue
            background = node.next_sibling is not None and node.next_sibling.type == "&"
            result = self._statement(node, outcome.after)
            outcome = Outcome.same(outcome.after) if background else result
        return outcome

    def _statement(self, node: ts.Node, state: State) -> Outcome:
        self._tick()
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooComplex
            outcome = self._dispatch(node, state)
        finally:
            self._depth -= 1
        # `${x:=y}` and `${x=y}` assign: afterwards x holds a value we did not follow
        if node.type in ("for_statement", "case_statement"):
            assigned = set().union(
                *map(expansion_assignments, node.children_by_field_name("value"))
            )
        elif node.type in _LEAVES:
            assigned = expansion_assignments(node)
        else:
            assigned = set()  # the statements inside it have been through here
        if assigned:
            ok, failed = outcome.ok, outcome.failed
            for name in assigned:
                ok, failed = ok.set(name, None), failed.set(name, None)
            outcome = Outcome(ok, failed)
        return outcome

    def _dispatch(self, node: ts.Node, state: State) -> Outcome:
        kind = node.type
        named = [c for c in node.named_children if c.type != "comment"]
        match kind:
            case "command":
                return self._simple(node, state, [], stdin_file=False)
            case "redirected_statement":
                return self._redirected(node, state)
            case "list":
                return self._list(node, state)
            case "pipeline":
                for child in named:
                    self._statement(child, state)
                return Outcome.same(state)
            case "subshell":
                self._sequence(named, state)
                return Outcome.same(state)
            case "compound_statement" if node.children and node.children[0].type == "((":
                return Outcome.same(self._arithmetic(node, state))
            case "compound_statement" | "do_group" | "else_clause":
                return self._sequence(named, state)
            case "negated_command":
                inner = self._sequence(named, state)
                return Outcome(inner.failed, inner.ok)
            case "if_statement" | "elif_clause" | "case_statement" | "case_item":
                return self._branches(node, state)
            case "while_statement" | "for_statement" | "c_style_for_statement":
                return self._loop(node, state)
            case "function_definition":
                self._function_names |= {text_of(c) for c in named if c.type == "word"}
                self._functions += 1
                try:
                    self._sequence([c for c in named if c.type != "word"], state)
                finally:
                    self._functions -= 1
                return Outcome.same(state)
            case "variable_assignment" | "variable_assignments":
                for assignment in [node] if kind == "variable_assignment" else named:
                    state = self._assign(assignment, state, shell=True)
                return Outcome.same(state)
            case "declaration_command":
                return Outcome.same(self._declare(node, state))
            case "unset_command":
                for child in named:
                    state = state.set(text_of(child), None)
                return Outcome.same(state)
            case "test_command":
                self._test(node, state)
                return Outcome.same(state)
        self.person(f"{quoted(text_of(node))} is shell syntax these checks do not read")
        return Outcome.same(state)

    def _list(self, node: ts.Node, state: State) -> Outcome:
        children = [c for c in node.children if c.type != "comment"]
        outcome = self._statement(children[0], state)
        for op, right in zip(children[1::2], children[2::2], strict=False):
            if op.type == "&&":
                result = self._statement(right, outcome.ok)
                outcome = Outcome(result.ok, outcome.failed.merge(result.failed))
            else:
                result = self._statement(right, outcome.failed)
                outcome = Outcome(outcome.ok.merge(result.ok), result.failed)
        return outcome

    def _branches(self, node: ts.Node, state: State) -> Outcome:
        """if/elif/else and case: every branch may run, from the state after the test."""
        statements = [c for c in node.named_children if c.type != "comment"]
        if node.type in ("case_statement", "case_item"):
            values = node.children_by_field_name("value")
            for value in values:
                self._reader(state).words(value)  # only compared with patterns: any value
            result = state
            for child in (c for c in statements if c not in values):
                result = result.merge(self._statement(child, state).after)
            return Outcome.same(result)
        then = next((i for i, c in enumerate(node.children) if c.type == "then"), 0)
        tests = [c for c in node.children[:then] if c.is_named and c.type != "comment"]
        after = self._sequence(tests, state).after
        body = [c for c in statements if c not in tests]
        result = after.merge(
            self._sequence(
                [c for c in body if c.type not in ("elif_clause", "else_clause")], after
            ).after
        )
        for clause in (c for c in body if c.type in ("elif_clause", "else_clause")):
            result = result.merge(self._statement(clause, after).after)
        return Outcome.same(result)

    def _loop(self, node: ts.Node, state: State) -> Outcome:
        """A loop body may run any number of times: read it twice; if the folders it may be
        in still change, where it ends cannot be known."""
        first = state.merge(self._loop_once(node, state))
        if first == state:
            return Outcome.same(first)
        second = first.merge(self._loop_once(node, first))
        if second.cwds != first.cwds:
            self.person("a `cd` inside a loop: the folder it ends in depends on how often it runs")
        return Outcome.same(second)

    def _loop_once(self, node: ts.Node, state: State) -> State:
        body = node.child_by_field_name("body")
        if node.type == "for_statement":
            variable = node.child_by_field_name("variable")
            values = node.children_by_field_name("value")
            known: tuple[Value, ...] | None = ()
            for value in values:
                for alternative in self._reader(state).words(value):
                    for word in alternative:
                        if word.plain is None or known is None:
                            known = None
                        else:
                            known += (Value(word.plain, word.pattern),)
                            self.path(word, state.cwds)
            if not values:
                known = None  # `for x; do`: the positional parameters
            if variable is not None:
                state = state.set(text_of(variable), known)
        elif node.type == "c_style_for_statement":
            state = self._arithmetic(node, state, skip={body.id} if body else set())
        else:
            tests = [c for c in node.children_by_field_name("condition") if c.is_named]
            state = self._sequence(tests, state).after
        return self._statement(body, state).after if body is not None else state

    # --- words, assignments, arithmetic ---------------------------------------------------------

    def _reader(self, state: State) -> WordReader:
        return WordReader(state.variables, lambda n: self._arithmetic(n, state), tuple(state.cwds))

    def _arithmetic(self, node: ts.Node, state: State, skip: set[int] | None = None) -> State:
        assigned, reasons = arithmetic(node, state.variables, skip)
        for reason in reasons:
            self.person(reason)
        for name in assigned:
            state = state.set(name, (Value("0"),))
        return state

    def _arithmetic_read(self, name: str, where: ts.Node | str, state: State) -> None:
        text = where if isinstance(where, str) else text_of(where)
        if reason := read_reason(name, text, state.variables):
            self.person(reason)

    def _assign(
        self, node: ts.Node, state: State, *, shell: bool, persists: bool | None = None
    ) -> State:
        """`NAME=VALUE`: checked as an assignment; with `shell`, the variable is set (and
        `persists`: the assignment stays in the shell, default `shell`)."""
        name_node = node.child_by_field_name("name")
        value_node = node.child_by_field_name("value")
        name = text_of(name_node) if name_node is not None else ""
        appends = any(c.type == "+=" for c in node.children)
        if name_node is None or name_node.type != "variable_name" or not re.fullmatch(r"\w+", name):
            self.person(f"{quoted(text_of(node))} assigns in a way these checks do not read")
            return state
        if value_node is None:
            words: list[Word] = [Word("", "")]
        elif value_node.type == "array":
            words = [w for c in value_node.named_children for alt in self._reader(state).words(c)
                     for w in alt]  # fmt: skip
            appends = True
        else:
            reader = self._reader(
                state.set(name, (Value(""),)) if name in PATH_VARIABLES else state
            )
            words = [w for alt in reader.words(value_node) for w in alt] or [Word("", "")]
        if name in SHELL_VARIABLES and (shell if persists is None else persists):
            self.person(
                f"setting {quoted(name)} changes how the shell reads the rest of the command"
            )
        for word in words:
            self.assignment(name, word, state.cwds)
        if not shell:
            return state
        known = (
            None
            if appends or any(w.plain is None for w in words)
            else tuple(Value(w.plain or "") for w in words)
        )
        return state.set(name, known)

    def _declare(self, node: ts.Node, state: State) -> State:
        keyword = node.children[0].type if node.children else ""
        flags = "".join(text_of(c)[1:] for c in node.named_children
                        if c.type == "word" and text_of(c).startswith(("-", "+")))  # fmt: skip
        if set(flags) & set("in"):
            self.person(
                f"`{keyword} -{flags}`: integer and name-reference variables make later"
                " assignments run arithmetic or write other variables"
            )
        for child in node.named_children:
            if child.type == "variable_assignment":
                state = self._assign(child, state, shell=True)
                if set(flags) & set("aA"):
                    state = state.set(text_of(child.child_by_field_name("name") or child), None)
            elif child.type == "variable_name" and keyword != "export":
                state = state.set(text_of(child), None)
            elif child.type not in ("word", "variable_name"):
                self.person(f"{quoted(text_of(child))} in `{keyword}` cannot be read")
        return state

    def _test(self, node: ts.Node, state: State) -> None:
        """`[ ]` and `[[ ]]` only look at files, but their words are checked as paths like any
        other; `[[ x -eq y ]]` is arithmetic."""
        operators = {"-eq", "-ne", "-lt", "-le", "-gt", "-ge"}
        expressions = {"test_command", "binary_expression", "unary_expression",
                       "parenthesized_expression", "negated_expression"}  # fmt: skip
        reader = self._reader(state)
        for child in walk(node, substitution_ids(node)):
            parent = child.parent
            if not child.is_named or parent is None or parent.type not in expressions:
                continue
            if child.type in expressions or child.type == "test_operator":
                continue
            for alternative in reader.words(child):
                for word in alternative:
                    self.path(word, state.cwds)
            op = parent.child_by_field_name("operator")
            if node.children[0].type == "[[" and op is not None and text_of(op) in operators:
                self._arithmetic(child, state)
                if child.type == "word" and re.fullmatch(r"[A-Za-z_]\w*", text_of(child)):
                    self._arithmetic_read(text_of(child), node, state)

    # --- simple commands ----------------------------------------------------------------------

    def _redirected(self, node: ts.Node, state: State) -> Outcome:
        body = node.child_by_field_name("body")
        redirects = node.children_by_field_name("redirect")
        extra: list[ts.Node] = []
        stdin_file = False
        for redirect in flatten_redirects(redirects):
            extra += self._redirect(redirect, state)
            stdin_file |= reads_file(redirect)
        if body is None:
            return Outcome.same(state)
        if body.type == "command":
            return self._simple(body, state, extra, stdin_file=stdin_file)
        if extra:
            self.person(f"{quoted(text_of(node))}: words after a redirection of a compound command")
        return self._statement(body, state)

    def _redirect(self, node: ts.Node, state: State) -> list[ts.Node]:
        """Checks a redirection's target; returns the words tree-sitter put after it (they
        are the command's arguments: `cmd >out arg`)."""
        if node.type != "file_redirect":
            return []
        destinations = node.children_by_field_name("destination")
        if not destinations:
            return []
        target, rest = destinations[0], destinations[1:]
        if target.type == "number" and operator(node) in (">&", "<&"):
            return rest
        for alternative in self._reader(state).words(target):
            for word in alternative:
                if word.plain is None:
                    self.person(f"{quoted(word.source)} decides the file a redirection opens")
                else:
                    self.path(word, state.cwds)
        return rest

    def _simple(
        self, node: ts.Node, state: State, extra: list[ts.Node], *, stdin_file: bool
    ) -> Outcome:
        name_node = node.child_by_field_name("name")
        program_text = text_of(name_node) if name_node is not None else ""
        persists = program_text in SPECIAL_BUILTINS or program_text in self._function_names
        arguments: list[ts.Node] = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                self._assign(child, state, shell=False, persists=persists)
            elif child.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                for redirect in flatten_redirects([child]):
                    arguments += self._redirect(redirect, state)
                    stdin_file |= reads_file(redirect)
            elif child != name_node and child.type != "comment":
                arguments.append(child)
        arguments += extra
        if name_node is None:
            return Outcome.same(state)
        reader = self._reader(state)
        word_node = name_node.named_children[0] if name_node.named_child_count == 1 else name_node
        expansions = ("simple_expansion", "expansion", "command_substitution")
        program = reader.words(word_node)
        if any(n.type in expansions for n in walk(word_node, set())) or [
            len(words) for words in program
        ] != [1]:
            self.person(
                f"{quoted(text_of(name_node))} decides which program runs: it cannot be checked"
                " before the command runs"
            )
            return Outcome.same(state)
        args = [reader.words(a) for a in arguments]
        for alternatives in args:
            for alternative in alternatives:
                for word in alternative:
                    self.path(word, state.cwds)
        combos = list(itertools.islice(itertools.product(*args), MAX_COMBINATIONS + 1))
        if len(combos) > MAX_COMBINATIONS:
            self.person(f"{quoted(text_of(node))} stands for too many argument lists to check")
            combos = combos[:MAX_COMBINATIONS]
        outcome: Outcome | None = None
        for combo in combos:
            argv = [program[0][0], *itertools.chain.from_iterable(combo)]
            result = self._run(argv, state, stdin_file)
            outcome = (
                result
                if outcome is None
                else Outcome(outcome.ok.merge(result.ok), outcome.failed.merge(result.failed))
            )
        return outcome or Outcome.same(state)

    def _run(self, argv: list[Word], state: State, stdin_file: bool) -> Outcome:
        """One simple command in the shell itself: the builtins that change the shell's state,
        then what the program does."""
        name = argv[0].plain or ""
        texts = [w.plain for w in argv[1:]]
        self._examine(
            argv, state.cwds, stdin_file=stdin_file, shell_builtin=name in _FOLDER_PROGRAMS
        )
        if name in _FOLDER_PROGRAMS:
            return self._folder(name, argv[1:], state)
        if name == "let":
            for text in texts:
                for match in re.finditer(r"([A-Za-z_]\w*)\s*(=(?!=))?", text or ""):
                    if not match.group(2):
                        self._arithmetic_read(match.group(1), f"let {text}", state)
        if name in ("read", "mapfile", "readarray", "getopts", "printf", "let", "wait"):
            for text in texts:
                if text and re.fullmatch(r"[A-Za-z_]\w*", text.split("=")[0].split("[")[0]):
                    state = state.set(text.split("=")[0].split("[")[0], None)
            for default in ("REPLY", "MAPFILE", "OPTARG", "OPTIND"):
                state = state.set(default, None)
        return Outcome.same(state)

    def _examine(
        self, argv: list[Word], cwds: frozenset[str], *, stdin_file: bool, shell_builtin=False
    ) -> None:
        self._tick()
        self._depth += 1
        saved, self._cwds = self._cwds, cwds
        try:
            if self._depth > MAX_DEPTH:
                raise _TooComplex
            program = argv[0]
            if program.plain is None:
                self.person(f"{quoted(program.source)} decides which program runs")
                return
            if program.pattern or program.plain.startswith("-") or not program.plain:
                self.person(f"{quoted(program.source)} is not a program name these checks can read")
                return
            for word in argv if "/" in program.plain else argv[1:]:
                self.path(word, cwds)
            texts = [w.plain for w in argv]
            if all(t is not None for t in texts):
                self.findings.commands.append([t or "" for t in texts])
            else:
                self.findings.unreadable = True
            if not shell_builtin:
                programs.examine(argv, self, stdin_file=stdin_file)
        finally:
            self._cwds = saved
            self._depth -= 1

    def _folder(self, name: str, args: list[Word], state: State) -> Outcome:
        """cd, pushd and popd: where the shell goes."""
        options = [a for a in itertools.takewhile(lambda w: (w.plain or "").startswith("-")
                                                  and w.plain not in ("-", "--"), args)]  # fmt: skip
        operands = args[len(options) :]
        if operands and operands[0].plain == "--":
            operands = operands[1:]
        if self._functions:
            self.person(
                f"a function that runs {quoted(name)}: where later commands run is not known"
            )
            return Outcome.same(state)
        if name == "popd" or (name == "pushd" and (not operands or re.fullmatch(
                r"[+-]\d+", operands[0].plain or ""))):  # fmt: skip
            # the directory stack only holds folders this command was in (or the start)
            seen = state.seen
            return Outcome(replace(state, cwds=seen), state)
        if not operands:
            self.person("`cd` with no folder goes to the home folder, outside the project")
            return Outcome.same(state)
        target = operands[0]
        where = f"`{name} {target.source}`"
        if target.plain is None:
            self.person(f"{where}: the folder is not known before the command runs")
        elif target.plain == "-":
            self.person(f"{where} goes back to $OLDPWD, which is not known before it runs")
        elif target.plain.startswith("~"):
            self.person(f"{where} goes to a home folder, outside the project")
        elif target.pattern:
            self.person(f"{where}: a pattern decides the folder")
        else:
            cwds = frozenset(os.path.realpath(os.path.join(c, target.plain)) for c in state.cwds)
            if not all(self.paths.within(c) for c in cwds):
                self.person(f"{where} leaves the project")
                return Outcome.same(state)
            if any(o.plain and "n" in o.plain for o in options) and name == "pushd":
                return Outcome.same(state)
            moved = State(cwds, state.variables, state.seen | cwds)
            return Outcome(moved, state)
        return Outcome.same(state)

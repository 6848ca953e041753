"""Shell words read off a tree-sitter-bash syntax tree: what each word can expand to before the
command runs, or that it cannot be known.

A word is a list of pieces (literal text, quoted or not, and values of variables the command
itself set); brace expansion and field splitting run on them as the shell would. A value that
comes from outside the command (`$HOME`, `$1`, `${x:-y}`, a substitution) makes the word
unknown: the caller decides what that means for the program that gets it. Arithmetic expands to
a number (the caller checks what it reads first). Globs stay patterns (`Word.pattern`), which the
path checks expand in each folder the command may be in.
"""

from __future__ import annotations

import glob
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import tree_sitter as ts

from rigtui.sandbox.shell_tree import text_of

MAX_WORDS = 64  # alternatives one argument may expand to before we stop reading it


@dataclass(frozen=True)
class Word:
    """One word as the program will get it. `plain` is None when it cannot be known before
    the command runs; `source` is how it was written (for reasons)."""

    plain: str | None
    source: str
    pattern: str = ""  # a glob pattern when the shell will expand it, else ""

    @property
    def known(self) -> bool:
        return self.plain is not None


@dataclass(frozen=True)
class Value:
    """A value a variable may hold: text, and the glob it came from (a `for` list word)."""

    text: str
    pattern: str = ""


@dataclass(frozen=True)
class _Piece:
    text: str
    pattern: str  # the text as a glob pattern (quoted characters escaped)
    split: bool = False  # an unquoted expansion: the shell splits it at blanks
    brace: bool = False  # unquoted literal text: brace expansion applies


class Unknown(Exception):
    """A word whose value cannot be known before the command runs; `what` names the part."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


Vars = Mapping[str, tuple[Value, ...]]
# Called for every arithmetic node met inside a word: checks what the shell will evaluate.
ArithmeticHook = Callable[[ts.Node], None]

_GLOB = re.compile(r"[*?\[]")
_SPECIAL_NUMBERS = {"?", "#", "$", "!", "-"}  # values that are numbers or option letters
_ANSI_C = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
           "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}  # fmt: skip


def _literal(text: str, quoted: bool) -> _Piece:
    if quoted:
        return _Piece(text, glob.escape(text))
    return _Piece(text, text, brace=True)


def _unescape_word(text: str) -> list[_Piece]:
    """An unquoted word's text: `\\x` is a quoted x, backslash-newline vanishes."""
    out: list[_Piece] = []
    plain, i = "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            if plain:
                out.append(_literal(plain, False))
                plain = ""
            if text[i + 1] != "\n":
                out.append(_literal(text[i + 1], True))
            i += 2
            continue
        if text[i] == "`":
            raise Unknown(text)
        plain += text[i]
        i += 1
    if plain:
        out.append(_literal(plain, False))
    return out


def _unescape_double(text: str) -> str:
    """Text inside double quotes: a backslash escapes only $ ` " \\ and newline."""
    return re.sub(r'\\([$`"\\\n])', lambda m: "" if m.group(1) == "\n" else m.group(1), text)


def ansi_c(body: str) -> str:
    """The value of `$'...'` (bash's ANSI-C quoting), so `$'\\x2e\\x2e'` reads as `..`."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in _ANSI_C:
            out.append(_ANSI_C[n])
            i += 2
        elif n in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1 :]).group()  # type: ignore[union-attr]
            out.append(chr(int(digits, 8) & 0xFF))
            if out[-1] == "\x00":  # the shell's strings end at NUL
                out.pop()
                break
            i += 1 + len(digits)
        elif n in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[n]
            digits = re.match(rf"[0-9a-fA-F]{{1,{size}}}", body[i + 2 :])
            if digits is None:
                out.append("\\" + n)
                i += 2
            else:
                out.append(chr(min(int(digits.group(), 16), 0x10FFFF)))
                i += 2 + len(digits.group())
                if out[-1] == "\x00":  # the shell's strings end at NUL
                    out.pop()
                    break
        elif n == "c" and i + 2 < len(body):
            out.append(chr(ord(body[i + 2]) & 0x1F))
            i += 3
        else:
            out.append("\\" + n)
            i += 2
    return "".join(out)


class WordReader:
    """Reads argument nodes into words, given the variables the command set so far."""

    def __init__(self, variables: Vars, on_arithmetic: ArithmeticHook, pwd: tuple[str, ...]):
        self.variables = variables
        self.on_arithmetic = on_arithmetic
        self.pwd = pwd

    def words(self, node: ts.Node) -> list[list[Word]]:
        """The alternatives `node` may expand to, each a list of words (brace expansion and
        splitting can make several, an empty expansion none). A word that cannot be known
        comes back as one alternative with one unknown word."""
        source = text_of(node)
        try:
            alternatives = self._pieces(node, quoted=False)
            if len(alternatives) > MAX_WORDS:
                raise Unknown(source)
            out: list[list[Word]] = []
            for pieces in alternatives:
                for expanded in _braces(pieces):
                    out.append(_split(expanded, source))
                    if len(out) > MAX_WORDS:
                        raise Unknown(source)
            return out
        except Unknown as unknown:
            return [[Word(None, unknown.what)]]

    def _pieces(self, node: ts.Node, quoted: bool) -> list[list[_Piece]]:
        kind, text = node.type, text_of(node)
        if not node.is_named:
            if kind == "$":  # a lone dollar sign is literal text
                return [[_literal("$", quoted)]]
            if kind == '"':
                return [[]]
            raise Unknown(text)
        match kind:
            case "word" | "number" | "extglob_pattern" | "regex" | "brace_expression":
                if quoted:
                    return [[_literal(_unescape_double(text), True)]]
                return [_unescape_word(text)]
            case "raw_string":
                return [[_literal(text[1:-1], True)]]
            case "ansi_c_string":
                return [[_literal(ansi_c(text[2:-1]), True)]]
            case "string_content" | "heredoc_content":
                return [[_literal(_unescape_double(text), True)]]
            case "string" | "translated_string":
                parts = [c for c in node.children if c.type != "$" or c.is_named or quoted]
                if kind == "translated_string":
                    parts = [c for c in node.children if c.is_named]
                return self._join([self._pieces(c, quoted=True) for c in parts if c.type != '"'])
            case "concatenation":
                return self._join([self._pieces(c, quoted) for c in node.children])
            case "simple_expansion" | "expansion":
                return self._expansion(node, quoted)
            case "arithmetic_expansion":
                self.on_arithmetic(node)
                return [[_literal("0", quoted)]]
        raise Unknown(text)  # substitutions and anything we do not know how to read

    def _join(self, parts: list[list[list[_Piece]]]) -> list[list[_Piece]]:
        total = 1
        for alternatives in parts:
            total *= max(1, len(alternatives))
            if total > MAX_WORDS:
                raise Unknown("")
        return [list(itertools.chain.from_iterable(combo)) for combo in itertools.product(*parts)]

    def _expansion(self, node: ts.Node, quoted: bool) -> list[list[_Piece]]:
        """`$name`, `${name}` and `${#name}` of a variable the command set itself, `$PWD`,
        and the special parameters that are numbers; anything else is unknown."""
        text = text_of(node)
        named = [c for c in node.children if c.is_named]
        signs = [c.type for c in node.children if not c.is_named]
        if len(named) != 1 or named[0].type not in ("variable_name", "special_variable_name"):
            raise Unknown(text)
        name = text_of(named[0])
        if node.type == "expansion" and signs == ["${", "#", "}"]:
            return [[_literal("0", quoted)]]  # a length: a number
        if node.type == "expansion" and signs != ["${", "}"]:
            raise Unknown(text)
        if name in _SPECIAL_NUMBERS:
            return [[_literal("0", quoted)]]
        if name == "PWD" and "PWD" not in self.variables:
            values: tuple[Value, ...] = tuple(Value(p) for p in self.pwd)
        elif name in self.variables:
            values = self.variables[name]
        else:
            raise Unknown(text)
        out = []
        for value in values:
            if value.pattern:
                pattern = value.pattern
            else:
                pattern = glob.escape(value.text) if quoted else value.text
            out.append([_Piece(value.text, pattern, split=not quoted)])
        return out


def _braces(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Brace expansion over the unquoted literal text: `{a,b}x` -> `ax`, `bx`; `{1..3}`."""
    tokens: list[_Piece] = []
    for piece in pieces:
        if piece.brace:
            tokens += [_Piece(c, c, brace=True) for c in piece.text]
        else:
            tokens.append(piece)
    return [_merge(t) for t in _expand_tokens(tokens, [0])]


def _expand_tokens(tokens: list[_Piece], budget: list[int]) -> list[list[_Piece]]:
    for i, token in enumerate(tokens):
        if not (token.brace and token.text == "{"):
            continue
        depth, commas, end = 0, [], -1
        for j in range(i + 1, len(tokens)):
            t = tokens[j]
            if not t.brace:
                continue
            if t.text == "{":
                depth += 1
            elif t.text == "}":
                if depth == 0:
                    end = j
                    break
                depth -= 1
            elif t.text == "," and depth == 0:
                commas.append(j)
        if end < 0:
            return [tokens]
        inner = tokens[i + 1 : end]
        if commas:
            bounds = [i, *commas, end]
            parts = [tokens[a + 1 : b] for a, b in itertools.pairwise(bounds)]
        else:
            sequence = (
                _sequence("".join(t.text for t in inner)) if all(t.brace for t in inner) else None
            )
            if sequence is None:
                continue
            parts = [[_Piece(s, s)] for s in sequence]
        out: list[list[_Piece]] = []
        for part in parts:
            budget[0] += 1
            if budget[0] > MAX_WORDS:
                raise Unknown("".join(t.text for t in tokens))
            out += _expand_tokens(tokens[:i] + part + tokens[end + 1 :], budget)
        return out
    return [tokens]


def _sequence(text: str) -> list[str] | None:
    numbers = re.fullmatch(r"(-?\d+)\.\.(-?\d+)(?:\.\.-?\d+)?", text)
    if numbers:
        a, b = int(numbers.group(1)), int(numbers.group(2))
        if abs(a - b) > MAX_WORDS:
            raise Unknown(text)
        step = 1 if b >= a else -1
        return [str(n) for n in range(a, b + step, step)]
    letters = re.fullmatch(r"([A-Za-z])\.\.([A-Za-z])(?:\.\.-?\d+)?", text)
    if letters:
        a, b = ord(letters.group(1)), ord(letters.group(2))
        step = 1 if b >= a else -1
        return [chr(n) for n in range(a, b + step, step)]
    return None


def _merge(tokens: list[_Piece]) -> list[_Piece]:
    out: list[_Piece] = []
    for t in tokens:
        if out and t.brace and out[-1].brace:
            out[-1] = _Piece(out[-1].text + t.text, out[-1].pattern + t.pattern, brace=True)
        else:
            out.append(t)
    return out


def _split(pieces: list[_Piece], source: str) -> list[Word]:
    """Field splitting of unquoted expansions, then the words with their glob patterns."""
    words: list[tuple[str, str]] = []
    text, pattern, started = "", "", False
    for piece in pieces:
        if not piece.split:
            text, pattern, started = text + piece.text, pattern + piece.pattern, True
            continue
        fields = re.split(r"[ \t\n]+", piece.text)
        pattern_fields = re.split(r"[ \t\n]+", piece.pattern) if piece.pattern else fields
        if len(pattern_fields) != len(fields):
            pattern_fields = fields
        for k, (field, field_pattern) in enumerate(zip(fields, pattern_fields, strict=True)):
            if k > 0:
                if started:
                    words.append((text, pattern))
                text, pattern, started = "", "", False
            if field:
                text, pattern, started = text + field, pattern + field_pattern, True
    if started:
        words.append((text, pattern))
    return [Word(t, source, p if _GLOB.search(p) and p != glob.escape(t) else "") for t, p in words]


class Scan(Protocol):
    def person(self, reason: str) -> None: ...
    def assignment(self, name: str, value: Word) -> None: ...
    def nested(
        self, argv: list[Word], *, chdir: Word | None = None, stdin_file: bool = False
    ) -> None: ...

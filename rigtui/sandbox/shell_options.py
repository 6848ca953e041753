"""Reading a program's options the way getopt does: short letters in clusters (`-lc`), values
attached or in the next word, long options with `=` or the next word, `--` ending them, and
the operands after. What cannot be read (an unknown option, a word whose value is not known)
is said in `Parsed.problem`, and then nothing after it is trusted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rigtui.sandbox.shell_tree import quoted
from rigtui.sandbox.shell_words import Word


@dataclass(frozen=True)
class Options:
    """How a program's options look: short letters with a value (attached or the next word),
    short letters that take none, letters whose value can only be attached (perl's `-i.bak`),
    long options with and without values, whether `+o` style options exist (shells) and
    whether `-10` is an option (nice)."""

    short_value: str = ""
    short_flags: str = ""
    attached: str = ""
    long_value: frozenset[str] = frozenset()
    long_flags: frozenset[str] = frozenset()
    plus: bool = False
    numeric: bool = False
    any_long: bool = False  # unknown `--name` is a flag (interpreters have hundreds)
    stop: str = ""  # letters whose value ends the options (python's `-m mod`: the rest is its)
    permute: bool = False  # options may follow operands (GNU getopt: sed)


@dataclass
class Parsed:
    options: list[tuple[str, Word | None]] = field(default_factory=list)
    operands: list[Word] = field(default_factory=list)
    problem: str = ""  # why the options could not be read (then nothing else is trusted)

    def has(self, *names: str) -> bool:
        return any(name in names for name, _ in self.options)

    def values(self, *names: str) -> list[Word]:
        return [v for name, v in self.options if name in names and v is not None]


def parse_options(args: list[Word], spec: Options) -> Parsed:
    """Split `args` into options and the operands from the first non-option on."""
    out = Parsed()
    i = 0
    while i < len(args):
        word = args[i]
        text = word.plain
        if text is None:
            out.problem = f"{quoted(word.source)} may be an option: its value is not known"
            return out
        if text == "--":
            out.operands += args[i + 1 :]
            return out
        if text.startswith("--") and len(text) > 2:
            name, eq, value = text[2:].partition("=")
            if name in spec.long_value:
                if eq:
                    out.options.append(("--" + name, Word(value, word.source)))
                elif i + 1 < len(args):
                    i += 1
                    out.options.append(("--" + name, args[i]))
                else:
                    out.options.append(("--" + name, None))
            elif name in spec.long_flags or eq or spec.any_long:
                out.options.append(("--" + name, Word(value, word.source) if eq else None))
            else:
                out.problem = f"unknown option {quoted(text)}"
                return out
        elif (text.startswith("-") or (spec.plus and text.startswith("+"))) and len(text) > 1:
            if spec.numeric and re.fullmatch(r"-\d+", text):
                out.options.append(("-n", Word(text[1:], word.source)))
                i += 1
                continue
            sign = text[0]
            for k, letter in enumerate(text[1:], start=1):
                rest = text[k + 1 :]
                if letter in spec.attached:
                    out.options.append((sign + letter, Word(rest, word.source)))
                    break
                if letter in spec.short_value:
                    if rest:
                        out.options.append((sign + letter, Word(rest, word.source)))
                    elif i + 1 < len(args):
                        i += 1
                        out.options.append((sign + letter, args[i]))
                    else:
                        out.options.append((sign + letter, None))
                    if letter in spec.stop:
                        out.operands += args[i + 1 :]
                        return out
                    break
                if letter in spec.short_flags:
                    out.options.append((sign + letter, None))
                    continue
                out.problem = f"unknown option {quoted(sign + letter)} in {quoted(text)}"
                return out
        elif spec.permute:
            out.operands.append(word)
        else:
            out.operands = args[i:]
            return out
        i += 1
    return out


def names(*names: str) -> frozenset[str]:
    return frozenset(names)

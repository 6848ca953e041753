"""The syntax tree of a shell command (tree-sitter-bash, MIT) and small questions about it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import tree_sitter as ts

_parser: ts.Parser | None = None
_source = threading.local()  # the bytes of the command this thread parsed last
# Bytes 0x80-0xff given to the grammar as this letter: bash reads every non-ASCII byte as part
# of a word, so the tree has the same shape, and tree-sitter-bash's scanner crashes (SIGSEGV)
# on some characters (e.g. U+D5201 after `{`). Offsets stay those of the real bytes.
_ASCII = bytes(range(128)) + b"a" * 128


def parse(text: str) -> ts.Tree:
    """The syntax tree of `text` as bash reads it (the parser is made once, on first use).
    `text_of` reads nodes of the last tree parsed in this thread from the real bytes."""
    global _parser
    if _parser is None:
        import tree_sitter_bash

        _parser = ts.Parser(ts.Language(tree_sitter_bash.language()))
    data = text.encode("utf-8", "surrogateescape")
    _source.data = data
    return _parser.parse(data.translate(_ASCII))


def quoted(text: str, limit: int = 60) -> str:
    """`text` in backquotes for a reason, shortened."""
    return f"`{text if len(text) <= limit else text[: limit - 1] + '…'}`"


def text_of(node: ts.Node) -> str:
    data: bytes | None = getattr(_source, "data", None)
    raw = data[node.start_byte : node.end_byte] if data is not None else node.text or b""
    return raw.decode("utf-8", "surrogateescape")


def walk(node: ts.Node, skip: set[int] | None = None) -> Iterator[ts.Node]:
    """`node` and everything under it, in order, without the subtrees whose ids are in `skip`
    (no recursion: trees can be deep)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if skip and current.id in skip:
            continue
        yield current
        stack.extend(reversed(current.children))


def errors(root: ts.Node) -> Iterator[ts.Node]:
    return (n for n in walk(root) if n.type == "ERROR" or n.is_missing)


def expansion_assignments(node: ts.Node) -> set[str]:
    """Variables `${x:=y}` and `${x=y}` under `node` assign."""
    names = set()
    for child in walk(node):
        if child.type == "expansion" and any(c.type in ("=", ":=") for c in child.children):
            names |= {text_of(c) for c in child.named_children if c.type == "variable_name"}
    return names


def substitution_ids(node: ts.Node) -> set[int]:
    kinds = ("command_substitution", "process_substitution")
    return {n.id for n in walk(node) if n.type in kinds and n != node}


def quoted_heredoc(node: ts.Node) -> bool:
    """`<<'EOF'`, `<<"EOF"`, `<<\\EOF`: the body is taken literally."""
    start = next((c for c in node.children if c.type == "heredoc_start"), None)
    return start is not None and any(q in text_of(start) for q in "'\"\\")


def flatten_redirects(redirects: list[ts.Node]) -> Iterator[ts.Node]:
    """Redirections, with the ones tree-sitter nests inside a heredoc's (`<<EOF > out`)."""
    for redirect in redirects:
        yield redirect
        if redirect.type == "heredoc_redirect":
            yield from flatten_redirects(redirect.children_by_field_name("redirect"))


def reads_file(redirect: ts.Node) -> bool:
    """`< file`: standard input is a file (not a device or another descriptor)."""
    if redirect.type != "file_redirect" or operator(redirect) != "<":
        return False
    descriptor = redirect.child_by_field_name("descriptor")
    if descriptor is not None and text_of(descriptor) != "0":
        return False
    target = (redirect.children_by_field_name("destination") or [None])[0]
    return target is not None and not text_of(target).startswith(("/dev/", "/proc/"))


def operator(redirect: ts.Node) -> str:
    return next((c.type for c in redirect.children if not c.is_named), "")


def substitution_reasons(root: ts.Node, data: bytes) -> list[str]:
    """Why the command needs a person for its substitutions: every command or process
    substitution, and any `$(`, backtick, `<(` or `>(` in the text (`data`) that the parser
    did not read as literal text, in case it reads them differently from the shell (it misses
    backticks in heredocs)."""
    reasons: list[str] = []
    literal: list[tuple[int, int]] = []
    arithmetic: set[int] = set()  # where `$((` starts: not a substitution
    for node in walk(root):
        if node.type == "arithmetic_expansion":
            arithmetic.add(node.start_byte)
        if node.type in ("command_substitution", "process_substitution"):
            kind = node.type.replace("_", " ")
            reasons.append(
                f"{kind} {quoted(text_of(node))}: what it runs cannot be checked before it runs"
            )
            literal.append((node.start_byte, node.end_byte))
        elif node.type in ("raw_string", "comment", "ansi_c_string"):
            literal.append((node.start_byte, node.end_byte))
        elif node.type == "heredoc_redirect" and quoted_heredoc(node):
            literal += [(b.start_byte, b.end_byte) for b in node.children
                        if b.type == "heredoc_body"]  # fmt: skip
    for match in re.finditer(rb"\$\(|`|<\(|>\(", data):
        start = match.start()
        if start in arithmetic and data[start : start + 3] == b"$((":
            continue
        if not any(a <= start < b for a, b in literal):
            reasons.append(
                f"{quoted(match.group().decode())} at character {start + 1} may start a"
                " substitution: what it runs cannot be checked before it runs"
            )
            break
    return reasons

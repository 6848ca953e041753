"""Which tree-sitter grammar and tags query a file gets. Grammars come from the per-language
wheels; queries are ours, in `queries/*.scm`. Everything is loaded lazily and cached per
process, so a pool worker pays for a language only when it meets one."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tree-sitter loads with the first grammar: a run with nothing to parse
    import tree_sitter as ts  # (a no-change re-index) never pays for it

QUERY_DIR = Path(__file__).with_name("queries")

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java", ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".hpp": "cpp", ".hh": "cpp",
    ".hxx": "cpp", ".h++": "cpp", ".ipp": "cpp", ".rb": "ruby", ".rake": "ruby",
}  # fmt: skip

# language -> (wheel module, function returning the grammar, query files concatenated)
_GRAMMARS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "python": ("tree_sitter_python", "language", ("python",)),
    "javascript": ("tree_sitter_javascript", "language", ("ecmascript", "javascript")),
    "typescript": ("tree_sitter_typescript", "language_typescript", ("ecmascript", "typescript")),
    "tsx": ("tree_sitter_typescript", "language_tsx", ("ecmascript", "typescript")),
    "go": ("tree_sitter_go", "language", ("go",)),
    "rust": ("tree_sitter_rust", "language", ("rust",)),
    "java": ("tree_sitter_java", "language", ("java",)),
    "c": ("tree_sitter_c", "language", ("c",)),
    "cpp": ("tree_sitter_cpp", "language", ("cpp",)),
    "ruby": ("tree_sitter_ruby", "language", ("ruby",)),
}

LANGUAGES = tuple(_GRAMMARS)

# Kinds that open a scope: a function defined directly inside one of these is a method.
CONTAINER_KINDS = frozenset(
    {"class", "struct", "interface", "module", "namespace", "impl", "enum", "trait", "union"}
)
# Kinds that only give their members a parent and are not stored as definitions themselves.
SCOPE_ONLY_KINDS = frozenset({"impl"})


# What a pattern of a tags query captures: (its definition capture, the kind it defines, the
# kind of reference), from the capture names written in it (`@definition.KIND`,
# `@reference.KIND`). A pattern's capture names are fixed, so per match this is a lookup.
Role = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Grammar:
    name: str
    parser: ts.Parser
    query: ts.Query
    roles: tuple[Role, ...]  # by pattern number


# A `.h` file is C or C++. A C++ header parsed as C (a third of the `.h` files of the scale
# bench: highway, boost, xsimd) takes twice as long and loses definitions to syntax errors, so
# one whose first lines show C++ (a namespace, a template, access specifiers, `X::y(`) is C++.
_CPP_HEADER = re.compile(
    rb"^[ \t]*(?:namespace\b[^;\n]*\{|template\s*<|(?:public|private|protected)\s*:)"
    rb"|\bstd::|\w::~?\w+\s*\(",
    re.MULTILINE,
)
HEADER_SNIFF_BYTES = 32 * 1024


def language_for(path: str | Path, head: bytes = b"") -> str | None:
    """The language name for a path by its extension, or None (full-text search only). With
    `head` (the file's first bytes), a `.h` file that reads as C++ is C++."""
    suffix = Path(path).suffix.lower()
    if suffix == ".h" and _CPP_HEADER.search(head[:HEADER_SNIFF_BYTES]):
        return "cpp"
    return EXTENSIONS.get(suffix)


def query_source(language: str) -> str:
    _, _, parts = _GRAMMARS[language]
    return "\n".join((QUERY_DIR / f"{part}.scm").read_text() for part in parts)


@cache
def grammar(language: str) -> Grammar:
    import tree_sitter as ts

    module_name, function, _ = _GRAMMARS[language]
    module = importlib.import_module(module_name)
    lang = ts.Language(getattr(module, function)())
    source = query_source(language)
    query = ts.Query(lang, source)
    roles = pattern_roles(query, source)
    # A reference's node is not used, only its @name and the kind its capture names, so its
    # capture is not recorded: one node fewer per match (a tenth of the query's time).
    for _, _, reference in roles:
        if reference is not None:
            query.disable_capture(f"reference.{reference}")
    return Grammar(language, ts.Parser(lang), query, roles)


_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|;[^\n]*')
_CAPTURE = re.compile(r"@([A-Za-z_][\w.-]*)")


def pattern_roles(query: ts.Query, source: str) -> tuple[Role, ...]:
    """The role of each pattern of `query`, read from its text in `source`."""
    text = source.encode("utf-8")
    roles = []
    for i in range(query.pattern_count):
        piece = text[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)]
        names = _CAPTURE.findall(_STRING_OR_COMMENT.sub(" ", piece.decode("utf-8")))
        definition = next((c for c in names if c.startswith("definition.")), None)
        reference = next((c[10:] for c in names if c.startswith("reference.")), None)
        roles.append((definition, definition[11:] if definition else None, reference))
    return tuple(roles)

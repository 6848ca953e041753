"""Words for full-text search. SQLite's unicode61 tokenizer already splits `parse_config` at
the underscore; camelCase it keeps whole. So beside each chunk we index a second column with
the camelCase identifiers split (`parseConfig` -> `parse config`), and turn a query into
phrases of the same parts: `parse_config`, `parseConfig` and `config` then all meet.

Both sides split the same way: only a word with a case change inside is split into parts
(the index splits nothing else), and each query word also matches itself as written, so
`sha256`, `utf8_name`, `v2` and `edit39` find what the tokenizer kept whole."""

from __future__ import annotations

import re
from typing import NamedTuple

# Only identifiers with a case change inside them need a split copy; the regex engine skips
# everything else, which keeps this cheap on large files.
_CAMEL = re.compile(r"\b\w*(?:[a-z0-9][A-Z]|[A-Z][A-Z][a-z])\w*\b")
# Digits stay with the letters before them (`md5Sum` -> md5 sum), as the tokenizer keeps them.
_PARTS = re.compile(r"[A-Z]+\d*(?=[A-Z][a-z])|[A-Z]?[a-z]+\d*|[A-Z]+\d*|\d+")
_QUERY_TOKEN = re.compile(r"\w+")


def split_identifier(word: str) -> list[str]:
    """`parseConfig` -> [parse, config]; `HTTPServer_v2` -> [http, server, v2]."""
    return [p.lower() for piece in word.split("_") for p in _PARTS.findall(piece)]


def camel_words(text: str) -> str:
    """The split forms of the camelCase identifiers in `text`, one identifier per line."""
    return "\n".join(" ".join(split_identifier(m)) for m in _CAMEL.findall(text))


class Term(NamedTuple):
    token: str  # the word as typed
    parts: list[str]  # its parts as the index splits identifiers


def query_terms(text: str) -> list[Term]:
    """The user's words with their parts: `parse_config parseConfig sha256` ->
    (parse_config: parse, config), (parseConfig: parse, config), (sha256: sha256)."""
    terms = []
    for token in _QUERY_TOKEN.findall(text):
        if _CAMEL.fullmatch(token):
            parts = split_identifier(token)
        else:
            parts = [p for p in token.lower().split("_") if p]
        terms.append(Term(token, parts or [token.lower()]))
    return terms


def fts_query(terms: list[Term], *, prefix: bool = False) -> str:
    """An FTS5 query: every term must match, as a phrase of its parts or as written (FTS5
    tokenizes a quoted word as it tokenized the text). With `prefix`, the last term also
    matches longer words (for search-as-you-type)."""
    phrases = []
    for i, term in enumerate(terms):
        star = "*" if prefix and i == len(terms) - 1 else ""
        split = '"' + " ".join(term.parts) + '"' + star
        whole = '"' + term.token.lower() + '"' + star
        phrases.append(split if whole == split else f"({split} OR {whole})")
    return " AND ".join(phrases)


def term_pattern(terms: list[Term]) -> re.Pattern[str]:
    """Finds any of the terms in source text, in snake_case, camelCase or spaced form."""
    alternatives = [r"[_\s]?".join(re.escape(p) for p in term.parts) for term in terms]
    return re.compile("|".join(alternatives) or r"(?!)", re.IGNORECASE)


def best_line(text: str, terms: list[Term], first_line: int) -> tuple[int, str]:
    """The line of a chunk that holds the most distinct terms: its number and its text."""
    patterns = [term_pattern([t]) for t in terms]
    best_score, best = -1, (first_line, "")
    for offset, line in enumerate(text.splitlines()):
        score = sum(1 for p in patterns if p.search(line))
        if score > best_score:
            best_score, best = score, (first_line + offset, line.strip())
            if score == len(patterns):
                break
    return best

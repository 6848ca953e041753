"""Words for full-text search. SQLite's unicode61 tokenizer already splits `parse_config` at
the underscore; camelCase it keeps whole. So beside each chunk we index a second column with
the camelCase identifiers split (`parseConfig` -> `parse config`), and turn a query into
phrases of the same parts: `parse_config`, `parseConfig` and `config` then all meet."""

from __future__ import annotations

import re

# Only identifiers with a case change inside them need a split copy; the regex engine skips
# everything else, which keeps this cheap on large files.
_CAMEL = re.compile(r"\b\w*(?:[a-z0-9][A-Z]|[A-Z][A-Z][a-z])\w*\b")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_QUERY_TOKEN = re.compile(r"\w+")


def split_identifier(word: str) -> list[str]:
    """`parseConfig` -> [parse, config]; `HTTPServer_v2` -> [http, server, v, 2]."""
    return [p.lower() for piece in word.split("_") for p in _PARTS.findall(piece)]


def camel_words(text: str) -> str:
    """The split forms of the camelCase identifiers in `text`, one identifier per line."""
    return "\n".join(" ".join(split_identifier(m)) for m in _CAMEL.findall(text))


def query_terms(text: str) -> list[list[str]]:
    """The user's words, each as its identifier parts: `parse_config x` -> [[parse, config], [x]]."""
    terms = []
    for token in _QUERY_TOKEN.findall(text):
        parts = split_identifier(token) or [token.lower()]
        terms.append(parts)
    return terms


def fts_query(terms: list[list[str]], *, prefix: bool = False) -> str:
    """An FTS5 query: every term must match, each as a phrase of its parts. With `prefix`, the
    last term also matches longer words (for search-as-you-type)."""
    phrases = ['"' + " ".join(parts) + '"' for parts in terms]
    if prefix and phrases:
        phrases[-1] += "*"
    return " AND ".join(phrases)


def term_pattern(terms: list[list[str]]) -> re.Pattern[str]:
    """Finds any of the terms in source text, in snake_case, camelCase or spaced form."""
    alternatives = [r"[_\s]?".join(re.escape(p) for p in parts) for parts in terms]
    return re.compile("|".join(alternatives) or r"(?!)", re.IGNORECASE)


def best_line(text: str, terms: list[list[str]], first_line: int) -> tuple[int, str]:
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

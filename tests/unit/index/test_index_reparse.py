"""Incremental re-parsing: a file saved again is parsed from its last tree, and what the index
extracts is the same as from a fresh parse, including after edits that break the syntax."""

from __future__ import annotations

from rigtui.index.extract import extract
from rigtui.index.reparse import TreeCache, describe_edit

SOURCE = """\
class Café:
    def naïve(self, x):  # ünïcode before the edit point
        return helper(x)


def helper(y):
    return y * 2
"""

BROKEN = SOURCE.replace("def helper(y):", "def helper(y:")
EDITS = [
    SOURCE.replace("naïve(self, x)", "naïve(self, x, z)"),  # mid-line, after a 2-byte char
    SOURCE.replace("return helper(x)", "return helper(x) + other(x)"),
    "# a new first line\n" + SOURCE,
    SOURCE + "\n\ndef added():\n    return helper(1)\n",
    BROKEN,
    SOURCE.replace("class Café:", "class Cafe:"),
    "",
    SOURCE,
]


def both_ways(cache: TreeCache, text: str) -> tuple[tuple, tuple]:
    source = text.encode()
    lines = text.splitlines()
    fresh = extract("python", source, lines)
    incremental = extract("python", source, lines, lambda lang, src: cache.parse("m.py", lang, src))
    return fresh, incremental


def test_describe_edit_finds_the_changed_bytes() -> None:
    old, new = b"ab\ncd\nef", b"ab\ncXYd\nef"
    assert describe_edit(old, new) == {
        "start_byte": 4,
        "old_end_byte": 4,
        "new_end_byte": 6,
        "start_point": (1, 1),
        "old_end_point": (1, 1),
        "new_end_point": (1, 3),
    }
    same = describe_edit(b"aaaa", b"aa")  # the prefix and suffix may not overlap
    assert (same["start_byte"], same["old_end_byte"], same["new_end_byte"]) == (2, 4, 2)


def test_every_edit_extracts_what_a_fresh_parse_does() -> None:
    cache = TreeCache()
    cache.parse("m.py", "python", SOURCE.encode())
    for text in EDITS:
        fresh, incremental = both_ways(cache, text)
        assert incremental == fresh, text
    assert cache.reused == len(EDITS) - 1  # all but the broken edit, parsed from scratch


def test_a_tree_with_errors_is_parsed_again_from_scratch() -> None:
    cache = TreeCache()
    cache.parse("m.py", "python", SOURCE.encode())
    fresh, incremental = both_ways(cache, BROKEN)
    assert incremental == fresh and fresh[2] is True  # syntax_error
    assert cache.reused == 0


def test_the_cache_keeps_only_the_last_trees() -> None:
    cache = TreeCache(max_trees=2)
    for key in ("a.py", "b.py", "c.py"):
        cache.parse(key, "python", SOURCE.encode())
    cache.parse("a.py", "python", EDITS[0].encode())  # evicted: parsed from scratch
    cache.parse("c.py", "python", EDITS[0].encode())
    assert cache.reused == 1


def test_the_cache_keeps_a_byte_budget_and_skips_large_files() -> None:
    cache = TreeCache(max_bytes=3 * len(SOURCE.encode()))
    cache.parse("big.py", "python", (SOURCE * 2).encode())  # over half the budget: not kept
    cache.parse("big.py", "python", (SOURCE * 2 + "x = 1\n").encode())
    assert cache.reused == 0
    for key in ("a.py", "b.py", "c.py", "d.py"):  # the budget holds three
        cache.parse(key, "python", SOURCE.encode())
    for key in ("a.py", "d.py"):  # a.py was evicted first
        cache.parse(key, "python", EDITS[0].encode())
    assert cache.reused == 1

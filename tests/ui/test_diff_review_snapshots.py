"""Snapshots of the review app at 80x24, unified and side by side (pytest-textual-snapshot).
Update deliberately with `pytest tests/ui/test_diff_review_snapshots.py --snapshot-update`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot

from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from rigtui.ui.review_app import ReviewApp

PATCH = """--- a/calc.py
+++ b/calc.py
@@ -1,4 +1,5 @@
 def total(items):
-    result = 0
+    result = 0.0
+    # sum what is left
     for item in items:
         result += item.price
@@ -8,2 +9,2 @@ def average(items):
     count = len(items)
-    return total(items) / count
+    return total(items) / max(count, 1)
"""
SOURCE = (
    "def total(items):\n    result = 0\n    for item in items:\n        result += item.price\n"
    "    return result\n\n\ndef average(items):\n    count = len(items)\n"
    "    return total(items) / count\n"
)


LONG_PATCH = PATCH.replace(
    "+    # sum what is left",
    "+    # sum what is left, " + "then what is right, " * 8 + "then stop",
)


def _app(tmp_path: Path, patch: str = PATCH) -> ReviewApp:
    (tmp_path / "calc.py").write_text(SOURCE)
    change_set = replace(parse_patch(patch), id="snapshot")
    return ReviewApp(prepare(tmp_path, change_set))


async def _accept_first(pilot: Pilot[object]) -> None:
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()


async def _split(pilot: Pilot[object]) -> None:
    await pilot.pause()
    await pilot.press("t")
    await pilot.pause()


def test_review_unified_80x24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), run_before=_accept_first)


def test_review_side_by_side_80x24(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), run_before=_split)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
def test_review_side_by_side_asked_at_each_width(snap_compare, tmp_path: Path, size) -> None:
    """Side by side where each side gets 60 columns (200), else unified saying why; long lines
    cut at the edge (they scroll sideways), never wrapped."""
    assert snap_compare(_app(tmp_path, LONG_PATCH), terminal_size=size, run_before=_split)

"""Hunks are found by context, with fallbacks for what models get wrong, and refused with the
missing context shown when they cannot be placed."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.edits.errors import PatchRefused
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare


def _apply_text(tmp_path: Path, content: str, patch: str) -> tuple[str, list[str]]:
    (tmp_path / "f.py").write_text(content)
    proposal = prepare(tmp_path, parse_patch(patch))
    writes = proposal.writes()
    hows = [lh.match.how for lh in proposal.files[0].located if lh.match]
    return writes[0].after.decode(), hows  # type: ignore[union-attr]


def _update(*lines: str) -> str:
    return "*** Begin Patch\n*** Update File: f.py\n" + "\n".join(lines) + "\n*** End Patch\n"


def test_exact_match_first(tmp_path: Path) -> None:
    out, hows = _apply_text(tmp_path, "a\nb\nc\n", _update("@@", " a", "-b", "+B"))
    assert out == "a\nB\nc\n" and hows == ["exact"]


def test_trailing_whitespace_ignored_and_context_kept_from_the_file(tmp_path: Path) -> None:
    out, hows = _apply_text(tmp_path, "a   \nb\n", _update("@@", " a", "-b", "+B"))
    assert out == "a   \nB\n", "context lines keep the file's own text"
    assert hows == ["trailing whitespace ignored"]


def test_surrounding_whitespace_ignored(tmp_path: Path) -> None:
    out, hows = _apply_text(
        tmp_path, "\tif x:\n\t\ty()\n", _update("@@", "   if x:", "-  y()", "+  z()")
    )
    assert out == "\tif x:\n  z()\n" and hows == ["surrounding whitespace ignored"]


def test_unicode_punctuation_normalised(tmp_path: Path) -> None:
    content = "msg = “it’s — fine”\nother\n"
    out, hows = _apply_text(
        tmp_path, content, _update("@@", '-msg = "it\'s - fine"', "+msg = 'ok'")
    )
    assert out == "msg = 'ok'\nother\n" and hows == ["Unicode punctuation normalised"]


def test_anchor_picks_the_place_among_repeats(tmp_path: Path) -> None:
    content = "def a():\n    return 1\ndef b():\n    return 1\n"
    out, _ = _apply_text(
        tmp_path, content, _update("@@ def b():", "-    return 1", "+    return 2")
    )
    assert out == "def a():\n    return 1\ndef b():\n    return 2\n"


def test_ambiguous_context_is_refused_naming_the_places(tmp_path: Path) -> None:
    with pytest.raises(PatchRefused) as info:
        _apply_text(tmp_path, "x\ny\nx\ny\n", _update("@@", " x", "-y", "+z"))
    assert "f.py: hunk 1.1 is ambiguous" in info.value.message
    assert "lines 1, 3" in info.value.message


def test_missing_context_error_shows_the_context(tmp_path: Path) -> None:
    with pytest.raises(PatchRefused) as info:
        _apply_text(tmp_path, "a\nb\n", _update("@@", " nowhere", "-to be found", "+x"))
    message = info.value.message
    assert message.startswith("f.py: hunk 1.1 does not match")
    assert "    nowhere\n    to be found" in message
    assert info.value.exit_code == 1


def test_unified_line_numbers_choose_among_repeats(tmp_path: Path) -> None:
    content = "".join(f"{'same' if i % 5 == 0 else i}\n" for i in range(30))
    patch = "--- a/f.py\n+++ b/f.py\n@@ -21,1 +21,1 @@\n-same\n+changed\n"
    out, _ = _apply_text(tmp_path, content, patch)
    assert out.splitlines()[20] == "changed"
    assert out.count("same") == 5


def test_unified_hunks_still_apply_when_lines_moved(tmp_path: Path) -> None:
    content = "new header\nanother\n" + "".join(f"l{i}\n" for i in range(10))
    patch = "--- a/f.py\n+++ b/f.py\n@@ -3,2 +3,2 @@\n l2\n-l3\n+L3\n@@ -8,1 +8,1 @@\n-l7\n+L7\n"
    out, _ = _apply_text(tmp_path, content, patch)
    assert "L3\n" in out and "L7\n" in out and "l3\n" not in out


def test_end_of_file_marker_prefers_the_last_match(tmp_path: Path) -> None:
    out, _ = _apply_text(tmp_path, "x\nmid\nx\n", _update("@@", "-x", "+y", "*** End of File"))
    assert out == "x\nmid\ny\n"


def test_pure_addition_goes_to_the_end_or_after_its_anchor(tmp_path: Path) -> None:
    out, _ = _apply_text(tmp_path, "a\nb\n", _update("@@", "+c"))
    assert out == "a\nb\nc\n"
    out, _ = _apply_text(tmp_path, "a\nb\n", _update("@@ a", "+between"))
    assert out == "a\nbetween\nb\n"


def test_a_tolerant_match_is_shown_with_the_files_own_text(tmp_path: Path) -> None:
    from rigtui.edits.parse import parse_patch
    from rigtui.edits.prepare import prepare
    from rigtui.edits.render import file_hunk_rows

    (tmp_path / "uni.py").write_text('title = "hello \u2014 world"\nq = 1\n')
    patch = '*** Begin Patch\n*** Update File: uni.py\n@@\n-title = "hello - world"\n+title = "hi"\n q = 1\n*** End Patch\n'
    (pf,) = prepare(tmp_path, parse_patch(patch)).files
    rows = file_hunk_rows(pf)[0][1]
    assert [(r.op, r.text.plain) for r in rows] == [
        ("-", 'title = "hello \u2014 world"'),
        ("+", 'title = "hi"'),
        (" ", "q = 1"),
    ]

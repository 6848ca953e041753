"""Property: for random texts a and b (CRLF or LF, with or without a final newline, BOM or not),
applying diff(a, b) to a gives b, and undo gives a back byte for byte. b uses a's line ending:
a patch carries no line endings, so the file's own style is kept."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rigtui.edits.diff import unified_diff
from rigtui.edits.engine import apply_proposal, undo
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare

# Few distinct words so lines repeat (repeats are what makes locating hard).
LINE = st.one_of(
    st.sampled_from(["", "x", "y", "  x", "x  ", "}", "return 1", "naïve — “q”"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
)
LINES = st.lists(LINE, max_size=25)


def _encode(lines: list[str], eol: str, final: bool, bom: bool) -> bytes:
    body = eol.join(lines) + (eol if final and lines else "")
    return (b"\xef\xbb\xbf" if bom else b"") + body.encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a=LINES,
    b=LINES,
    eol=st.sampled_from(["\n", "\r\n"]),
    final_a=st.booleans(),
    final_b=st.booleans(),
    bom=st.booleans(),
)
def test_apply_diff_gives_b_and_undo_gives_a(
    a: list[str], b: list[str], eol: str, final_a: bool, final_b: bool, bom: bool
) -> None:
    before = _encode(a, eol, final_a, bom)
    if len(a) + final_a < 2:
        # `a` has no line ending to copy (patches carry none), so new lines get "\n".
        eol = "\n"
    after = _encode(b, eol, final_b, bom)
    patch = unified_diff("f.txt", before, after)
    if not patch:
        assert before == after
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        target = root / "f.txt"
        target.write_bytes(before)
        apply_proposal(prepare(root, parse_patch(patch)))
        assert target.read_bytes() == after
        undo(root)
        assert target.read_bytes() == before

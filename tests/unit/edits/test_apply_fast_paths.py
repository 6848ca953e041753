"""What `rigtui apply --yes` skips to be quick, checked to change nothing it promises: an
LF-only file's new bytes spliced from its lines equal the general path's, the session parts an
apply never uses are not loaded (and are made when asked for), and the paused garbage
collector is running again afterwards."""

from __future__ import annotations

import gc
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui.cli import main
from rigtui.edits.diff import unified_diff
from rigtui.edits.parse import parse_patch
from rigtui.edits.prepare import prepare
from rigtui.session import Session

BEFORE = "".join(f"line {i}\n" for i in range(1, 41))


def _after_texts() -> dict[str, tuple[str, str]]:
    """(before, after) pairs whose hunks touch every edge the splice must get right."""
    lines = BEFORE.splitlines(keepends=True)
    no_final = BEFORE.rstrip("\n")
    return {
        "middle": (BEFORE, "".join(lines[:5] + ["new\n"] + lines[7:30] + lines[31:])),
        "first and last lines": (BEFORE, "".join(["top\n", *lines[1:-1], "bottom\n"])),
        "final newline removed": (BEFORE, BEFORE.rstrip("\n")),
        "final newline added": (no_final, no_final + "\n"),
        "appended after a last line without newline": (no_final, no_final + "\nmore\n"),
        "emptied": (BEFORE, ""),
        "from empty": ("", "one\ntwo\n"),
        "bom kept": ("\ufeff" + BEFORE, "\ufeff" + BEFORE.replace("line 20\n", "twenty\n")),
        "non-utf8 bytes": (BEFORE.replace("line 3", "caf\udce9"), BEFORE.replace("line 9", "x")),
    }


@pytest.mark.parametrize("name", list(_after_texts()))
def test_lf_only_splice_matches_the_general_path_for_every_hunk_subset(
    tmp_path: Path, name: str
) -> None:
    before, after = (t.encode("utf-8", "surrogateescape") for t in _after_texts()[name])
    (tmp_path / "f.txt").write_bytes(before)
    proposal = prepare(tmp_path, parse_patch(unified_diff("f.txt", before, after)))
    (pf,) = proposal.files
    assert pf.text is not None and pf.text.plain
    ids = pf.hunk_ids
    for n in range(len(ids) + 1):
        for chosen in itertools.combinations(ids, n):
            accepted = set(chosen)
            general = pf.after(accepted).encode()
            assert pf.after_bytes(accepted, before) == general, (name, chosen)
    assert pf.after_bytes(set(ids), before) == after


def test_a_fuzzy_match_keeps_the_files_own_lines(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a  \nb\nc\n")
    patch = "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
    proposal = prepare(tmp_path, parse_patch(patch))
    (pf,) = proposal.files
    assert pf.located[0].match is not None and pf.located[0].match.level == 1
    assert pf.after_bytes(set(pf.hunk_ids), b"a  \nb\nc\n") == b"a  \nB\nc\n"


def test_crlf_files_take_the_general_path(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a\r\nb\r\nc\r\n")
    patch = "--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
    proposal = prepare(tmp_path, parse_patch(patch))
    (pf,) = proposal.files
    assert pf.text is not None and not pf.text.plain
    assert pf.after_bytes(set(pf.hunk_ids), b"") == b"a\r\nB\r\nc\r\n"


NOT_FOR_APPLY = (
    "rigtui.agent.client",
    "rigtui.mcp.manager",
    "rigtui.session.completion",
    "rigtui.session.followup",
    "rigtui.session.tasks",
    "openai",
    "textual",
)


def test_apply_yes_loads_no_agent_mcp_completion_or_follow_up(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\nb\n")
    patch = tmp_path / "p.diff"
    patch.write_text("--- a/f.txt\n+++ b/f.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n")
    code = (
        "import sys\n"
        "from rigtui.cli import main\n"
        f"code = main(['apply', '--yes', '--path', {str(tmp_path)!r}, {str(patch)!r}])\n"
        f"print(code, sorted(m for m in {NOT_FOR_APPLY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"
    assert (tmp_path / "f.txt").read_text() == "a\nc\n"


async def test_session_parts_are_made_on_first_use_and_closed(tmp_path: Path) -> None:
    session = await Session.open(tmp_path)
    try:
        assert session._mcp is None and session._completer is None and session._followup is None
        mcp = session.mcp
        assert session.mcp is mcp and session.completer.mcp is mcp
        assert session.followup is session.followup
        assert mcp in session.runtime._services  # closed with the runtime, as before
    finally:
        await session.close()


def test_apply_turns_the_garbage_collector_back_on(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("a\n")
    patch = tmp_path / "p.diff"
    patch.write_text("--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-a\n+b\n")
    assert gc.isenabled()
    assert main(["apply", "--yes", "--path", str(tmp_path), str(patch)]) == 0
    assert gc.isenabled()
    assert main(["apply", "--check", "--path", str(tmp_path), str(patch)]) == 1
    assert gc.isenabled()

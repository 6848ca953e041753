"""Every Codex apply_patch scenario (input/, patch.txt, expected/) from the shared fixtures runs
through `rigtui apply --yes`. The fixtures are read in place, never copied into the repo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rigtui.cli import main

SCENARIOS = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "fixtures"
    / "codex-apply-patch-scenarios"
)
# Where rigtui deliberately differs from Codex: its apply is all-or-nothing, so a patch that
# fails part-way (here: the update of a missing file after an add) leaves no change at all.
ALL_OR_NOTHING = {"015_failure_after_partial_success_leaves_changes"}


def _scenarios() -> list[Path]:
    if not SCENARIOS.is_dir():
        return []
    return sorted(p for p in SCENARIOS.iterdir() if (p / "patch.txt").is_file())


def _tree(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_fixtures_present_or_skip_with_reason() -> None:
    if not SCENARIOS.is_dir():
        pytest.skip(f"shared apply_patch fixtures not found at {SCENARIOS} (a fresh clone)")
    assert len(_scenarios()) >= 20


@pytest.mark.parametrize("scenario", _scenarios() or [None], ids=lambda p: p.name if p else "none")
def test_scenario(
    scenario: Path | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if scenario is None:
        pytest.skip(f"shared apply_patch fixtures not found at {SCENARIOS} (a fresh clone)")
    work = tmp_path / "project"
    if (scenario / "input").is_dir():
        shutil.copytree(scenario / "input", work)
    else:
        work.mkdir()
    before = _tree(work)
    expected = _tree(scenario / "expected")
    code = main(["apply", str(scenario / "patch.txt"), "--path", str(work), "--yes"])
    err = capsys.readouterr().err
    if scenario.name in ALL_OR_NOTHING:
        assert code == 1, err
        assert _tree(work) == before, "a failed patch must leave the project untouched"
        assert "missing.txt" in err
        return
    if expected == before:  # the scenario expects the patch to be rejected
        assert code in (1, 2), f"should have been refused; stderr: {err}"
        assert err.startswith("rigtui: ")
        assert _tree(work) == before
    else:
        assert code == 0, err
        assert _tree(work) == expected

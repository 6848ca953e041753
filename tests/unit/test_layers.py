"""The layers of DESIGN.md as import-linter contracts (pyproject.toml, [tool.importlinter]):
front ends > session > agent > domain > store > base with no upward import; no cycle between
sibling modules at any depth; front ends that reach the project only through the session (never
the store, the agent or the patch engine's writers); Textual only in rigtui/ui. Imports inside
functions and under TYPE_CHECKING count."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
CONTRACTS = ["layers", "acyclic", "front-ends-never-write", "textual-only-in-ui"]


@pytest.mark.parametrize("contract", CONTRACTS)
def test_the_contract_is_kept(contract: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = lint_imports(
        config_filename=str(PYPROJECT), limit_to_contracts=(contract,), no_cache=True, no_logo=True
    )
    assert code == 0, capsys.readouterr().out


def test_every_contract_is_checked() -> None:
    text = PYPROJECT.read_text()
    assert sorted(CONTRACTS) == sorted(
        line.split('"')[1] for line in text.splitlines() if line.startswith("id = ")
    )

"""The approval policy: a pure function of command, folder and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.config import ApprovalSettings
from rigtui.sandbox.policy import approval_request, command_text, decide


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "proj" / "src").mkdir(parents=True)
    return tmp_path / "proj"


def policy(mode: str, allow: list[str] | None = None) -> ApprovalSettings:
    return ApprovalSettings(commands=mode, allow=allow or [])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("command", "action"),
    [
        ("pytest -q tests", "run"),
        (["ruff", "check", "src"], "run"),
        ("ruff format src", "ask"),  # prefix is `ruff check`
        ("pytest && rm -rf src", "ask"),  # every simple command must be allowed
        ("pytest | ruff check --stdin", "run"),
        ("pytestx", "ask"),  # whole words, not string prefixes
        ("rm -rf build", "ask"),
    ],
)
def test_allow_mode_runs_only_allowed_prefixes(root: Path, command, action: str):
    decision = decide(command, root, root, policy("allow", ["pytest", "ruff check"]))
    assert decision.action == action, decision.reason


def test_ask_asks_and_auto_runs(root: Path):
    assert decide("make", root, root, policy("ask")).action == "ask"
    assert decide("make", root, root, policy("auto")).action == "run"


@pytest.mark.parametrize(
    "command",
    [
        "cat /etc/passwd",
        "cd .. && ls",
        "cp src/a.py ../elsewhere/",
        "echo hi > /tmp/out.txt",
        "ls ~/.ssh",
        "rm -rf $HOME",
        "tar -cf out.tar --directory=/ etc",
        ["cat", "../../secret"],
        "../outside.sh",
        "echo $(cat x)",
    ],
)
def test_paths_outside_the_project_need_approval_even_in_auto(root: Path, command):
    decision = decide(command, root, root, policy("auto"))
    assert decision.action == "ask", command


@pytest.mark.parametrize(
    "command",
    [
        "python -m pytest src/tests > report.txt 2>&1",
        "ls ./src",
        "cat src/../README.md",
        "curl https://example.invalid/x",
        "echo done > /dev/null",
        ["pwd"],
    ],
)
def test_paths_inside_the_project_are_fine(root: Path, command):
    assert decide(command, root / "src", root, policy("auto")).action == "run", command


def test_symlink_escaping_the_project_counts_as_outside(root: Path, tmp_path: Path):
    (root / "link").symlink_to(tmp_path)
    decision = decide("cat link/x", root, root, policy("auto"))
    assert decision.action == "ask" and decision.outside_paths == ("link/x",)


def test_approval_request_shows_the_exact_command_and_where(root: Path):
    argv = ["rm", "-rf", "../a b"]
    decision = decide(argv, root, root, policy("auto"))
    request = approval_request(argv, root, "docker:img", decision)
    assert request.command == "rm -rf '../a b'" == command_text(argv)
    assert request.cwd == str(root) and request.sandbox == "docker:img"
    assert request.outside_paths == ["../a b"] and "outside" in request.reason
    assert request.to_dict()["command"] == request.command
    assert str(root) in request.prompt() and "docker:img" in request.prompt()


@pytest.mark.parametrize(
    "command",
    [
        "python -c \"open('/etc/passwd').read()\"",  # a path inside inline code
        'sh -c "echo hi"',  # inline shell code: paths cannot be read off it
        "node -e 'require(\"fs\")'",
        "tar xf x.tar -C..",  # a short option's attached value
        "curl -o/tmp/x http://example.invalid",
        "eval ls",
    ],
)
def test_hidden_and_inline_paths_are_asked_about_even_under_auto(
    tmp_path: Path, command: str
) -> None:
    verdict = decide(command, tmp_path, tmp_path, ApprovalSettings(commands="auto"))
    assert verdict.action == "ask", verdict


def test_ordinary_project_commands_still_run_under_auto(tmp_path: Path) -> None:
    for command in ("pytest -q", "ruff check src/app.py", "sed -i s/a/b/ f.txt", "ls > /dev/null"):
        assert (
            decide(command, tmp_path, tmp_path, ApprovalSettings(commands="auto")).action == "run"
        )

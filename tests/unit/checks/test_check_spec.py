"""Checks from settings, detected suggestions, path globs, and saving to .rigtui.toml."""

from __future__ import annotations

import json
import tomllib

import pytest

from rigtui.checks.spec import Check, checks_for, detect_checks, glob_matches, save_checks
from rigtui.config import load_settings
from rigtui.errors import RigtuiError
from rigtui.trust import trust


def test_configured_checks_both_forms(tmp_path):
    (tmp_path / ".rigtui.toml").write_text(
        '[checks]\ndebounce_ms = 100\ntests = "pytest -x -q"\n'
        'lint = { command = "ruff check .", paths = ["**/*.py"] }\n'
    )
    checks = checks_for(tmp_path, load_settings(tmp_path))
    assert checks == [
        Check("tests", "pytest -x -q", trusted=False),  # the project is not trusted (yet)
        Check("lint", "ruff check .", ("**/*.py",), trusted=False),
    ]
    assert all(c.confirmed for c in checks)
    trust(tmp_path)
    assert all(c.trusted for c in checks_for(tmp_path, load_settings(tmp_path)))


@pytest.mark.parametrize(
    ("glob", "path", "expected"),
    [
        ("*.py", "a.py", True),
        ("*.py", "pkg/sub/a.py", True),
        ("**/*.py", "a.py", True),
        ("**/*.py", "pkg/a.py", True),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/pkg/a.py", False),
        ("src/*.py", "other/src/a.py", False),
        ("src/**", "src/pkg/a.py", True),
        ("docs", "docs/guide.md", True),
        ("pyproject.toml", "pyproject.toml", True),
        ("*.py", "a.pyc", False),
        ("test_?.py", "test_a.py", True),
    ],
)
def test_glob_matches(glob, path, expected):
    assert glob_matches(glob, path) is expected


def test_a_check_without_globs_is_triggered_by_anything():
    assert Check("all", "make").triggered_by(["README.md"]) == ["README.md"]
    py = Check("tests", "pytest", ("**/*.py",))
    assert py.triggered_by(["README.md", "src/a.py"]) == ["src/a.py"]


def test_detects_python_tools(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\naddopts = '-q'\n[tool.ruff]\nline-length = 100\n"
        "[tool.mypy]\nstrict = true\n"
    )
    found = detect_checks(tmp_path)
    assert [(c.name, c.command) for c in found] == [
        ("tests", "pytest -x -q"),
        ("lint", "ruff check ."),
        ("types", "mypy ."),
    ]
    assert not any(c.confirmed for c in found)
    assert "pyproject.toml" in found[0].reason


def test_detects_tests_by_files_and_other_ecosystems(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test(): pass\n")
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"test": "jest"}}))
    (tmp_path / "go.mod").write_text("module example.com/x\n")
    (tmp_path / "Cargo.toml").write_text("[package]\nname = 'x'\n")
    names = [(c.name, c.command) for c in detect_checks(tmp_path)]
    assert names == [
        ("tests", "pytest -x -q"),
        ("tests-npm", "npm test"),
        ("go-test", "go test ./..."),
        ("cargo-test", "cargo test"),
    ]


def test_npm_placeholder_test_script_and_empty_project_suggest_nothing(tmp_path):
    (tmp_path / "package.json").write_text(
        json.dumps({"scripts": {"test": 'echo "Error: no test specified" && exit 1'}})
    )
    assert detect_checks(tmp_path) == []
    assert checks_for(tmp_path, load_settings(tmp_path)) == []


def test_save_appends_a_checks_table_and_keeps_the_rest(tmp_path):
    original = '# my settings\n[model]\ndefault = "local"  # keep me\n\n[model.profiles.local]\nmodel = "qwen"\n'  # noqa: E501
    path = tmp_path / ".rigtui.toml"
    path.write_text(original)
    checks = [
        Check("tests", "pytest -x -q", ("**/*.py", "pyproject.toml"), confirmed=False),
        Check("lint", 'sh -c "ruff check ."'),
        Check("go test", "go test ./..."),
    ]
    save_checks(tmp_path, checks)
    text = path.read_text()
    assert text.startswith(original)  # byte for byte
    settings = load_settings(tmp_path)
    assert settings.model.default == "local"
    assert settings.checks.commands["tests"].paths == ["**/*.py", "pyproject.toml"]
    assert settings.checks.commands["lint"].command == 'sh -c "ruff check ."'
    assert settings.checks.commands["go test"].command == "go test ./..."


def test_save_creates_the_file_when_missing(tmp_path):
    save_checks(tmp_path, [Check("tests", "pytest")])
    assert tomllib.loads((tmp_path / ".rigtui.toml").read_text()) == {"checks": {"tests": "pytest"}}


@pytest.mark.parametrize(
    "existing",
    [
        '[checks]\ntests = "pytest"\n',
        "checks.debounce_ms = 100\n",
        "[checks.commands.x]\ncommand = 'x'\n",
    ],
)
def test_save_refuses_when_checks_exist_and_writes_nothing(tmp_path, existing):
    path = tmp_path / ".rigtui.toml"
    path.write_text(existing)
    with pytest.raises(RigtuiError, match="already has a \\[checks\\] table") as info:
        save_checks(tmp_path, [Check("lint", "ruff check .")])
    assert info.value.fix
    assert path.read_text() == existing
    assert [p.name for p in tmp_path.iterdir()] == [".rigtui.toml"]  # no temp file left


def test_save_refuses_an_invalid_file(tmp_path):
    path = tmp_path / ".rigtui.toml"
    path.write_text("[model\n")
    with pytest.raises(RigtuiError, match="not valid TOML"):
        save_checks(tmp_path, [Check("lint", "ruff check .")])
    assert path.read_text() == "[model\n"


def test_confirmed_checks_keep_trust_but_never_grant_it(tmp_path):
    from rigtui.checks.spec import confirm_checks
    from rigtui.trust import is_trusted

    detected = [Check("tests", "pytest -x -q", confirmed=False, trusted=False)]
    # No file before: the new file holds only what the user confirmed.
    path, trusted = confirm_checks(tmp_path, detected)
    assert trusted and is_trusted(tmp_path)
    assert all(c.trusted for c in checks_for(tmp_path, load_settings(tmp_path)))

    # A file asking for nothing that needs trust: the same.
    other = tmp_path / "other"
    other.mkdir()
    (other / ".rigtui.toml").write_text('[ui]\ntheme = "rigtui-light"\n')
    assert confirm_checks(other, detected)[1] and is_trusted(other)

    # A trusted file stays trusted with its new hash.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / ".rigtui.toml").write_text('[approval]\ncommands = "auto"\n')
    trust(mine)
    assert confirm_checks(mine, detected)[1]
    assert load_settings(mine).approval.commands == "auto"

    # An untrusted file is not trusted by confirming checks into it.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / ".rigtui.toml").write_text('[approval]\ncommands = "auto"\n')
    assert not confirm_checks(theirs, detected)[1] and not is_trusted(theirs)
    settings = load_settings(theirs)
    assert settings.approval.commands == "ask"
    assert not any(c.trusted for c in checks_for(theirs, settings))


def test_save_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / ".rigtui.toml"
    path.write_bytes(b"# caf\xe9\n")
    with pytest.raises(RigtuiError, match="not UTF-8 text; checks were not saved"):
        save_checks(tmp_path, [Check("lint", "ruff check .")])
    assert path.read_bytes() == b"# caf\xe9\n"

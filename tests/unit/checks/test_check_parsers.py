"""Failure locations from realistic outputs of each tool (samples/ holds real captures where the
tool is installed here: pytest, ruff, cargo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.checks.parsers import Location, parse_locations, resolve_paths, tools_for

SAMPLES = Path(__file__).parent / "samples"


def where(text: str, command: str, root: str | None = None) -> list[tuple[str, int, int | None]]:
    return [(loc.path, loc.line, loc.col) for loc in parse_locations(text, command, root)]


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_pytest_assertion_in_the_test_long_and_short_tracebacks():
    for name in ("pytest_long.txt", "pytest_short.txt"):
        (loc,) = parse_locations(sample(name), "pytest -x -q")
        assert (loc.path, loc.line) == ("test_calc.py", 9)
        assert loc.message == "test_add: assert 3 == 4" and loc.tool == "pytest"


def test_pytest_exception_deep_in_the_code_points_where_it_was_raised():
    (loc,) = parse_locations(sample("pytest_deep.txt"), "python -m pytest")
    assert (loc.path, loc.line) == ("calc.py", 2)  # not the test frame that called it
    assert "ZeroDivisionError" in loc.message


def test_pytest_collection_error_points_at_the_syntax_error_inside_the_project():
    # frames in site-packages and <frozen ...> are outside the project and skipped
    locs = parse_locations(sample("pytest_collect.txt"), "pytest", "/tmp/w7/py/t")
    assert [(loc.path, loc.line) for loc in locs] == [("calc.py", 1)]
    assert "SyntaxError: expected ':'" in locs[0].message


def test_pytest_tb_line_gives_one_location_per_failure():
    text = (
        "=================== FAILURES ===================\n"
        "/repo/tests/test_a.py:4: assert 3 == 4\n"
        "/repo/tests/test_b.py:10: ValueError: bad\n"
        "============ 2 failed in 0.10s =============\n"
    )
    assert where(text, "pytest --tb=line", "/repo") == [
        ("tests/test_a.py", 4, None),
        ("tests/test_b.py", 10, None),
    ]


@pytest.mark.parametrize("name", ["ruff_full.txt", "ruff_concise.txt"])
def test_ruff_both_output_formats(name):
    locs = parse_locations(sample(name), "ruff check .")
    assert [(loc.path, loc.line, loc.col) for loc in locs] == [("mod.py", 1, 8), ("mod.py", 5, 12)]
    assert locs[0].message.startswith("F401") and locs[1].message.startswith("F821")


def test_mypy_errors_with_and_without_columns_and_notes_skipped():
    locs = parse_locations(sample("mypy.txt"), "mypy src tests")
    assert [(loc.path, loc.line, loc.col) for loc in locs] == [
        ("src/shop/cart.py", 14, None),
        ("src/shop/cart.py", 22, 9),
        ("tests/test_cart.py", 3, None),
    ]
    assert "[return-value]" in locs[0].message


def test_tsc_plain_and_pretty_with_colours():
    plain = parse_locations(sample("tsc_plain.txt"), "npx tsc --noEmit")
    assert [(loc.path, loc.line, loc.col) for loc in plain] == [
        ("src/index.ts", 10, 5),
        ("src/util/math.ts", 3, 17),
    ]
    assert plain[0].message.startswith("TS2322")
    assert where(sample("tsc_pretty.txt"), "tsc --pretty") == [("src/index.ts", 10, 5)]


def test_eslint_stylish_groups_rows_under_absolute_file_names():
    locs = parse_locations(sample("eslint_stylish.txt"), "npx eslint src", "/home/dev/web")
    assert [(loc.path, loc.line, loc.col, loc.severity) for loc in locs] == [
        ("src/app.js", 3, 7, "error"),
        ("src/app.js", 12, 1, "warning"),
        ("src/lib/format.js", 8, 14, "error"),
    ]
    assert locs[0].message.startswith("'unused' is assigned")


def test_eslint_compact():
    locs = parse_locations(sample("eslint_compact.txt"), "eslint -f compact .", "/home/dev/web")
    assert [(loc.path, loc.line, loc.col, loc.severity) for loc in locs] == [
        ("src/app.js", 3, 7, "error"),
        ("src/app.js", 12, 1, "warning"),
    ]


def test_go_test_failures_carry_the_test_name():
    locs = parse_locations(sample("go_test.txt"), "go test ./...")
    assert [(loc.path, loc.line) for loc in locs] == [("calc_test.go", 12), ("calc_test.go", 20)]
    assert locs[0].message == "TestAdd: Add(1, 2) = 3; want 4"


def test_go_build_errors_and_panics_inside_the_project():
    assert where(sample("go_build.txt"), "go test ./...") == [
        ("calc/calc.go", 7, 9),
        ("calc/calc.go", 11, 2),
    ]
    # /usr/local/go frames are outside the project
    assert where(sample("go_panic.txt"), "go test ./...", "/home/dev/shop") == [
        ("calc/calc.go", 15, None),
        ("calc/calc_test.go", 25, None),
    ]


def test_cargo_compile_error_and_test_panic():
    (compile_error,) = parse_locations(sample("cargo_compile.txt"), "cargo test")
    assert (compile_error.path, compile_error.line, compile_error.col) == ("src/lib.rs", 2, 18)
    assert compile_error.message == "mismatched types"
    (panic,) = parse_locations(sample("cargo_test_panic.txt"), "cargo test")
    assert (panic.path, panic.line, panic.col) == ("src/lib.rs", 12, 9)
    assert panic.message == "tests::it_works: assertion `left == right` failed"


def test_cargo_warnings_are_not_failures():
    text = "warning: unused variable: `x`\n --> src/main.rs:3:9\n  |\n"
    assert parse_locations(text, "cargo build") == []


def test_unknown_commands_try_every_parser():
    assert tools_for("npm test") == tools_for("make check")
    assert set(tools_for("npm test")) >= {"pytest", "tsc", "eslint", "go", "cargo"}
    assert tools_for("/usr/bin/env python -m pytest -q && ruff check .") == ["pytest", "ruff"]
    mixed = sample("mypy.txt") + sample("tsc_plain.txt")
    assert len(parse_locations(mixed, "npm test")) == 5


def test_locations_are_deduplicated_and_round_trip_through_dicts():
    text = "a.py:1:1: F401 unused\na.py:1:1: F401 unused\n"
    (loc,) = parse_locations(text, "ruff check")
    assert Location.from_dict(loc.to_dict()) == loc
    assert str(loc) == "a.py:1:1: F401 unused"


def test_resolve_paths_finds_the_one_project_file_with_that_name(tmp_path):
    (tmp_path / "calc").mkdir()
    (tmp_path / "calc" / "calc_test.go").write_text("package calc\n")
    locs = [
        Location("calc_test.go", 12),
        Location("missing.go", 3),
        Location("calc/calc_test.go", 1),
    ]
    files = ["calc/calc_test.go", "money/other.go"]
    assert [loc.path for loc in resolve_paths(locs, tmp_path, files)] == [
        "calc/calc_test.go",
        "missing.go",
        "calc/calc_test.go",
    ]

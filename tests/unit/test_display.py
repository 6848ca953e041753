"""File names are shown with their control characters escaped, ordinary Unicode kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigtui.display import safe_line, safe_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("src/app.py", "src/app.py"),
        ("café/中文 😀.py", "café/中文 😀.py"),
        ("a\nb.txt", "a\\nb.txt"),
        ("\x1b[31mred.txt", "\\x1b[31mred.txt"),
        ("tab\there\r", "tab\\there\\r"),
        ("bell\x07del\x7f", "bell\\x07del\\x7f"),
        ("csi\x9b", "csi\\x9b"),
        ("right\u202eleft", "right\\u202eleft"),
        ("not-utf8-\udcff", "not-utf8-\\xff"),
        ("back\\slash\n", "back\\\\slash\\n"),
    ],
)
def test_safe_name(name: str, shown: str) -> None:
    assert safe_name(name) == shown
    assert safe_name(Path(name)) == shown


def test_a_name_on_disk_round_trips_to_one_printable_line(tmp_path: Path) -> None:
    for name in ("a\nb.txt", "\x1b[31mred.txt"):
        (tmp_path / name).write_text("x")
    shown = sorted(safe_name(p.name) for p in tmp_path.iterdir())
    assert shown == ["\\x1b[31mred.txt", "a\\nb.txt"]
    assert all(s.isprintable() for s in shown)


def test_safe_line_keeps_tabs_and_backslashes_of_a_files_text() -> None:
    assert safe_line('\tprint("a\\nb")') == '\tprint("a\\nb")'
    assert safe_line("x = '\x1b[2J'\r") == "x = '\\x1b[2J'\\r"
    assert safe_line("ok ünïcode") == "ok ünïcode"

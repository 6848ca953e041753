"""`rigtui check` as a user runs it: a real subprocess on a real project folder."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PASSING = "def test_add():\n    assert 1 + 2 == 3\n"
FAILING = "def test_add():\n    assert 1 + 2 == 4\n"
PYTEST = f"{sys.executable} -m pytest -x -q -p no:cacheprovider"


def rigtui(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rigtui", "check", *args],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=90, cwd=cwd,
        env={**os.environ, "CI": "true"},
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "test_calc.py").write_text(FAILING)
    settings = f'[checks]\ndebounce_ms = 100\ntests = {{ command = {json.dumps(PYTEST)}, paths = ["*.py"] }}\n'  # noqa: E501
    (root / ".rigtui.toml").write_text(settings)
    return root


def test_once_fails_with_the_location_then_passes(project):
    result = rigtui("--path", str(project), "--sandbox", "local")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("FAIL")
    assert "test_calc.py:2" in result.stdout and "assert (1 + 2) == 4" in result.stdout

    (project / "test_calc.py").write_text(PASSING)
    result = rigtui("--path", str(project), "--sandbox", "local", "--json")
    assert result.returncode == 0, result.stderr
    (event,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (event["type"], event["check"], event["state"]) == ("CheckFinished", "tests", "passed")


def test_no_checks_configured_or_detected_is_exit_2_saying_how(tmp_path):
    result = rigtui("--path", str(tmp_path))
    assert result.returncode == 2
    assert "no checks configured and none detected" in result.stderr
    assert "[checks]" in result.stderr and "Traceback" not in result.stderr


def test_unknown_check_name_is_exit_2(project):
    result = rigtui("--path", str(project), "--only", "nope")
    assert result.returncode == 2 and "unknown check 'nope'" in result.stderr


def test_detected_checks_are_announced_and_saved_on_request(tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "x"\n')
    (tmp_path / ".rigtui.toml").write_text('[ui]\ntheme = "rigtui-light"\n')
    result = rigtui("--path", str(tmp_path), "--save")
    assert result.returncode == 0, result.stderr
    saved = tomllib.loads((tmp_path / ".rigtui.toml").read_text())
    assert saved["ui"] == {"theme": "rigtui-light"}
    assert saved["checks"]["cargo-test"]["command"] == "cargo test"
    again = rigtui("--path", str(tmp_path), "--save")
    assert again.returncode == 2 and "already configured" in again.stderr


async def test_watch_prints_one_line_per_run_and_stops_on_sigint(project):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rigtui", "check", "--path", str(project), "--watch",
        "--sandbox", "local", stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None

    async def line() -> str:
        async with asyncio.timeout(60):
            return (await proc.stdout.readline()).decode()

    try:
        first = await line()  # the initial run
        assert first.startswith("FAIL") and "test_calc.py:2" in first
        async with asyncio.timeout(30):  # the watcher is up once it says so
            while b"watching" not in await proc.stderr.readline():
                pass
        (project / "test_calc.py").write_text(PASSING)
        assert (await line()).startswith("ok")
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

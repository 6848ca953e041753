"""`rigtui mcp list [--json]`: connects to every configured server, prints its state and
tools, and exits 1 when one is configured but failed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from rigtui.cli import main
from rigtui.paths import user_config_file
from tests.support.mcp_helpers import alive, read_pid, stdio_toml

TIME = f"""
[mcp.servers.time]
command = "{sys.executable}"
args = ["-m", "mcp_server_time", "--local-timezone", "UTC"]
approval = {{ get_current_time = "allow" }}
"""


def test_mcp_list_shows_each_servers_state_tools_and_prompts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pidfile = tmp_path / "pid"
    user_config_file().write_text(TIME + stdio_toml("test", pidfile, more='tools = ["echo"]\n'))
    assert main(["mcp", "list", "--path", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "time: up  (stdio: " in out and "2 tool(s), ~" in out
    assert "time__get_current_time: Get current time in a specific timezone  [runs without asking]" in out  # fmt: skip
    assert "time__convert_time: Convert time between timezones\n" in out
    assert "test: up" in out and "test__echo: Say the text back." in out
    assert "test__add" not in out and "prompts: /test:review" in out
    assert not alive(read_pid(pidfile))

    assert main(["mcp", "list", "--path", str(tmp_path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["server"] for r in rows] == ["time", "test"]
    time_row = rows[0]
    assert time_row["state"] == "up" and time_row["error"] == "" and time_row["tokens"] > 50
    assert [(t["name"], t["offered_as"], t["approval"]) for t in time_row["tools"]] == [
        ("get_current_time", "time__get_current_time", "allow"),
        ("convert_time", "time__convert_time", "ask"),
    ]


def test_mcp_list_exits_1_when_a_configured_server_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user_config_file().write_text(
        TIME + '[mcp.servers.broken]\ncommand = "no-such-mcp-server"\n'
        '[mcp.servers.off]\ncommand = "no-such-either"\nenabled = false\n'
    )
    assert main(["mcp", "list", "--path", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "time: up" in out and "off: disabled" in out
    assert "broken: failed  (stdio: no-such-mcp-server)\n  error: no-such-mcp-server: no such program" in out  # fmt: skip


def test_mcp_list_without_servers_says_how_to_add_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mcp", "list", "--path", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no MCP servers configured" in captured.err


def test_mcp_list_leaves_an_untrusted_projects_server_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "started"
    (tmp_path / ".rigtui.toml").write_text(stdio_toml("evil", tmp_path / "pid", marker=marker))
    assert main(["mcp", "list", "--path", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert not marker.exists() and "mcp.servers.evil" in captured.err
    assert "no MCP servers configured" in captured.err

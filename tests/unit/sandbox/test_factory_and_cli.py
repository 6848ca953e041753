"""Choosing a sandbox (never a silent fallback), the artifacts a command leaves, and
`rigtui run` end to end with real processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rigtui.cli import main
from rigtui.config import Settings
from rigtui.errors import BadInput, RigtuiError
from rigtui.protocol import ArtifactsDetected, from_dict
from rigtui.sandbox import LocalSandbox, RunRequest, get_sandbox
from rigtui.sandbox.changes import run_tracked


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    address = f"unix://{tmp_path}/no-docker.sock"
    monkeypatch.setenv("DOCKER_HOST", address)
    return address


def test_asking_for_docker_without_an_engine_names_the_fix(no_engine: str, tmp_path: Path):
    with pytest.raises(RigtuiError, match="no Docker engine") as info:
        get_sandbox(Settings(), tmp_path, "docker")
    assert no_engine in info.value.message and "--sandbox local" in (info.value.fix or "")


def test_a_refusing_engine_is_reported_as_not_running(monkeypatch: pytest.MonkeyPatch, tmp_path):
    import socket

    path = tmp_path / "dead.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))  # bound but never listening: connections are refused
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    try:
        with pytest.raises(RigtuiError, match="not running"):
            get_sandbox(Settings(), tmp_path, "docker")
    finally:
        listener.close()


def test_auto_falls_back_to_local_and_says_why(no_engine: str, tmp_path: Path):
    box = get_sandbox(Settings(), tmp_path, "auto")
    assert isinstance(box, LocalSandbox)
    assert box.name.startswith("local") and "no Docker engine" in box.note


def test_settings_choose_local_and_unknown_kinds_are_bad_input(tmp_path: Path):
    settings = Settings()
    settings.sandbox.kind = "local"
    assert isinstance(get_sandbox(settings, tmp_path), LocalSandbox)
    with pytest.raises(BadInput, match="unknown sandbox"):
        get_sandbox(settings, tmp_path, "vm")


async def test_run_tracked_reports_created_changed_and_deleted_files(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("a")
    (tmp_path / "edit.txt").write_text("a")
    (tmp_path / "gone.txt").write_text("a")
    (tmp_path / ".gitignore").write_text("*.log\n")
    box = LocalSandbox(tmp_path, isolate=False)
    command = "echo bb > edit.txt; rm gone.txt; mkdir out2; echo r > out2/report.md; echo x > x.log"
    result, event = await run_tracked(
        box, RunRequest(command=command, cwd=tmp_path), tmp_path, thread_id="t9"
    )
    assert result.ok and isinstance(event, ArtifactsDetected)
    assert (event.created, event.changed, event.deleted) == (
        ["out2/report.md"],
        ["edit.txt"],
        ["gone.txt"],
    )
    assert event.thread_id == "t9" and event.sandbox == "local (no isolation)"
    assert from_dict(event.to_dict()) == event
    _, nothing = await run_tracked(box, RunRequest(command="true", cwd=tmp_path), tmp_path)
    assert nothing is None


def test_rigtui_run_streams_and_exits_with_the_status(tmp_path: Path, capsys):
    code = main(
        ["run", "--path", str(tmp_path), "--sandbox", "local", "--", sys.executable, "-c",
         "import sys; print('out'); print('err', file=sys.stderr); open('r.txt','w'); sys.exit(3)"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 3 and out == "out\n"
    assert "err\n" in err and "sandbox local" in err and "created: r.txt" in err


def test_rigtui_run_timeout_exits_124(tmp_path: Path, capsys):
    code = main(["run", "--path", str(tmp_path), "--sandbox", "local", "--timeout", "0.3",
                 "--shell", "--", "sleep 20"])  # fmt: skip
    assert code == 124 and "timed out" in capsys.readouterr().err


def test_rigtui_run_quiet_prints_only_the_output(tmp_path: Path, capsys):
    code = main(["run", "-q", "--path", str(tmp_path), "--sandbox", "local", "--", "echo", "hi"])
    assert code == 0 and capsys.readouterr() == ("hi\n", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--sandbox", "local"], "no command given"),
        (["run", "--sandbox", "local", "--timeout", "0", "--", "true"], "must be positive"),
        (["run", "--sandbox", "local", "--cwd", "..", "--", "true"], "outside the project"),
        (["run", "--path", "/no/such/dir", "--", "true"], "no such folder"),
    ],
)
def test_rigtui_run_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_rigtui_run_docker_without_engine_offers_local(no_engine: str, tmp_path: Path, capsys):
    code = main(["run", "--path", str(tmp_path), "--sandbox", "docker", "--", "true"])
    err = capsys.readouterr().err
    assert code == 1 and "no Docker engine" in err and "--sandbox local" in err

"""LocalSandbox with real processes: streaming, exit codes, limits, the scrubbed environment,
killing the whole tree on timeout and cancel, and bubblewrap isolation when it works."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from pathlib import Path

import pytest

from rigtui.errors import BadInput, RigtuiError
from rigtui.sandbox import LocalSandbox, RunRequest
from rigtui.sandbox.local import bwrap_status
from tests.support.processes import alive

BWRAP_OK, BWRAP_DETAIL = bwrap_status()

needs_bwrap = pytest.mark.skipif(not BWRAP_OK, reason=f"bubblewrap unusable: {BWRAP_DETAIL}")


def dies_soon(pid: int, within: float = 5.0) -> bool:
    """SIGKILL is delivered asynchronously: poll until the process is gone (nothing to await)."""
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def plain(tmp_path: Path) -> LocalSandbox:
    return LocalSandbox(tmp_path, isolate=False)


async def test_streams_output_and_propagates_exit_code(plain: LocalSandbox, tmp_path: Path):
    chunks: list[tuple[str, str]] = []
    result = await plain.run(
        RunRequest(command="echo out; echo err >&2; exit 7", cwd=tmp_path),
        on_output=lambda stream, text: chunks.append((stream, text)),
    )
    assert result.exit_code == 7 and not result.ok
    assert result.stdout == "out\n" and result.stderr == "err\n"
    assert ("stdout", "out\n") in chunks and ("stderr", "err\n") in chunks
    assert result.sandbox == "local (no isolation)" and not result.timed_out


async def test_argv_runs_without_a_shell_in_a_subfolder(plain: LocalSandbox, tmp_path: Path):
    (tmp_path / "sub").mkdir()
    result = await plain.run(RunRequest(command=["pwd"], cwd=tmp_path / "sub"))
    assert result.ok and result.stdout.strip() == str((tmp_path / "sub").resolve())
    literal = await plain.run(RunRequest(command=["echo", "$HOME;", "x"], cwd=tmp_path))
    assert literal.stdout == "$HOME; x\n"


async def test_environment_is_scrubbed_of_secrets(
    plain: LocalSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for name in ("MY_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "CLIENT_SECRET_X"):
        monkeypatch.setenv(name, "hunter2")
    monkeypatch.setenv("HARMLESS", "kept")
    result = await plain.run(RunRequest(command=["env"], cwd=tmp_path, env={"EXTRA": "given"}))
    assert "hunter2" not in result.stdout
    assert "HARMLESS=kept" in result.stdout and "EXTRA=given" in result.stdout


async def test_cdpath_is_not_passed_so_cd_goes_where_the_approval_policy_read_it(
    plain: LocalSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    outside = tmp_path.parent / f"{tmp_path.name}-cdpath"
    (outside / "sub").mkdir(parents=True)
    monkeypatch.setenv("CDPATH", str(outside))
    result = await plain.run(RunRequest(command="cd sub && pwd", cwd=tmp_path))
    assert not result.ok and str(outside) not in result.stdout  # no ./sub: cd fails


async def test_output_limit_keeps_the_head_and_says_so(plain: LocalSandbox, tmp_path: Path):
    cmd = [sys.executable, "-c", "print('x' * 50000)"]
    result = await plain.run(RunRequest(command=cmd, cwd=tmp_path, output_limit=100))
    assert result.ok and result.truncated and result.stdout == "x" * 100


async def test_timeout_kills_the_whole_tree(plain: LocalSandbox, tmp_path: Path):
    pids: list[int] = []
    result = await plain.run(
        RunRequest(command="sleep 30 & echo $!; sleep 30", cwd=tmp_path, timeout=0.5),
        on_output=lambda _s, text: pids.extend(int(x) for x in text.split()),
    )
    assert result.timed_out and result.killed and result.exit_code is None
    assert result.duration < 5
    assert pids and dies_soon(pids[0])


async def test_cancel_kills_the_tree_and_reraises(plain: LocalSandbox, tmp_path: Path):
    started = asyncio.Event()
    pids: list[int] = []

    def seen(_stream: str, text: str) -> None:
        pids.extend(int(x) for x in text.split())
        started.set()

    task = asyncio.create_task(
        plain.run(RunRequest(command="sleep 30 & echo $!; wait", cwd=tmp_path), on_output=seen)
    )
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dies_soon(pids[0])


async def test_background_leftovers_do_not_outlive_the_command(plain: LocalSandbox, tmp_path: Path):
    result = await plain.run(RunRequest(command="sleep 30 & echo $!", cwd=tmp_path))
    assert result.ok and dies_soon(int(result.stdout))


async def test_signal_death_is_reported_like_a_shell(plain: LocalSandbox, tmp_path: Path):
    result = await plain.run(RunRequest(command="kill -TERM $$", cwd=tmp_path))
    assert result.exit_code == 143 and not result.killed


async def test_working_folder_outside_the_project_is_refused(plain: LocalSandbox, tmp_path: Path):
    with pytest.raises(BadInput, match="outside the project"):
        await plain.run(RunRequest(command="true", cwd=tmp_path.parent))
    with pytest.raises(BadInput, match="empty command"):
        await plain.run(RunRequest(command=" ", cwd=tmp_path))


def test_plain_local_says_it_is_not_isolated(plain: LocalSandbox):
    assert plain.name == "local (no isolation)" and "no isolation" in plain.note


@needs_bwrap
async def test_bwrap_has_no_network_and_a_read_only_host(tmp_path: Path):
    root = tmp_path / "project"
    root.mkdir()
    outside = tmp_path / "outside.txt"
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        box = LocalSandbox(root)
        assert box.name == "local+bwrap"
        probe = (
            "import socket\n"
            f"try:\n socket.create_connection(('127.0.0.1', {port}), timeout=2); print('net')\n"
            "except OSError: print('no-net')\n"
            f"open('inside.txt', 'w').write('ok')\n"
            f"try:\n open({str(outside)!r}, 'w').write('x')\n"
            "except OSError: pass\n"
        )
        result = await box.run(RunRequest(command=[sys.executable, "-c", probe], cwd=root))
    finally:
        server.close()
    assert result.ok, result.stderr
    assert result.stdout.strip() == "no-net" and result.sandbox == "local+bwrap"
    assert (root / "inside.txt").read_text() == "ok"
    assert not outside.exists()


@needs_bwrap
async def test_a_project_that_opts_in_gets_the_network(tmp_path: Path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    probe = (
        f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2); print('net')"
    )
    try:
        box = LocalSandbox(tmp_path, network=True)
        result = await box.run(RunRequest(command=[sys.executable, "-c", probe], cwd=tmp_path))
    finally:
        server.close()
    assert result.ok and result.stdout.strip() == "net" and result.sandbox == "local+bwrap"


@needs_bwrap
async def test_bwrap_timeout_kills_everything_inside(tmp_path: Path):
    box = LocalSandbox(tmp_path)
    marker = tmp_path / "late.txt"
    result = await box.run(
        RunRequest(command=f"(sleep 1; touch {marker}) & sleep 30", cwd=tmp_path, timeout=0.3)
    )
    assert result.timed_out
    await asyncio.sleep(1.5)  # the only way to show something did NOT happen later
    assert not marker.exists()


def test_requiring_bwrap_when_unusable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path):
    import rigtui.sandbox.local as local

    monkeypatch.setattr(local, "bwrap_status", lambda: (False, "bwrap is not installed"))
    with pytest.raises(RigtuiError, match="bubblewrap") as info:
        LocalSandbox(tmp_path, isolate=True)
    assert "--sandbox local" in (info.value.fix or "")


@pytest.mark.parametrize("isolate", [False, None])
async def test_a_missing_program_exits_127_like_a_shell(tmp_path: Path, isolate):
    box = LocalSandbox(tmp_path, isolate=isolate)
    result = await box.run(RunRequest(command=["no-such-program-x"], cwd=tmp_path))
    assert result.exit_code == 127 and "no-such-program-x: command not found" in result.stderr
    (tmp_path / "script.sh").write_text("#!/bin/sh\necho hi\n")
    denied = await box.run(RunRequest(command=["./script.sh"], cwd=tmp_path))
    assert denied.exit_code == 126


def test_a_broken_bwrap_falls_back_and_the_name_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path):
    import rigtui.sandbox.local as local

    reason = "bwrap does not work here: No permissions to create new namespace"
    monkeypatch.setattr(local, "bwrap_status", lambda: (False, reason))
    box = LocalSandbox(tmp_path)
    assert box.name == "local (no isolation)" and reason in box.note
    assert box.bwrap is None

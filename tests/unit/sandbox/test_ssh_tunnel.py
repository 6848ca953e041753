"""DOCKER_HOST=ssh://...: the engine is reached through an `ssh -L` tunnel. A stand-in `ssh`
on PATH records its arguments and forwards to the test engine's real socket."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from rigtui.errors import RigtuiError
from rigtui.sandbox import engine, ssh_tunnel

FAKE_SSH = Path(__file__).resolve().parents[2] / "support" / "fake_ssh.py"


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(f'#!/bin/sh\nexec {sys.executable} {FAKE_SSH} "$@"\n')
    (bin_dir / "ssh").chmod(0o755)
    log = tmp_path / "ssh.log"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SSH_LOG", str(log))
    yield log
    ssh_tunnel._close_all()


def test_ssh_command_forwards_the_remote_socket() -> None:
    argv = ssh_tunnel.ssh_command("ssh://dev@build.example:2222", Path("/tmp/x.sock"))
    assert argv[:2] == ["ssh", "-nNT"] and argv[-1] == "dev@build.example"
    assert "/tmp/x.sock:/var/run/docker.sock" in argv and argv[argv.index("-p") + 1] == "2222"


def test_ssh_failure_is_one_clear_message(fake_ssh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "ssh://dev@127.0.0.1")
    monkeypatch.setenv("FAKE_SSH_FAIL", "dev@127.0.0.1: Permission denied (publickey).")
    with pytest.raises(RigtuiError, match="Permission denied") as info:
        engine.connect()
    assert "without a password prompt" in (info.value.fix or "")


def test_a_remote_engine_answers_through_the_tunnel(
    fake_ssh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    socket_path = real.removeprefix("unix://")
    if not real.startswith("unix://") or not Path(socket_path).exists():
        pytest.skip(f"needs a local Docker engine socket to stand in for the remote one ({real})")
    monkeypatch.setenv("FAKE_SSH_REMOTE", socket_path)
    monkeypatch.setenv("DOCKER_HOST", "ssh://builder@127.0.0.1:2222")
    client = engine.connect()
    assert client.ping() is True
    (args,) = [json.loads(line) for line in fake_ssh.read_text().splitlines()]
    assert args[-1] == "builder@127.0.0.1" and args[args.index("-p") + 1] == "2222"
    assert engine.connect().ping() is True  # the same tunnel serves again
    assert len(fake_ssh.read_text().splitlines()) == 1

"""An isolated task's commands run in a container of its own, on the task's workspace, and the
container is gone when the task ends. Against the real engine (`.ci/dockerd.sh`, DOCKER_HOST
honoured); skipped with the reason when there is none."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rigtui import protocol as ev
from rigtui.paths import project_key
from rigtui.protocol import StartIsolated
from rigtui.protocol.isolated import NEEDS_REVIEW
from tests.support.docker_engine import containers_of_this_process, engine_or_reason
from tests.support.fake_openai import (
    Call,
    FakeOpenAI,
    Say,
    collect_until,
    make_settings,
    open_session,
)
from tests.unit.tasks.helpers import make_project, tree

CLIENT, SKIP_REASON = engine_or_reason()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(CLIENT is None, reason=SKIP_REASON)]


def ours() -> list[object]:
    return containers_of_this_process(CLIENT)


async def test_an_isolated_tasks_commands_run_in_its_own_container(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", use_git=True)
    before = tree(project)
    seen_labels: list[dict[str, str]] = []
    script = [
        Say(calls=[Call("run_command", {"command": "hostname > host.txt && pwd >> host.txt"})]),
        Say("done"),
    ]
    with FakeOpenAI(script) as server:
        settings = make_settings(server.base_url)
        settings.sandbox.kind = "docker"
        settings.sandbox.memory, settings.sandbox.pids = "128m", 64
        settings.approval.commands = "auto"
        session = await open_session(project, settings)
        try:
            thread = await session.new_thread("docker")
            events = session.subscribe()
            await session.send(StartIsolated(thread.id, "write the host name"))

            def started(e: ev.Event) -> bool:
                if isinstance(e, ev.ToolCallFinished):  # the thread's container stays till the end
                    seen_labels.extend(dict(c.labels) for c in ours())  # type: ignore[attr-defined]
                return isinstance(e, ev.IsolatedTaskChanged) and e.state == NEEDS_REVIEW

            await collect_until(events, started, timeout=120)
            (task,) = await session.isolated.tasks()
            home = Path(task.workspace["home"])
            assert task.files == ["host.txt"]
            assert not ours()  # its container went when the task ended
            written = (await session.isolated.preview(task.id)).patch
            host, cwd = [line[1:] for line in written.splitlines() if line.startswith("+") and
                         not line.startswith("+++")]  # fmt: skip
            assert host != socket.gethostname() and cwd == "/workspace"
            assert seen_labels
            for labels in seen_labels:  # a container of the workspace's, never the project's
                assert labels["rigtui.project"] == project_key(home / "work")
            assert tree(project) == before
        finally:
            await session.close()


def test_a_killed_rigtuis_task_container_goes_at_the_next_start(tmp_path: Path) -> None:
    from rigtui.trust import trust
    from tests.unit.tasks.test_isolated_cli import configure, tasks_json

    project = make_project(tmp_path / "proj", use_git=False)
    script = [Say(calls=[Call("run_command", {"command": "sleep 60"})]), Say("slept")]
    with FakeOpenAI(script) as server:
        configure(project, server.base_url)
        settings_file = project / ".rigtui.toml"
        text = settings_file.read_text()
        settings_file.write_text(text.replace('kind = "local"', 'kind = "docker"\nmemory = "128m"'))
        trust(project)
        child = subprocess.Popen(
            [sys.executable, "-m", "rigtui", "exec", "sleep", "--isolated", "--json",
             "--approve", "auto", "--path", str(project)],
            cwd=project, env={**os.environ, "CI": "true"}, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert child.stdout is not None
            for line in child.stdout:  # the command runs in the task's container
                if json.loads(line)["type"] == "ToolCallStarted":
                    break
            pid = str(child.pid)

            def theirs() -> list[object]:
                found = CLIENT.containers.list(all=True, filters={"label": f"rigtui.pid={pid}"})  # type: ignore[union-attr]
                return [c for c in found if c.labels.get("rigtui.thread")]

            start = time.monotonic()
            while not theirs() and time.monotonic() - start < 60:  # another process: poll
                time.sleep(0.1)
            assert theirs(), "the task's container never started"
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            assert theirs()  # left behind by the killed process
        finally:
            if child.poll() is None:
                child.kill()
    (task,) = tasks_json(project)  # the next start
    assert task["state"] == "interrupted"
    assert not theirs()

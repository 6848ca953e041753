"""The local sandbox without bubblewrap isolates nothing, and says so; but what a command starts
does not outlive it (even in a session of its own), and the command's parent holds no secrets.
Real processes throughout."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from rigtui.sandbox import LocalSandbox, RunRequest

from .test_local import alive, dies_soon

SECRET = "sk-test-secret-4b1d"

# Two processes that leave the command's process group: `setsid ... &`, and a double fork into
# a new session. Each tells its pid through a fifo once it runs, so nothing here waits by time.
ESCAPE = textwrap.dedent(
    """\
    mkfifo one two
    setsid sh -c 'echo $$ > one; exec sleep 300' </dev/null >/dev/null 2>&1 &
    read a < one
    ( (setsid sh -c 'echo $$ > two; exec sleep 301' </dev/null >/dev/null 2>&1 &) & )
    read b < two
    echo $a $b
    """
)


@pytest.fixture
def plain(tmp_path: Path) -> LocalSandbox:
    return LocalSandbox(tmp_path, isolate=False)


@pytest.fixture
def started() -> Iterator[list[int]]:
    """pids a test saw its command start: any still alive at the end are killed (by pid)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_the_name_and_the_note_say_it_isolates_nothing(plain: LocalSandbox):
    assert plain.name == "local (no isolation)"
    assert "no isolation" in plain.note and "your files" in plain.note


async def test_processes_in_a_new_session_do_not_outlive_the_command(
    plain: LocalSandbox, tmp_path: Path, started: list[int]
):
    result = await plain.run(RunRequest(command=ESCAPE, cwd=tmp_path, timeout=30))
    started.extend(int(pid) for pid in result.stdout.split())
    assert result.ok, result.stderr
    assert len(started) == 2 and all(dies_soon(pid) for pid in started)


async def test_timeout_and_cancel_take_them_too(
    plain: LocalSandbox, tmp_path: Path, started: list[int]
):
    result = await plain.run(
        RunRequest(command=ESCAPE + "sleep 30\n", cwd=tmp_path, timeout=1.5),
        on_output=lambda _s, text: started.extend(int(pid) for pid in text.split()),
    )
    assert result.timed_out and result.exit_code is None
    assert len(started) == 2 and all(dies_soon(pid) for pid in started)

    (tmp_path / "one").unlink()
    (tmp_path / "two").unlink()
    seen = asyncio.Event()

    def output(_stream: str, text: str) -> None:
        started.extend(int(pid) for pid in text.split())
        seen.set()

    task = asyncio.create_task(
        plain.run(RunRequest(command=ESCAPE + "sleep 30\n", cwd=tmp_path), on_output=output)
    )
    await asyncio.wait_for(seen.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(started) == 4 and all(dies_soon(pid) for pid in started[2:])


async def test_exit_status_and_signals_are_the_commands_own(plain: LocalSandbox, tmp_path: Path):
    segv = await plain.run(RunRequest(command="kill -SEGV $$", cwd=tmp_path))
    assert segv.exit_code == 139 and not segv.killed
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("core")]
    term = await plain.run(RunRequest(command="kill -TERM $$", cwd=tmp_path))
    assert term.exit_code == 143
    kill = await plain.run(RunRequest(command="kill -KILL $$", cwd=tmp_path))
    assert kill.exit_code == 137 and not kill.killed
    exit_3 = await plain.run(RunRequest(command=["sh", "-c", "exit 3"], cwd=tmp_path))
    assert exit_3.exit_code == 3
    pipe = await plain.run(RunRequest(command="yes | head -1", cwd=tmp_path))
    assert pipe.ok and pipe.stdout == "y\n"  # `yes` dies of SIGPIPE, as outside
    probe = ["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]
    masks = await plain.run(RunRequest(command=probe, cwd=tmp_path))
    direct = subprocess.run(probe, capture_output=True, text=True, check=True)
    assert masks.stdout == direct.stdout  # the signal state it would have without the reaper


SCRIPT = """
import asyncio, sys
from pathlib import Path
from rigtui.sandbox import LocalSandbox, RunRequest
box = LocalSandbox(Path(sys.argv[1]), isolate=False)
request = RunRequest(command=sys.argv[2], cwd=Path(sys.argv[1]), timeout=30)
result = asyncio.run(box.run(request))
print(result.stdout, end="")
print(result.stderr, end="", file=sys.stderr)
"""


def test_the_commands_parent_holds_no_secret(tmp_path: Path):
    """rigtui started with a key in its environment: the command's parent is not rigtui (whose
    /proc/PID/environ keeps what it started with, whatever os.environ says since)."""
    read = r"tr '\0' '\n' < /proc/$PPID/environ"
    env = {**os.environ, "OPENAI_API_KEY": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), read],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "PATH=" in done.stdout, done.stderr  # the read worked
    assert SECRET not in done.stdout


async def test_the_command_ends_when_rigtui_dies(tmp_path: Path, started: list[int]):
    fifo = tmp_path / "pid"
    os.mkfifo(fifo)
    command = f"echo $$ > {fifo}; exec sleep 300"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SCRIPT, str(tmp_path), command,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        started.append(int(await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 30)))
    finally:
        proc.kill()  # rigtui is gone, without a word
        await proc.wait()
    assert dies_soon(started[0])


def as_ordinary_user() -> tuple[list[str], dict[str, str]]:
    """argv prefix and environment to run rigtui as an ordinary user: as it is when we are not
    root; as uid 65534 otherwise, with an interpreter that uid can run (ours may live under
    /root: then the system's of the same version, given our packages) or a skip."""
    import sysconfig

    if os.geteuid() != 0:
        return [sys.executable], {}
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    repo = str(Path(__file__).resolve().parents[3])
    env = {"PYTHONPATH": os.pathsep.join([repo, sysconfig.get_paths()["purelib"]])}
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for python in (sys.executable, f"/usr/bin/python{version}"):
        # rigtui must be importable, and the interpreter must start itself again (the reaper)
        check = "import subprocess, sys, rigtui.commands.run; subprocess.run([sys.executable, '-c', ''])"
        probe = [*prefix, python, "-c", check]
        if subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 0:
            return [*prefix, python], env
    pytest.skip(f"no Python {version} that uid 65534 can run with rigtui's packages")


def test_an_ordinary_user_s_command_cannot_read_rigtui_s_environment():
    """`rigtui run --sandbox local` without bubblewrap (not on PATH), as an ordinary user: the
    command's grandparent is rigtui, which is not dumpable, so its environ is closed to it."""
    python, env = as_ordinary_user()
    folder = Path(tempfile.mkdtemp(prefix="rigtui-test-"))
    try:
        folder.chmod(0o777)
        read = (
            "read -r _ _ _ gp _ < /proc/$PPID/stat; echo grandparent=$gp;"
            " /bin/cat /proc/$PPID/environ /proc/$gp/environ"
        )
        env |= {
            "PATH": str(folder),  # no bwrap here
            "HOME": str(folder),
            "RIGTUI_HOME": str(folder / "home"),
            "OPENAI_API_KEY": SECRET,
        }
        done = subprocess.run(
            [*python, "-m", "rigtui", "run", "--path", str(folder), "--sandbox", "local",
             "--", "/bin/sh", "-c", read],
            env=env, capture_output=True, text=True, timeout=60, cwd=folder,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert "sandbox local (no isolation)" in done.stderr
    assert "grandparent=" in done.stdout, done.stderr
    assert SECRET not in done.stdout
    assert "Permission denied" in done.stderr, done.stderr

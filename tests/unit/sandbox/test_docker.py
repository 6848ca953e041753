"""The Docker sandbox against a real engine (`.ci/dockerd.sh`) and image (`.ci/base-image.sh`).
Skipped, with the reason, when no engine answers or the image is missing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rigtui.config import Settings
from rigtui.edits import engine as engine_apply
from rigtui.edits import parse, prepare
from rigtui.errors import RigtuiError
from rigtui.sandbox import RunRequest, engine, get_sandbox
from rigtui.sandbox.changes import run_tracked
from rigtui.sandbox.docker_sandbox import DockerSandbox
from tests.support.docker_engine import IMAGE, containers_of_this_process, engine_or_reason

PNG = b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256))


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every regular file under root (but rigtui's journal) with its bytes and mode bits."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


CLIENT, SKIP_REASON = engine_or_reason()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(CLIENT is None, reason=SKIP_REASON)]


def ours() -> list[object]:
    return containers_of_this_process(CLIENT)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    os.chown(root, 1234, 1234) if os.geteuid() == 0 else None
    return root


@pytest.fixture
def settings() -> Settings:
    s = Settings()
    s.sandbox.memory, s.sandbox.pids, s.sandbox.cpus = "128m", 64, 1.0
    s.sandbox.mount = "rw"  # the tests of the other mounts say so
    return s


@pytest.fixture
async def cold(project: Path, settings: Settings):
    box = get_sandbox(settings, project, "docker", reuse=False)
    yield box
    await box.close()
    assert ours() == [], "a container was left behind"


async def test_streams_output_and_exit_code_as_the_project_owner(cold, project: Path):
    seen: list[tuple[str, str]] = []
    command = "id -u; echo err >&2; echo hi > made.txt; exit 5"
    result, artifacts = await run_tracked(
        cold,
        RunRequest(command=command, cwd=project),
        project,
        lambda stream, text: seen.append((stream, text)),
    )
    assert artifacts is not None and artifacts.created == ["made.txt"]
    assert result.exit_code == 5 and result.sandbox == f"docker:{IMAGE}"
    assert result.stderr == "err\n" and ("stderr", "err\n") in seen
    owner = project.stat().st_uid
    assert result.stdout.strip() == str(owner)
    made = project / "made.txt"
    assert made.read_text() == "hi\n" and made.stat().st_uid == owner


async def test_runs_in_the_matching_subfolder_of_workspace(cold, project: Path):
    (project / "pkg").mkdir()
    result = await cold.run(RunRequest(command=["pwd"], cwd=project / "pkg"))
    assert result.ok and result.stdout == "/workspace/pkg\n"


async def test_there_is_no_network_inside(cold, project: Path):
    result = await cold.run(RunRequest(command="ls /sys/class/net", cwd=project))
    assert result.ok and result.stdout.split() == ["lo"]


@pytest.mark.parametrize("network", [False, True])
async def test_the_network_is_only_there_when_the_project_opts_in(
    project: Path, settings: Settings, network: bool
):
    settings.sandbox.network = network
    box = get_sandbox(settings, project, "docker", reuse=True)
    assert isinstance(box, DockerSandbox)
    try:
        assert (await box.run(RunRequest(command="true", cwd=project))).ok
        mode = box._container.attrs["HostConfig"]["NetworkMode"]
    finally:
        await box.close()
    # On: the engine's default network (this test engine has none to give, see DEVELOPERS.md).
    assert (mode != "none") if network else (mode == "none")
    assert ("network on" in box.note) == network


async def test_forks_stop_at_the_pids_limit_and_a_fork_bomb_is_killed(cold, project: Path):
    forks = await cold.run(
        RunRequest(command="for i in $(seq 200); do sleep 2 & done; wait", cwd=project)
    )
    assert "fork" in forks.stderr.lower(), forks.stderr[-300:]
    bomb = await cold.run(RunRequest(command="b(){ b|b& }; b; sleep 30", cwd=project, timeout=3))
    # The pids limit holds the bomb: either the shell itself can no longer fork its `sleep`
    # and exits, or it waits and the timeout kills the container. Both end fast, leave nothing.
    contained = (bomb.timed_out and bomb.killed) or "cannot fork" in bomb.stderr.lower()
    assert contained and bomb.duration < 15, bomb
    assert ours() == []


@pytest.mark.parametrize(("reuse", "mount"), [(False, "rw"), (True, "rw"), (False, "ro")])
async def test_a_memory_hog_is_stopped_by_the_limit_and_reported(
    project: Path, settings: Settings, reuse: bool, mount: str
):
    settings.sandbox.mount = mount  # type: ignore[assignment]
    box = get_sandbox(settings, project, "docker", reuse=reuse)
    hog = "dd if=/dev/zero of=/dev/null bs=512M count=1"
    try:
        killed = await box.run(RunRequest(command=hog, cwd=project, timeout=30))
        # A SIGKILL that is not the memory limit's is not reported as one.
        suicide = "sh -c 'kill -9 $$'"  # not the container's PID 1, which SIGKILL cannot reach
        itself = await box.run(RunRequest(command=suicide, cwd=project, timeout=30))
    finally:
        await box.close()
    assert killed.exit_code == 137 and killed.killed, killed
    assert itself.exit_code == 137 and not itself.killed, itself


async def test_timeout_kills_the_container(cold, project: Path):
    result = await cold.run(RunRequest(command="sleep 30", cwd=project, timeout=0.5))
    assert result.timed_out and result.exit_code is None and result.duration < 10
    assert ours() == []


@pytest.mark.parametrize("mount", ["rw", "ro"])
async def test_a_cancel_while_the_container_is_being_made_leaves_nothing(
    project: Path, settings: Settings, mount: str
):
    settings.sandbox.mount = mount  # type: ignore[assignment]
    box = get_sandbox(settings, project, "docker", reuse=False)
    task = asyncio.create_task(box.run(RunRequest(command="sleep 30", cwd=project)))
    await asyncio.sleep(0)  # let it start creating, then cancel before any output
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await box.close()  # waits for the creating thread, then for what it made to be removed
    assert ours() == [] and our_volumes() == []


async def test_cancel_kills_and_removes_the_container(cold, project: Path):
    started = asyncio.Event()
    task = asyncio.create_task(
        cold.run(
            RunRequest(command="echo up; sleep 30", cwd=project),
            on_output=lambda _s, _t: started.set(),
        )
    )
    await asyncio.wait_for(started.wait(), 20)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ours() == []


def our_volumes() -> list[object]:
    assert CLIENT is not None
    found = CLIENT.volumes.list(filters={"label": f"rigtui.pid={os.getpid()}"})  # type: ignore[attr-defined]
    return list(found)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def filled(project: Path) -> Path:
    (project / "src").mkdir()
    (project / "src" / "app.py").write_text("def main():\n    return 1\n")
    (project / "src" / "util.py").write_text("X = 1\n")
    (project / "old").mkdir()
    (project / "old" / "a.txt").write_text("a\n")
    (project / "keep.txt").write_text("keep\n")
    if os.geteuid() == 0:
        for path in [project, *project.rglob("*")]:
            os.chown(path, 1234, 1234)
    return project


async def test_read_only_project_captures_writes_and_never_changes(
    filled: Path, settings: Settings
):
    settings.sandbox.mount = "ro"
    box = get_sandbox(settings, filled, "docker", reuse=True)
    assert isinstance(box, DockerSandbox) and not box.reuse and "read-only" in box.note
    before = files_of(filled)
    command = (
        "id -u; sed -i s/1/2/ src/app.py && rm -r old"
        " && rm -r src && mkdir src && echo remade > src/app.py"  # src becomes opaque
        " && echo new > top.txt && printf '\\000\\001' > blob.bin"
        " && mkdir -p __pycache__ && echo c > __pycache__/x.pyc && chmod +x keep.txt"
    )
    try:
        result = await box.run(RunRequest(command=command, cwd=filled))
    finally:
        await box.close()
    assert result.ok, result.stderr
    assert result.stdout.strip() == str(filled.stat().st_uid)  # the owner, writing at the top
    assert files_of(filled) == before
    got = result.captured
    assert got is not None
    assert [(f.path, f.kind) for f in got.files] == [
        ("blob.bin", "created"),
        ("keep.txt", "changed"),  # chmod +x: its mode only
        ("old/a.txt", "deleted"),
        ("src/app.py", "changed"),
        ("src/util.py", "deleted"),
        ("top.txt", "created"),
    ]
    assert got.binary == ("blob.bin",) and got.ignored == ("__pycache__/x.pyc",)
    assert ours() == [] and our_volumes() == [], "a container or overlay volume was left"


@pytest.mark.parametrize("folders", [1, 5])  # a stat per folder, or one shell loop for many
async def test_folders_deleted_and_made_again_hide_what_they_held(
    project: Path, settings: Settings, folders: int
):
    settings.sandbox.mount = "capture"
    for n in range(folders):
        (project / f"d{n}").mkdir()
        (project / f"d{n}" / "a.txt").write_text("a\n")
        (project / f"d{n}" / "b.txt").write_text("b\n")
        (project / f"k{n}").mkdir()  # an edit inside a folder that stays: nothing hidden
        (project / f"k{n}" / "a.txt").write_text("a\n")
        (project / f"k{n}" / "b.txt").write_text("b\n")
    if os.geteuid() == 0:
        for path in [project, *project.rglob("*")]:
            os.chown(path, 1234, 1234)
    remake = "; ".join(
        f"rm -r d{n} && mkdir d{n} && echo new > d{n}/a.txt; echo more >> k{n}/a.txt"
        for n in range(folders)
    )
    box = get_sandbox(settings, project, "docker")
    try:
        result = await box.run(RunRequest(command=remake, cwd=project))
    finally:
        await box.close()
    assert result.ok, result.stderr
    assert result.captured is not None
    got = {(f.path, f.kind) for f in result.captured.files}
    for n in range(folders):
        assert {(f"d{n}/a.txt", "changed"), (f"d{n}/b.txt", "deleted")} <= got
        assert (f"k{n}/a.txt", "changed") in got and (f"k{n}/b.txt", "deleted") not in got
    assert len(got) == 3 * folders


async def test_capture_mode_returns_a_change_set_that_applies_and_undoes_exactly(
    filled: Path, settings: Settings
):
    settings.sandbox.mount = "capture"
    (filled / "logo.png").write_bytes(PNG)
    (filled / "old" / "b.bin").write_bytes(b"\x00gone\xff")
    if os.geteuid() == 0:
        os.chown(filled / "logo.png", 1234, 1234)
        os.chown(filled / "old" / "b.bin", 1234, 1234)
    box = get_sandbox(settings, filled, "docker", reuse=True)
    assert isinstance(box, DockerSandbox) and not box.reuse and "captured" in box.note
    before = tree(filled)
    command = (
        "set -e; printf 'x' >> logo.png; rm old/b.bin; printf '\\000\\001' > new.bin;"
        " mkdir -p lib/deep && mv src/util.py lib/deep/util.py; chmod +x keep.txt;"
        " echo more >> src/app.py; rm old/a.txt; ln -s /etc escape; cat src/app.py"
    )
    try:
        result = await box.run(RunRequest(command=command, cwd=filled))
    finally:
        await box.close()
    assert result.ok, result.stderr
    assert result.stdout.endswith("more\n")  # the view is writable: it reads its own write
    assert tree(filled) == before
    got = result.captured
    assert got is not None
    assert [(f.path, f.kind) for f in got.files] == [
        ("keep.txt", "changed"),
        ("lib/deep/util.py", "renamed"),
        ("logo.png", "changed"),
        ("new.bin", "created"),
        ("old/a.txt", "deleted"),
        ("old/b.bin", "deleted"),
        ("src/app.py", "changed"),
    ]
    assert got.skipped == ("escape",)  # the symlink is reported, never captured
    proposal = prepare.prepare(filled, parse.parse_patch(got.patch()))
    engine_apply.apply_proposal(proposal, set(proposal.hunk_ids()))
    applied = tree(filled)
    assert applied["logo.png"][0] == PNG + b"x" and applied["new.bin"][0] == b"\x00\x01"
    assert applied["lib/deep/util.py"][0] == b"X = 1\n" and "src/util.py" not in applied
    assert applied["keep.txt"][1] & 0o100 and not (filled / "escape").exists()
    engine_apply.undo(filled)
    assert tree(filled) == before
    assert ours() == [] and our_volumes() == [], "a container or overlay volume was left"


async def test_read_only_timeout_discards_and_leaves_nothing(filled: Path, settings: Settings):
    settings.sandbox.mount = "ro"
    box = get_sandbox(settings, filled, "docker")
    try:
        result = await box.run(RunRequest(command="echo x > a; sleep 30", cwd=filled, timeout=1))
    finally:
        await box.close()
    assert result.timed_out and result.captured is not None and "timed out" in result.captured.note
    assert not (filled / "a").exists()
    assert ours() == [] and our_volumes() == []


async def test_a_reused_container_keeps_state_until_closed(project: Path, settings: Settings):
    box = get_sandbox(settings, project, "docker", reuse=True, thread_id="t1")
    assert isinstance(box, DockerSandbox)
    try:
        first = await box.run(RunRequest(command="echo kept > /tmp/state", cwd=project))
        second = await box.run(RunRequest(command="cat /tmp/state; exit 4", cwd=project))
        assert first.ok and second.stdout == "kept\n" and second.exit_code == 4
        (live,) = ours()
        assert live.labels["rigtui.thread"] == "t1" and live.labels["rigtui.reused"] == "1"
        timed = await box.run(RunRequest(command="sleep 30", cwd=project, timeout=0.5))
        after = await box.run(RunRequest(command="cat /tmp/state", cwd=project))
        assert timed.timed_out and after.exit_code == 1  # killed container replaced, fresh state
    finally:
        await box.close()
    assert ours() == []


async def test_leftovers_of_a_dead_rigtui_are_removed_live_ones_kept(project: Path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = engine.labels(project, "", reused=False)
    stale = CLIENT.containers.create(
        IMAGE, ["true"], labels={**labels, "rigtui.pid": str(dead.pid)}
    )  # type: ignore[attr-defined]
    live = CLIENT.containers.create(IMAGE, ["true"], labels=labels)  # type: ignore[attr-defined]
    stale_volume = CLIENT.volumes.create(labels={**labels, "rigtui.pid": str(dead.pid)})  # type: ignore[attr-defined]
    live_volume = CLIENT.volumes.create(labels=labels)  # type: ignore[attr-defined]
    try:
        removed = engine.clean_leftovers(CLIENT)
        ids = {c.id for c in CLIENT.containers.list(all=True)}  # type: ignore[attr-defined]
        assert stale.short_id in removed and stale.id not in ids and live.id in ids
        volumes = {v.name for v in CLIENT.volumes.list()}  # type: ignore[attr-defined]
        assert stale_volume.name not in volumes and live_volume.name in volumes
    finally:
        live.remove(force=True)
        stale.remove(force=True) if stale.short_id not in removed else None
        live_volume.remove(force=True)


async def test_a_missing_image_is_a_clear_error_offering_local(project: Path, settings: Settings):
    with pytest.raises(RigtuiError, match="not on the Docker engine") as info:
        get_sandbox(settings, project, "docker", image="rigtui-no-such-image:0")
    assert "--sandbox local" in (info.value.fix or "")
    auto = get_sandbox(settings, project, "auto", image="rigtui-no-such-image:0")
    assert auto.name.startswith("local") and "not on the Docker engine" in auto.note


async def test_an_unclosed_sandbox_is_removed_when_rigtui_exits(project: Path):
    script = (
        "import asyncio, os, sys\n"
        "from pathlib import Path\n"
        "from rigtui.config import Settings\n"
        "from rigtui.sandbox import RunRequest, get_sandbox\n"
        "async def main():\n"
        f"    box = get_sandbox(Settings(), Path({str(project)!r}), 'docker', reuse=True)\n"
        f"    await box.run(RunRequest(command='true', cwd=Path({str(project)!r})))\n"
        "    print(os.getpid(), flush=True)\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    pid = done.stdout.strip()
    left = CLIENT.containers.list(all=True, filters={"label": f"rigtui.pid={pid}"})  # type: ignore[attr-defined]
    assert pid and left == []


@pytest.mark.parametrize(("reuse", "mount"), [(False, "rw"), (True, "rw"), (False, "ro")])
async def test_a_missing_program_exits_127(
    project: Path, settings: Settings, reuse: bool, mount: str
):
    settings.sandbox.mount = mount  # type: ignore[assignment]
    box = get_sandbox(settings, project, "docker", reuse=reuse)
    try:
        result = await box.run(RunRequest(command=["no-such-program-x"], cwd=project))
    finally:
        await box.close()
    assert result.exit_code == 127 and "no-such-program-x: command not found" in result.stderr
    assert ours() == [] and our_volumes() == []

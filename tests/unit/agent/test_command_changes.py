"""A command the model runs writes over a copy-on-write view (`[sandbox] mount = "capture"`,
the default): its writes (a text file, a binary file, an edit) come back as one change set,
said in the thread, reviewed (or auto-applied), journaled, and undone byte for byte. Through
the whole loop: the scripted model server, a real session, the local sandbox and a real Docker
engine when one answers."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from rigtui.config import Settings
from rigtui.errors import RigtuiError
from rigtui.protocol import (
    CommandChanged,
    DecidePatch,
    Decision,
    PatchApplied,
    PatchProposed,
    PatchUndone,
    SendMessage,
    ToolCallFinished,
    Undo,
)
from rigtui.sandbox import engine
from rigtui.ui.event_render import event_text
from tests.support.fake_openai import (
    Call,
    FakeOpenAI,
    Say,
    collect_until,
    make_settings,
    of_type,
    open_session,
    task_ended,
)

COMMAND = (
    "printf '\\211PNG\\000\\001\\377' > img/plot.png && echo hello > hello.txt"
    " && sed -i s/second/2nd/ notes.txt && mv src/app.py src/main.py && echo done"
)
PNG = b"\x89PNG\x00\x01\xff"


def _docker_reason() -> str:
    try:
        client = engine.connect()
        engine.ensure_image(client, Settings().sandbox.image)
    except RigtuiError as exc:
        return f"needs a Docker engine and {Settings().sandbox.image}: {exc}"
    return ""


KINDS = [
    "local",
    pytest.param("docker", marks=[pytest.mark.docker]),
]


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def settings_for(base_url: str, kind: str, patches: str = "review", mount: str = "") -> Settings:
    if kind == "docker" and (reason := _docker_reason()):
        pytest.skip(reason)
    settings = make_settings(base_url)
    settings.sandbox.kind = kind  # type: ignore[assignment]
    settings.approval.commands = "auto"
    settings.approval.patches = patches  # type: ignore[assignment]
    if mount:
        settings.sandbox.mount = mount  # type: ignore[assignment]
    return settings


@pytest.fixture
def project(project: Path) -> Path:
    (project / "img").mkdir()
    return project


@pytest.mark.parametrize("kind", KINDS)
async def test_a_commands_writes_are_reviewed_applied_and_undone_byte_for_byte(
    project: Path, kind: str
) -> None:
    before = tree(project)
    script = [Say(calls=[Call("run_command", {"command": COMMAND})]), Say("ok")]
    with FakeOpenAI(script) as server:
        session = await open_session(project, settings_for(server.base_url, kind))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "make a plot"))
        seen = await collect_until(events, lambda e: isinstance(e, PatchProposed))
        (changed,) = of_type(seen, CommandChanged)
        proposed = seen[-1]
        assert changed.change_set_id == proposed.change_set_id
        assert changed.paths == ["hello.txt", "img/plot.png", "notes.txt", "src/main.py"]
        assert (changed.added, changed.removed, changed.binary) == (2, 1, 1)
        line = event_text(changed)
        assert line is not None
        assert "command `printf" in line.plain and "changed 4 files (+2 −1)" in line.plain
        assert f"change set {changed.change_set_id}" in line.plain
        assert tree(project) == before  # nothing written before the review
        request = session.review_request(proposed.change_set_id)
        assert request is not None and request.proposal is not None
        binary = [pf for pf in request.proposal.files if pf.binary_after is not None]
        assert [pf.source for pf in binary] == ["img/plot.png"]

        await session.send(DecidePatch(thread.id, proposed.change_set_id, Decision()))
        seen = await collect_until(events, task_ended(thread.id))
        (result,) = of_type(seen, ToolCallFinished)
        assert "done" in result.output and "applied hunks" in result.output
        after = tree(project)
        assert after["img/plot.png"][0] == PNG and after["hello.txt"][0] == b"hello\n"
        assert after["notes.txt"][0] == b"first line\n2nd line\nthird line\n"
        assert after["src/main.py"] == before["src/app.py"] and "src/app.py" not in after

        await session.send(Undo(thread.id))  # what ctrl+z sends
        await collect_until(events, lambda e: isinstance(e, PatchUndone))
        assert tree(project) == before
        await session.close()


@pytest.mark.parametrize("kind", KINDS)
async def test_auto_apply_writes_the_change_set_at_once_journaled(project: Path, kind: str) -> None:
    before = tree(project)
    script = [Say(calls=[Call("run_command", {"command": COMMAND})]), Say("ok")]
    with FakeOpenAI(script) as server:
        settings = settings_for(server.base_url, kind, patches="auto-apply")
        session = await open_session(project, settings)
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "make a plot"))
        seen = await collect_until(events, task_ended(thread.id))
        (changed,) = of_type(seen, CommandChanged)
        (applied,) = of_type(seen, PatchApplied)
        assert applied.change_set_id == changed.change_set_id
        assert tree(project)["img/plot.png"][0] == PNG
        assert seen[-1].change_sets == [applied.change_set_id]  # type: ignore[attr-defined]
        await session.send(Undo(thread.id))
        await collect_until(events, lambda e: isinstance(e, PatchUndone))
        assert tree(project) == before
        await session.close()


async def test_a_read_only_project_asks_a_person_even_under_auto_apply(project: Path) -> None:
    script = [Say(calls=[Call("run_command", {"command": COMMAND})]), Say("ok")]
    with FakeOpenAI(script) as server:
        settings = settings_for(server.base_url, "local", patches="auto-apply", mount="ro")
        try:
            session = await open_session(project, settings)
        except RigtuiError as exc:  # pragma: no cover - no bubblewrap here
            pytest.skip(str(exc))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "make a plot"))
        proposed = (await collect_until(events, lambda e: isinstance(e, PatchProposed)))[-1]
        assert session.review_request(proposed.change_set_id) is not None  # a person decides
        assert not (project / "hello.txt").exists()
        await session.send(DecidePatch(thread.id, proposed.change_set_id, Decision([], [])))
        await collect_until(events, task_ended(thread.id))
        assert not (project / "hello.txt").exists()
        await session.close()


async def test_a_second_command_sees_the_project_without_a_pending_change_set(
    project: Path,
) -> None:
    """While a change set is pending (left for later), it is not on disk, and the next
    command's view is the project as it is: the model is told so."""
    script = [
        Say(calls=[Call("run_command", {"command": "echo one > one.txt"})]),
        Say(calls=[Call("run_command", {"command": "cat one.txt || echo missing"})]),
        Say("ok"),
    ]
    with FakeOpenAI(script) as server:
        session = await open_session(project, settings_for(server.base_url, "local"))
        thread = await session.new_thread("t")
        events = session.subscribe()
        await session.send(SendMessage(thread.id, "go"))
        proposed = (await collect_until(events, lambda e: isinstance(e, PatchProposed)))[-1]
        await session.send(DecidePatch(thread.id, proposed.change_set_id, Decision(pending=True)))
        seen = await collect_until(events, task_ended(thread.id))
        first, second = of_type(seen, ToolCallFinished)
        assert "pending" in first.output and "NOT applied" in first.output
        assert "missing" in second.output and not (project / "one.txt").exists()
        await session.close()

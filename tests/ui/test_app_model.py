"""The workbench with a model: a real OpenAI-compatible server on 127.0.0.1 (scripted), the real
SDK, the real session and store; keys pressed through Pilot."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from rigtui import protocol as ev
from rigtui.protocol import (
    CheckFinished,
    CommandApprovalRequested,
    PatchApplied,
    PatchProposed,
    PatchRefused,
    ToolCallFinished,
)
from rigtui.sandbox.local import bwrap_status
from rigtui.trust import trust
from rigtui.ui.app import RigtuiApp
from rigtui.ui.approval import CommandApprovalScreen
from rigtui.ui.code_view import CodeView
from rigtui.ui.diff_review import DiffReview
from rigtui.ui.thread_pane import ThreadPane
from tests.support.fake_openai import Call, FakeOpenAI, Say
from tests.support.pilot import settle_until
from tests.support.recorder import recorder

PATCH = """*** Begin Patch
*** Update File: src/demo/cli.py
@@ def main() -> int:
-    print(parse_config(sys.stdin.read()))
+    print(sorted(parse_config(sys.stdin.read()).items()))
*** End Patch
"""


def thread_text(app: RigtuiApp) -> str:
    view = app.query_one(ThreadPane).current_view
    assert view is not None
    parts = []
    for widget in view.children:
        source = getattr(widget, "source", None)  # Markdown keeps its text
        parts.append(source if isinstance(source, str) else str(widget.render()))
    return "\n".join(parts)


@asynccontextmanager
async def workbench(
    model_app, script: list[Say]
) -> AsyncIterator[tuple[FakeOpenAI, RigtuiApp, Any]]:
    """The workbench at 120x40 against a scripted server, its session open and its first
    thread shown: (server, app, pilot)."""
    with FakeOpenAI(script) as server:
        app = model_app(server)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.opened_session()
            await pilot.pause()
            yield server, app, pilot


async def ask(app: RigtuiApp, pilot, text: str, until: type[ev.Event]) -> ev.Event:
    """Type a message, send it, and wait until an event of `until` has been rendered."""
    rendered = recorder(app).next(until)
    await pilot.press(*text, "enter")
    event = await rendered
    await pilot.pause()
    return event


async def accept_all(app: RigtuiApp, pilot) -> None:
    """In the open review: accept every hunk and submit."""
    app.query_one(DiffReview).focus()
    await pilot.press("y", "enter")


async def test_a_reply_streams_and_a_patch_is_reviewed_then_applied(
    model_app, demo_project: Path
) -> None:
    script = [
        Say("Sorting the output.", calls=[Call("apply_patch", {"patch": PATCH})]),
        Say("Done: **sorted**."),
    ]
    async with workbench(model_app, script) as (server, app, pilot):
        await ask(app, pilot, "sort the cli output", PatchProposed)
        review = app.query_one(DiffReview)
        assert app.query_one("#right").border_title.startswith("Review change set")
        applied = recorder(app).next(PatchApplied)
        ended = recorder(app).next(ev.TaskEnded)
        review.focus()
        await pilot.press("y", "enter")  # accept all, submit
        await applied
        await ended
        await pilot.pause()
        cli = (demo_project / "src/demo/cli.py").read_text()
        assert "sorted(parse_config" in cli
        text = thread_text(app)
        assert "sort the cli output" in text and "Sorting the output." in text
        assert "apply_patch" in text and "Done: **sorted**." in text
        assert "model: fake" in str(app.query_one("#status").render())


async def test_a_command_waits_for_approval_in_a_modal(model_app, demo_project: Path) -> None:
    script = [
        Say("", calls=[Call("run_command", {"command": "echo approved-output"})]),
        Say("It printed."),
    ]
    async with workbench(model_app, script) as (server, app, pilot):
        asked = recorder(app).next(CommandApprovalRequested)
        await pilot.press(*"run it", "enter")
        await asked
        await pilot.pause()
        assert isinstance(app.screen, CommandApprovalScreen)
        finished = recorder(app).next(ToolCallFinished)
        await pilot.press("y")
        result = await finished
        assert result.ok and "approved-output" in result.output  # type: ignore[attr-defined]


async def test_escape_stops_a_streaming_reply_and_the_thread_goes_on(
    model_app, demo_project: Path
) -> None:
    hold = threading.Event()
    script = [Say("a long answer " * 50, hold=hold), Say("second answer")]
    async with workbench(model_app, script) as (server, app, pilot):
        delta = recorder(app).next(ev.MessageDelta)
        await pilot.press(*"talk a lot", "enter")
        await delta
        ended = recorder(app).next(ev.TaskEnded)
        await pilot.press("escape")
        outcome = await ended
        hold.set()
        assert outcome.outcome == "cancelled"  # type: ignore[attr-defined]
        ended = recorder(app).next(ev.TaskEnded)
        await pilot.press(*"again", "enter")
        assert (await ended).outcome == "done"  # type: ignore[attr-defined]
        await pilot.pause()
        assert "second answer" in thread_text(app)


async def test_an_applied_change_set_reruns_checks_in_its_thread_and_auto_fix_reports_back(
    model_app, demo_project: Path
) -> None:
    (demo_project / "check.sh").write_text(
        "if grep -q sorted src/demo/cli.py; then echo 'src/demo/cli.py:5:1: E1 sorted'; exit 1; fi\n"
    )
    (demo_project / ".rigtui.toml").write_text(
        "[checks]\nauto_fix_rounds = 1\ndebounce_ms = 50\n"
        'lint = { command = "sh check.sh", paths = ["src/**"] }\n'
    )
    trust(demo_project)  # the user's own settings for this project
    script = [
        Say("", calls=[Call("apply_patch", {"patch": PATCH})]),
        Say("Done."),
        Say("I will fix the lint failure."),
    ]
    with FakeOpenAI(script) as server:
        app = model_app(server)  # reads the .rigtui.toml written above
        async with app.run_test(size=(120, 40)) as pilot:
            await (await app.opened_session()).runtime.started.wait()
            await ask(app, pilot, "sort it", PatchProposed)
            # The watcher may see the write first and start an unlinked run; the change set's
            # own run then replaces it (cancelled). Wait for the linked one.
            checked = recorder(app).next(CheckFinished, lambda e: bool(e.change_set_id))
            await accept_all(app, pilot)
            finished = await checked
            assert finished.state == "failed" and finished.change_set_id  # type: ignore[attr-defined]
            assert finished.thread_id == app.current_thread.id  # type: ignore[union-attr]
            await app.session_required().wait_idle()
            history = await app.session_required().history(app.current_thread.id)  # type: ignore[union-attr]
            assert any(e.type == "CheckFinished" for e in history)  # stored in the thread
            users = [e.text for e in history if isinstance(e, ev.UserMessage)]
            assert len(users) == 2 and "src/demo/cli.py:5" in users[1]
            assert "auto-fix round 1 of 1" in users[1]
            assert len(server.requests) == 3


async def test_files_a_command_makes_are_artifacts_openable_in_the_code_view(
    model_app, demo_project: Path
) -> None:
    # mount = "rw": the command writes the project itself (the default captures its writes)
    (demo_project / ".rigtui.toml").write_text(
        '[approval]\ncommands = "auto"\n[sandbox]\nmount = "rw"\n'
    )
    trust(demo_project)  # the user's own settings for this project
    script = [
        Say("", calls=[Call("run_command", {"command": "echo '# report' > report.md"})]),
        Say("Wrote the report."),
    ]
    async with workbench(model_app, script) as (server, app, pilot):
        ended = recorder(app).next(ev.TaskEnded)
        await pilot.press(*"write a report", "enter")
        await ended
        await pilot.pause()
        assert "files from the command: report.md" in thread_text(app)
        assert "[files created: report.md]" in server.requests[-1]["messages"][-1]["content"]
        await app.action_open_artifact()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(CodeView).path == demo_project / "report.md"


async def test_a_commands_writes_come_back_as_a_change_set_that_ctrl_z_undoes(
    model_app, demo_project: Path
) -> None:
    (demo_project / ".rigtui.toml").write_text(
        '[approval]\ncommands = "auto"\npatches = "auto-apply"\n'
    )
    trust(demo_project)  # the user's own settings for this project
    (demo_project / "README.md").write_text("# demo\n")
    command = "echo '# report' > report.md && echo more >> README.md"
    script = [Say("", calls=[Call("run_command", {"command": command})]), Say("Wrote it.")]
    async with workbench(model_app, script) as (server, app, pilot):
        ended = recorder(app).next(ev.TaskEnded)
        await pilot.press(*"write a report", "enter")
        await ended
        await pilot.pause()
        shown = thread_text(app)
        assert "▣ command `echo '# report' > report.md && echo more" in shown
        assert "` changed 2 files (+2 −0)\n  change set " in shown
        assert (demo_project / "report.md").read_text() == "# report\n"
        undone = recorder(app).next(ev.PatchUndone)
        await pilot.press("ctrl+z")
        await undone
        assert not (demo_project / "report.md").exists()
        assert (demo_project / "README.md").read_text() == "# demo\n"


async def test_cancelling_while_a_change_set_waits_closes_its_review(
    model_app, demo_project: Path
) -> None:
    async with workbench(model_app, [Say("", calls=[Call("apply_patch", {"patch": PATCH})])]) as (
        server,
        app,
        pilot,
    ):
        await ask(app, pilot, "sort it", PatchProposed)
        assert app.query_one("#right").border_title.startswith("Review change set")
        ended = recorder(app).next(ev.TaskEnded)
        await pilot.press("ctrl+c")
        assert (await ended).outcome == "cancelled"  # type: ignore[attr-defined]
        await pilot.pause()
        assert not app.query("#diff-review")
        assert app.query_one("#right").border_title == "Diff"
        assert "sorted(" not in (demo_project / "src/demo/cli.py").read_text()


async def test_the_status_bar_shows_the_current_threads_own_usage(
    model_app, demo_project: Path
) -> None:
    script = [Say("one", usage=(111, 22)), Say("two", usage=(999, 88))]
    with FakeOpenAI(script) as server:
        app = model_app(server)
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            ended = recorder(app).next(ev.TaskEnded)
            await pilot.press(*"first", "enter")
            await ended
            first = app.current_thread
            await pilot.press("ctrl+n")
            await pilot.pause()
            status = str(app.query_one("#status").render())
            assert "111↑" not in status  # a new thread has used nothing yet
            ended = recorder(app).next(ev.TaskEnded)
            await pilot.press(*"second", "enter")
            await ended
            await pilot.pause()
            assert "999↑ 88↓" in str(app.query_one("#status").render())
            await app.switch_thread(first.id)  # type: ignore[union-attr]
            await pilot.pause()
            assert "111↑ 22↓" in str(app.query_one("#status").render())


async def test_a_change_set_left_pending_by_exec_is_reviewed_later_in_the_workbench(
    model_app, demo_project: Path
) -> None:
    import subprocess
    import sys

    script = [Say("", calls=[Call("apply_patch", {"patch": PATCH})]), Say("Left it for review.")]
    with FakeOpenAI(script) as server:
        (demo_project / ".rigtui.toml").write_text(
            f'[index]\nenabled = false\n[model.profiles.default]\nmodel = "fake"\n'
            f'base_url = "{server.base_url}"\n'
        )
        trust(demo_project)  # the user's own settings for this project
        done = subprocess.run(
            [sys.executable, "-m", "rigtui", "exec", "sort it", "--path", str(demo_project),
             "--approve", "never"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "sorted(" not in (demo_project / "src/demo/cli.py").read_text()
        app = model_app(server)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            proposed = recorder(app).next(PatchProposed)
            app.action_review_pending()
            assert (await proposed).origin == "pending"
            await settle_until(pilot, lambda: bool(app.query(DiffReview)))
            app.query_one(DiffReview).focus()
            applied = recorder(app).next(PatchApplied)
            await pilot.press("y", "enter")
            await applied
            assert "sorted(parse_config" in (demo_project / "src/demo/cli.py").read_text()
            session = app.session_required()
            thread_id = app.current_thread.id  # type: ignore[union-attr]
            assert await session.leftover(thread_id) is None  # the thread now records it applied


async def test_a_file_changed_during_review_is_offered_rebased_for_a_second_review(
    model_app, demo_project: Path
) -> None:
    cli = demo_project / "src/demo/cli.py"
    async with workbench(
        model_app, [Say("", calls=[Call("apply_patch", {"patch": PATCH})]), Say("ok")]
    ) as (server, app, pilot):
        await ask(app, pilot, "sort it", PatchProposed)
        cli.write_text("# edited meanwhile\n" + cli.read_text())
        refused = recorder(app).next(PatchRefused)
        offered = recorder(app).next(PatchProposed)
        await accept_all(app, pilot)
        assert (await refused).can_rebase  # type: ignore[attr-defined]
        await offered  # the re-based change set, for a second look
        await pilot.pause()
        applied = recorder(app).next(PatchApplied)
        await accept_all(app, pilot)
        await applied
        text = cli.read_text()
        assert text.startswith("# edited meanwhile\n") and "sorted(parse_config" in text


@pytest.mark.skipif(not bwrap_status()[0], reason=f"bubblewrap unusable: {bwrap_status()[1]}")
async def test_a_read_only_projects_command_output_is_reviewed_before_it_lands(
    model_app, demo_project: Path
) -> None:
    (demo_project / ".rigtui.toml").write_text(
        '[approval]\ncommands = "auto"\n[sandbox]\nkind = "local"\nmount = "ro"\n'
    )
    trust(demo_project)  # the user's own settings for this project
    script = [
        Say("", calls=[Call("run_command", {"command": "echo '# report' > report.md"})]),
        Say("Wrote the report."),
    ]
    async with workbench(model_app, script) as (server, app, pilot):
        await ask(app, pilot, "write a report", PatchProposed)
        assert not (demo_project / "report.md").exists()
        assert app.query_one("#right").border_title.startswith("Review change set")
        applied = recorder(app).next(PatchApplied)
        ended = recorder(app).next(ev.TaskEnded)
        await accept_all(app, pilot)
        await applied
        await ended
        assert (demo_project / "report.md").read_text() == "# report\n"
        told = server.requests[-1]["messages"][-1]["content"]
        assert "read-only" in told and "applied hunks: 1.1" in told


async def test_the_open_reviews_keys_are_in_the_palette_and_work_from_it(
    model_app, demo_project: Path
) -> None:
    script = [Say("", calls=[Call("apply_patch", {"patch": PATCH})]), Say("Done.")]
    async with workbench(model_app, script) as (server, app, pilot):
        before = {c.title for c in app.get_system_commands(app.screen)}
        assert not any(t.startswith("Review:") for t in before)
        await ask(app, pilot, "sort it", PatchProposed)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert commands["Review: Next file"].help == "key ]"
        applied = recorder(app).next(PatchApplied)
        ended = recorder(app).next(ev.TaskEnded)  # the model's "Done." after the patch
        for title in ("Review: Accept all", "Review: Submit"):
            await commands[title].callback()
            await pilot.pause()
        await applied
        assert "sorted(parse_config" in (demo_project / "src/demo/cli.py").read_text()
        await ended  # not left while it streams

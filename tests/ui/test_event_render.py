"""Event lines in the thread pane, rendered without a terminal."""

from __future__ import annotations

from rigtui import protocol as ev
from rigtui.ui.event_render import event_text, summarise_arguments, tool_line


def test_tool_arguments_show_what_a_reader_wants() -> None:
    patch = (
        '{"patch": "*** Begin Patch\\n*** Update File: src/a.py\\n@@\\n-x\\n+y\\n*** End Patch"}'
    )
    assert summarise_arguments(patch) == "src/a.py"
    assert summarise_arguments('{"plan": [{"step": "a"}, {"step": "b"}]}') == "2 steps"
    assert summarise_arguments('{"path": "src/app.py", "start": 3}') == "src/app.py"
    assert summarise_arguments('{"limit": 3}') == "limit=3"
    assert summarise_arguments('{"command": "' + "x" * 100 + '"}').endswith("…")
    assert summarise_arguments("{not json") == "{not json"


def test_tool_line_shows_result() -> None:
    line = tool_line("read_file", '{"path": "a.py"}', ok=True, summary="read 3 lines")
    assert line.plain == "→ read_file a.py\n  ✓ read 3 lines"
    assert tool_line("x", "{}", ok=False).plain.endswith("✗ failed")


def test_silent_and_described_events() -> None:
    assert event_text(ev.MessageDelta(thread_id="t", message_id="m", text="x")) is None
    ended = ev.TaskEnded(thread_id="t", task_id="k", outcome="done", changed_files=["a.py"])
    assert event_text(ended).plain == "■ task done\n  changed: a.py"  # type: ignore[union-attr]


def test_a_task_summary_is_one_line_and_a_proposal_names_mode_changes() -> None:
    from rigtui.protocol import PatchProposed

    reply = "## Parsing tabs\n\nThe parser now expands tabs.\n\n```py\nx = 1\n```\n"
    ended = ev.TaskEnded(thread_id="t", task_id="k", outcome="done", summary=reply)
    assert event_text(ended).plain == "■ task done: Parsing tabs"  # type: ignore[union-attr]
    long = ev.TaskEnded(thread_id="t", task_id="k", outcome="failed", summary="x" * 300)
    assert len(event_text(long).plain) < 130  # type: ignore[union-attr]
    files = [
        {"path": "run.sh", "added": 0, "removed": 0, "mode": "mode 100644 → 100755"},
        {"path": "a.py", "added": 2, "removed": 1, "mode": ""},
    ]
    proposed = PatchProposed(thread_id="t", change_set_id="c", files=files, patch="")
    line = event_text(proposed).plain  # type: ignore[union-attr]
    assert line == "◆ change set proposed: run.sh +0 -0 (mode 100644 → 100755), a.py +2 -1"

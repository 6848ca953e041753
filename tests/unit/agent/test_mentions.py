"""`@mentions`: the files and definitions a message attaches, confined to the project, and
what the model is sent for them (through `rigtui exec` against the scripted server)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from rigtui.session.mentions import MAX_FILE_BYTES, mentioned, resolve
from tests.support.fake_openai import FakeOpenAI, Say
from tests.unit.agent.test_agent_exec import configure, rigtui


def _resolve(root: Path, text: str):  # type: ignore[no-untyped-def]
    return asyncio.run(resolve(root, text, None))


def test_mentions_are_words_after_an_at_sign_not_addresses() -> None:
    text = 'see @src/app.py, and @"docs/a b.md" but not me@example.com; @src/app.py again'
    assert mentioned(text) == ["src/app.py", "docs/a b.md"]


def test_exec_sends_the_mentioned_file_with_the_message(project: Path) -> None:
    with FakeOpenAI([Say("It returns 1.")]) as server:
        configure(project, server.base_url)
        result = rigtui(
            "exec", "what does @src/app.py return?", "--path", str(project), "--json", cwd=project
        )
        sent = server.requests[0]["messages"]
    assert result.returncode == 0, result.stderr
    user = sent[-1]
    assert user["role"] == "user"
    assert user["content"].startswith("what does @src/app.py return?")
    assert '<attached path="src/app.py">\ndef main():\n    return 1\n' in user["content"]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    (message,) = [e for e in events if e["type"] == "UserMessage"]
    (chip,) = message["attachments"]
    assert chip["path"] == "src/app.py" and chip["sent"] == chip["size"] == 25


def test_a_mention_outside_the_project_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("do not send\n")
    (project / "link.txt").symlink_to(outside)
    (project / "linked").symlink_to(tmp_path, target_is_directory=True)
    found = _resolve(project, f"@../secret.txt @{outside} @link.txt @~/x @linked/secret.txt")
    assert found.attachments == []
    assert len(found.notes) == 5 and "outside the project" in found.notes[4]
    assert "'..' is not allowed" in found.notes[0]
    assert "only files inside the project" in found.notes[1]
    assert "outside the project" in found.notes[2]


def test_a_link_inside_the_project_is_read_where_it_points(project: Path) -> None:
    (project / "alias.py").symlink_to(project / "src" / "app.py")
    (item,) = _resolve(project, "@alias.py").attachments
    assert item["path"] == "src/app.py" and "return 1" in item["text"]


def test_secrets_are_never_attached_even_when_named(project: Path) -> None:
    (project / ".env").write_text("OPENAI_API_KEY=sk-live\n")
    (project / "deploy").mkdir()
    (project / "deploy" / "id_rsa").write_text("-----BEGIN KEY-----\n")
    (project / "innocent.txt").symlink_to(project / ".env")
    found = _resolve(project, "@.env @deploy/id_rsa @innocent.txt")
    assert found.attachments == []
    assert all("looks like a secret" in note for note in found.notes)
    assert "sk-live" not in json.dumps(found.notes)


def test_ignored_files_are_attached_when_named_and_say_so(project: Path) -> None:
    (project / ".gitignore").write_text("build/\n")
    (project / "build").mkdir()
    (project / "build" / "out.txt").write_text("generated\n")
    (item,) = _resolve(project, "@build/out.txt").attachments
    assert item["ignored"] is True


def test_a_big_file_is_capped_and_the_chip_says_so(project: Path) -> None:
    (project / "big.log").write_bytes(b"x" * (MAX_FILE_BYTES * 3))
    (item,) = _resolve(project, "@big.log").attachments
    assert item["sent"] == MAX_FILE_BYTES and item["size"] == MAX_FILE_BYTES * 3
    assert len(item["text"]) == MAX_FILE_BYTES


def test_binary_and_missing_files_are_said_not_attached(project: Path) -> None:
    (project / "blob.bin").write_bytes(b"\0\1\2" * 100)
    found = _resolve(project, "@blob.bin @src/nope.py @someword @app.route @gone.txt")
    assert found.attachments == []
    assert found.notes == [
        "@blob.bin: a binary file; not attached",
        "@src/nope.py: no such file or symbol in the project; sent as text",
        "@gone.txt: no such file or symbol in the project; sent as text",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_said(project: Path) -> None:
    locked = project / "locked.txt"
    locked.write_text("x")
    locked.chmod(0)
    found = _resolve(project, "@locked.txt")
    assert found.attachments == [] and "cannot be read" in found.notes[0]


async def test_a_small_window_attaches_less_and_the_chip_says_so(project: Path) -> None:
    from rigtui import protocol as ev
    from tests.support.fake_openai import make_settings, of_type, run_messages

    (project / "big.txt").write_text("y" * 40_000)
    with FakeOpenAI([Say("ok")]) as server:
        settings = make_settings(server.base_url, context_window=4000)
        (seen,) = await run_messages(project, settings, "read @big.txt")
        sent = server.requests[0]["messages"][-1]["content"]
    (message,) = of_type(seen, ev.UserMessage)
    (item,) = message.attachments
    assert (item["sent"], item["size"]) == (4000, 40_000)  # a quarter of the window, in chars
    assert "[cut: the first 4,000 of 40,000 bytes were attached]" in sent
    assert of_type(seen, ev.TaskEnded)[0].outcome == "done"

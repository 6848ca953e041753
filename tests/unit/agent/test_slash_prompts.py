"""Custom prompts (`.rigtui/prompts/*.md`, the user's `prompts/`) through `rigtui exec`, and
what a project's prompts may not do: shadow a built-in, or be read through a link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rigtui.errors import BadInput
from rigtui.session.slash import (
    BUILTINS,
    BuiltinUse,
    PromptUse,
    expand,
    load_prompts,
    parse,
    user_prompts_dir,
)
from tests.support.fake_openai import FakeOpenAI, Say
from tests.unit.agent.test_agent_exec import configure, rigtui


def write_prompt(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(text)


def test_exec_expands_a_project_prompt_with_its_arguments(project: Path) -> None:
    write_prompt(
        project / ".rigtui/prompts",
        "review",
        "---\ndescription: review a module\nmodel: evil\n---\nReview $1 for bugs.\nAll: $ARGUMENTS",
    )
    with FakeOpenAI([Say("Looks fine.")]) as server:
        configure(project, server.base_url)
        result = rigtui("exec", '/review json "error paths"', "--path", str(project), cwd=project)
        sent = server.requests[0]
    assert result.returncode == 0, result.stderr
    user = sent["messages"][-1]
    assert user == {
        "role": "user",
        "content": 'Review json for bugs.\nAll: json "error paths"',
    }
    assert sent["model"] == "fake"  # front matter other than the description changes nothing


def test_a_prompt_without_placeholders_gets_the_arguments_appended(project: Path) -> None:
    write_prompt(project / ".rigtui/prompts", "explain", "Explain this code simply.")
    (prompt,) = load_prompts(project)
    assert expand(prompt, "src/app.py") == "Explain this code simply.\n\nsrc/app.py"
    assert expand(prompt, "") == "Explain this code simply."


def test_a_project_prompt_never_shadows_a_builtin_and_the_users_wins(project: Path) -> None:
    folder = project / ".rigtui/prompts"
    write_prompt(folder, "undo", "rm -rf everything")
    write_prompt(folder, "review", "the project's review")
    write_prompt(user_prompts_dir(), "review", "my review")
    write_prompt(user_prompts_dir(), "new", "a user prompt cannot take a built-in's name either")
    prompts = load_prompts(project)
    assert [(p.name, p.source, p.body) for p in prompts] == [("review", "user", "my review")]
    assert isinstance(parse("/undo", prompts), BuiltinUse)
    used = parse("/review", prompts)
    assert isinstance(used, PromptUse) and used.text == "my review"
    result = rigtui("exec", "/undo", "--path", str(project), cwd=project)
    assert result.returncode == 2 and "works only in the workbench" in result.stderr


def test_a_project_prompt_that_links_out_of_the_project_is_not_read(
    project: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----")
    folder = project / ".rigtui/prompts"
    folder.mkdir(parents=True)
    (folder / "leak.md").symlink_to(secret)
    (folder / "outside").symlink_to(tmp_path, target_is_directory=True)
    assert load_prompts(project) == []


def test_unknown_commands_are_one_clear_error_and_other_slashes_are_text(project: Path) -> None:
    with pytest.raises(BadInput, match="unknown command /revew") as caught:
        parse("/revew x", [])
    assert "/help in the workbench lists the commands" in (caught.value.fix or "")
    assert parse("/etc/hosts is wrong", []) is None
    assert parse("/github:review app.py", []) is None  # an MCP server's prompt
    assert parse("//review this", []) is None
    result = rigtui("exec", "/revew", "--path", str(project), cwd=project)
    assert result.returncode == 2 and "unknown command /revew" in result.stderr


def test_exec_sends_a_double_slash_as_one_slash(project: Path) -> None:
    with FakeOpenAI([Say("ok")]) as server:
        configure(project, server.base_url)
        result = rigtui("exec", "//compact is a word", "--path", str(project), cwd=project)
        sent = server.requests[0]["messages"][-1]
    assert result.returncode == 0, result.stderr
    assert sent["content"] == "/compact is a word"


def test_builtins_are_listed_with_what_they_take() -> None:
    assert {"new", "fork", "model", "undo", "compact", "checks", "help"} <= set(BUILTINS)
    assert json.dumps(sorted(b.name for b in BUILTINS.values() if b.headless)) == '["compact"]'

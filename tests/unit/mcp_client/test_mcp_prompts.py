"""`/server:prompt args` from the message box: what is a prompt command and how its words
become the prompt's arguments (the real round trip is in tests/ui/test_mcp_ui.py)."""

from __future__ import annotations

import pytest

from rigtui.mcp.connection import PromptArgument, RemotePrompt
from rigtui.mcp.prompts import PromptCommand, PromptError, arguments, parse

REVIEW = RemotePrompt(
    "review", "Review a file", (PromptArgument("path", True), PromptArgument("focus"))
)


def test_only_slash_server_colon_prompt_is_a_command() -> None:
    assert parse('/gh:review app.py focus="error handling"') == PromptCommand(
        "gh", "review", ("app.py", "focus=error handling")
    )
    assert parse("/gh:review") == PromptCommand("gh", "review", ())
    assert parse("/help") is None and parse("look at /gh:review") is None
    assert parse("/usr/bin:x") is None  # a path is not a server name
    with pytest.raises(PromptError, match="No closing quotation"):
        parse('/gh:review "app.py')


def test_words_fill_the_arguments_by_name_or_in_order() -> None:
    assert arguments(REVIEW, ("app.py",)) == {"path": "app.py"}
    assert arguments(REVIEW, ("app.py", "speed")) == {"path": "app.py", "focus": "speed"}
    assert arguments(REVIEW, ("focus=speed", "app.py")) == {"focus": "speed", "path": "app.py"}
    assert arguments(REVIEW, ("path=a=b",)) == {"path": "a=b"}
    with pytest.raises(PromptError, match=r"review needs path: path \[focus\]"):
        arguments(REVIEW, ("focus=speed",))
    with pytest.raises(PromptError, match="'extra' is one too many"):
        arguments(REVIEW, ("a", "b", "extra"))

"""What the message box offers for `@` and `/`, from a real session and its real code index,
and `@Symbol` attaching a definition found in that index."""

from __future__ import annotations

from pathlib import Path

from rigtui.config import Settings
from rigtui.session import Session
from rigtui.session.completion import fuzzy_score, rank_paths
from rigtui.session.mentions import resolve


def test_fuzzy_ranking_prefers_the_file_name_then_fewer_gaps() -> None:
    paths = ["src/parser.py", "docs/paris.md", "tests/test_parser.py", "src/app/pa_rs_er.py"]
    assert rank_paths("parser", paths)[:2] == ["src/parser.py", "tests/test_parser.py"]
    assert rank_paths("parsr", paths)[0] == "src/parser.py"
    assert rank_paths("app", ["src/application.py", "a/b/c/app.py"])[0] == "a/b/c/app.py"
    assert fuzzy_score("zzz", "src/parser.py") is None
    assert rank_paths("", ["a/b/c.py", "top.py"]) == ["top.py", "a/b/c.py"]


async def test_completion_and_symbol_mentions_from_the_index(project: Path) -> None:
    (project / ".env").write_text("TOKEN=1\n")
    (project / ".gitignore").write_text("build/\n")
    (project / "build").mkdir()
    (project / "build" / "app_out.py").write_text("x = 1\n")
    (project / "src" / "tools.py").write_text(
        "class Parser:\n    def parse(self, text):\n        return text.split()\n\n\nZ = 1\n"
    )
    settings = Settings()
    session = await Session.open(project, settings=settings)
    try:
        index = await session.runtime.code_index()
        assert index is not None
        files = await session.completer.mentions("app")
        inserts = [c.insert for c in files]
        assert inserts[0] == "@src/app.py"
        assert "@build/app_out.py" not in inserts  # ignored: never offered
        assert "@.env" not in [c.insert for c in await session.completer.mentions("env")]
        symbols = [c for c in await session.completer.mentions("Pars") if c.detail != "file"]
        assert symbols[0].insert == "@Parser" and symbols[0].detail == "class"
        fuzzy = [c.insert for c in await session.completer.mentions("prsr")]
        assert "@Parser" in fuzzy
        commands = [c.insert for c in await session.completer.commands("co")]
        assert commands == ["/compact"]

        found = await resolve(project, "why does @Parser.parse split?", index)
        (item,) = found.attachments
        assert (item["kind"], item["path"], item["name"]) == (
            "symbol",
            "src/tools.py",
            "Parser.parse",
        )
        assert (item["start_line"], item["end_line"]) == (2, 3)
        assert item["text"] == "    def parse(self, text):\n        return text.split()\n"
    finally:
        await session.close()

"""Full-text search across identifier styles, and the repo map's ranking and budget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rigtui.index import CodeIndex
from rigtui.index.text import query_terms, split_identifier

from .conftest import ProjectMaker

OpenIndex = Callable[[Path], CodeIndex]

STYLES = {
    "snake.py": "def parse_config(path):\n    return load(path)\n",
    "camel.js": "function parseConfig(path) {\n  return load(path);\n}\n",
    "plain.md": "# Notes\n\nThe config file lives in the home folder.\n",
    "other.py": "def unrelated():\n    return 42\n",
}


def test_split_identifier() -> None:
    assert split_identifier("parseConfig") == ["parse", "config"]
    assert split_identifier("HTTPServer_v2") == ["http", "server", "v2"]
    assert split_identifier("md5Sum") == ["md5", "sum"]
    assert [t.parts for t in query_terms("parse_config x")] == [["parse", "config"], ["x"]]
    assert [t.parts for t in query_terms("sha256 utf8_name v2")] == [
        ["sha256"],
        ["utf8", "name"],
        ["v2"],
    ]


def test_search_finds_words_that_mix_letters_and_digits(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    index = open_index(
        make_project(
            {
                "hashing.py": "import hashlib\n\ndef digest(b):\n    return hashlib.sha256(b)\n",
                "names.py": "def utf8_name(raw):\n    return raw.decode('utf-8')\n",
                "api.py": "API = 'v2'\nedit39 = 'x'  # see edit39\nmd5Sum = None\n",
            }
        )
    )
    index.update()
    for query, path in [("sha256", "hashing.py"), ("utf8_name", "names.py"), ("utf8", "names.py"),
                        ("v2", "api.py"), ("edit39", "api.py"), ("md5Sum", "api.py"),
                        ("md5", "api.py"), ("hashlib sha256", "hashing.py")]:  # fmt: skip
        assert {h.path for h in index.search(query)} == {path}, query
    assert {h.path for h in index.search("sha25", prefix=True)} == {"hashing.py"}


def test_search_finds_every_identifier_style(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    index = open_index(make_project(STYLES))
    index.update()
    for query in ("parse_config", "parseConfig", "parse config"):
        assert {h.path for h in index.search(query)} == {"snake.py", "camel.js"}, query
    assert {h.path for h in index.search("config")} == {"snake.py", "camel.js", "plain.md"}
    (hit,) = index.search("home folder")
    assert (hit.path, hit.line) == ("plain.md", 3)
    assert "home folder" in hit.snippet
    assert index.search("nothing_like_this") == []
    assert index.search("   ") == []


def test_search_points_at_the_matching_line(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    body = "".join(f"def filler_{i}():\n    return {i}\n\n" for i in range(30))
    index = open_index(make_project({"big.py": body + "def needle_here():\n    pass\n"}))
    index.update()
    (hit,) = index.search("needle_here")
    assert hit.line == 91 and hit.snippet == "def needle_here():"
    assert hit.start_line <= hit.line <= hit.end_line


def test_prefix_search_for_typing(make_project: ProjectMaker, open_index: OpenIndex) -> None:
    index = open_index(make_project(STYLES))
    index.update()
    assert index.search("unrel") == []
    assert [h.path for h in index.search("unrel", prefix=True)] == ["other.py"]


def test_chunks_cover_the_whole_file(make_project: ProjectMaker, open_index: OpenIndex) -> None:
    lines = ["import os", ""] + [f"def f{i}():\n    pass\n" for i in range(100)] + ["print('end')"]
    index = open_index(make_project({"m.py": "\n".join(lines) + "\n"}))
    index.update()
    spans = index.store.rows("SELECT start_line, end_line FROM chunks ORDER BY start_line")
    assert spans[0][0] == 1 and len(spans) > 2
    assert all(b[0] == a[1] + 1 for a, b in zip(spans, spans[1:], strict=False))
    assert spans[-1][1] == (index.store.scalar("SELECT lines FROM files"))
    assert index.search("import os")[0].line == 1


def test_symbol_lookup_ranks_every_definition_of_a_common_name(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    """A name defined thousands of times: the class still comes first, and any one of them is
    found by its qualified name, in any case (past ASCII too)."""
    methods = "".join(f"class C{i}:\n    def run(self):\n        pass\n" for i in range(2500))
    index = open_index(
        make_project(
            {
                "many.py": methods + "class run:\n    pass\n",
                "uni.py": "class Ärger:\n    def run(self):\n        pass\n",
            }
        )
    )
    index.update()
    first = index.find_symbol("run", limit=3)
    assert (first[0].kind, first[0].qualname) == ("class", "run")
    assert [s.kind for s in first[1:]] == ["method", "method"]
    assert [s.qualname for s in index.find_symbol("C2499.run")] == ["C2499.run"]
    assert [s.qualname for s in index.find_symbol("c2499::RUN")] == ["C2499.run"]
    assert [s.path for s in index.find_symbol("ärger.run")] == ["uni.py"]
    assert len(index.find_symbol("run", limit=5000)) == 2502


GRAPH = {
    "app/main.py": (
        "from app.db import connect\nfrom app.render import draw\n\n"
        "def main():\n    conn = connect()\n    draw(conn)\n"
    ),
    "app/db.py": "def connect():\n    return Connection()\n\nclass Connection:\n    pass\n",
    "app/render.py": "def draw(x):\n    return x\n",
    "tools/report.py": "from tools.stats import summarize\n\ndef report():\n    summarize()\n",
    "tools/stats.py": "def summarize():\n    return 1\n\ndef histogram():\n    return 2\n",
}


def test_repo_map_prefers_what_the_focus_uses(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    index = open_index(make_project(GRAPH))
    index.update()
    app_map = index.repo_map(500, focus_files=["app/main.py"])
    tools_map = index.repo_map(500, focus_files=["tools/report.py"])
    assert app_map.index("def connect():") < app_map.index("def summarize():")
    assert tools_map.index("def summarize():") < tools_map.index("def connect():")
    assert app_map.splitlines()[0] in ("app/db.py:", "app/render.py:")
    tight = index.repo_map(12, focus_files=["tools/report.py"])
    assert "summarize" in tight and "connect" not in tight


def test_repo_map_focus_symbol_and_budget(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    index = open_index(make_project(GRAPH))
    index.update()
    assert "histogram" in index.repo_map(40, focus_symbols=["histogram"])
    full = index.repo_map(4096)
    assert all(name in full for name in ("connect", "draw", "summarize", "Connection"))
    for budget in (10, 30, 80):
        assert len(index.repo_map(budget)) <= budget * 4
    assert index.repo_map(1) == ""


def test_repo_map_follows_changes(make_project: ProjectMaker, open_index: OpenIndex) -> None:
    root = make_project(GRAPH)
    index = open_index(root)
    index.update()
    assert "rebuild_cache" not in index.repo_map(2000)
    (root / "app/db.py").write_text("def rebuild_cache():\n    pass\n")
    (root / "app/main.py").write_text("from app.db import rebuild_cache\n\nrebuild_cache()\n")
    index.update()
    assert "def rebuild_cache():" in index.repo_map(2000, focus_files=["app/main.py"])


def test_the_repo_map_graph_is_kept_with_the_index(
    make_project: ProjectMaker, open_index: OpenIndex
) -> None:
    """A second process (a new CodeIndex on the same database) loads the stored graph of the
    same generation instead of building it; a change to the index makes it build anew."""
    from rigtui.index import repomap

    root = make_project({"a.py": "def alpha(): pass\n", "b.py": "from a import alpha\nalpha()\n"})
    first = open_index(root)
    first.update()
    expected = first.repo_map(256)
    built: list[int] = []
    real_build = repomap.build_graph

    def counting_build(store):  # type: ignore[no-untyped-def]
        built.append(store.generation())
        return real_build(store)

    repomap.build_graph = counting_build
    try:
        second = open_index(root)
        assert second.repo_map(256) == expected and built == []
        (root / "c.py").write_text("def gamma(): pass\n")
        second.update()
        assert "c.py" in second.repo_map(256) and len(built) == 1
    finally:
        repomap.build_graph = real_build

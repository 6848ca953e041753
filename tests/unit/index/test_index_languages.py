"""Each language's query finds the definitions (with kind, line and parent) and the
references that its fixture holds."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rigtui.index import CodeIndex
from rigtui.index.languages import LANGUAGES, grammar, pattern_roles

from .conftest import FIXTURES

# file -> definitions as (qualname, kind, line), and references as (name, kind, line)
EXPECTED: dict[str, tuple[set, set]] = {
    "sample.py": (
        {("LIMIT", "constant", 4), ("Shape", "class", 7), ("Shape.area", "method", 8),
         ("compute_area", "function", 12)},
        {("os", "import", 1), ("OrderedDict", "import", 2), ("Base", "type", 7),
         ("Unit", "type", 8), ("compute_area", "call", 9), ("join", "member", 13)},
    ),
    "sample.js": (
        {("VERSION", "constant", 3), ("Widget", "class", 5), ("Widget.render", "method", 6),
         ("makeWidget", "function", 11), ("onClick", "function", 15)},
        {("helper", "import", 1), ("Base", "type", 5), ("helper", "call", 7),
         ("Widget", "class", 12), ("makeWidget", "call", 15)},
    ),
    "sample.ts": (
        {("Shape", "interface", 3), ("Shape.area", "method", 4), ("Point", "type", 7),
         ("Color", "enum", 9), ("Circle", "class", 11), ("Circle.area", "method", 12),
         ("computeArea", "function", 17)},
        {("Logger", "import", 1), ("Shape", "type", 11), ("computeArea", "call", 13),
         ("Point", "type", 17), ("Circle", "class", 18)},
    ),
    "sample.tsx": (
        {("Props", "interface", 3), ("Header", "function", 5), ("formatTitle", "function", 9)},
        {("React", "import", 1), ("Props", "type", 5), ("formatTitle", "call", 6),
         ("toUpperCase", "member", 10)},
    ),
    "sample.go": (
        {("Pi", "constant", 5), ("Shape", "interface", 7), ("Shape.Area", "method", 8),
         ("Circle", "struct", 11), ("Circle.Area", "method", 15), ("square", "function", 19)},
        {("fmt", "import", 3), ("Circle", "type", 15), ("square", "call", 16),
         ("Println", "member", 20)},
    ),
    "sample.rs": (
        {("Circle", "struct", 3), ("Shape", "interface", 7), ("Shape.area", "method", 8),
         ("Circle.area", "method", 12), ("square", "function", 17)},
        {("HashMap", "import", 1), ("Shape", "implementation", 11), ("square", "call", 13),
         ("println", "call", 18)},
    ),
    "Sample.java": (
        {("Circle", "class", 3), ("Circle.radius", "field", 4),
         ("Circle.Circle", "constructor", 6), ("Circle.area", "method", 10),
         ("Drawable", "interface", 15), ("Drawable.draw", "method", 16)},
        {("List", "import", 1), ("Shape", "type", 3), ("Drawable", "type", 3),
         ("pow", "member", 11), ("compute", "member", 11)},
    ),
    "sample.c": (
        {("PI", "macro", 4), ("point", "struct", 6), ("point_t", "type", 11),
         ("square", "function", 13), ("area", "function", 17)},
        {("stdio", "import", 1), ("shapes", "import", 2), ("point_t", "type", 17),
         ("printf", "call", 18), ("square", "call", 19)},
    ),
    "sample.cpp": (
        {("geo", "namespace", 3), ("geo.Circle", "class", 5), ("geo.Circle.area", "method", 7),
         ("Circle.scale", "method", 13), ("main", "function", 19)},
        {("vector", "import", 1), ("Shape", "type", 5), ("square", "call", 7),
         ("helper", "call", 14), ("Circle", "class", 20)},
    ),
    "sample.rb": (
        {("Geometry", "module", 3), ("Geometry.PI", "constant", 4),
         ("Geometry.Circle", "class", 6), ("Geometry.Circle.area", "method", 7),
         ("Geometry.Circle.unit", "method", 11), ("square", "method", 17)},
        {("json", "import", 1), ("Shape", "type", 6), ("square", "member", 8),
         ("Circle", "type", 12)},
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def fixture_index(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], CodeIndex]:
    root = tmp_path_factory.mktemp("languages")
    for name in EXPECTED:
        shutil.copy(FIXTURES / name, root / name)
    state: dict[str, CodeIndex] = {}

    def get() -> CodeIndex:
        if "index" not in state:  # opened lazily, inside a test, under its RIGTUI_HOME
            state["index"] = CodeIndex.open(root)
            state["index"].update()
        return state["index"]

    yield get
    if "index" in state:
        state["index"].close()


def test_every_language_has_a_grammar_and_a_query() -> None:
    for language in LANGUAGES:
        assert grammar(language).query.pattern_count > 3, language


def test_every_pattern_defines_or_references_something() -> None:
    for language in LANGUAGES:
        found = grammar(language)
        assert len(found.roles) == found.query.pattern_count, language
        for number, (capture, kind, reference) in enumerate(found.roles):
            assert (capture is None) != (reference is None), (language, number)
            assert capture is None or capture == f"definition.{kind}"


def test_pattern_roles_come_from_the_captures_not_comments_or_strings() -> None:
    import tree_sitter as ts

    source = (
        "; a comment naming @reference.call\n"
        "(function_definition name: (identifier) @name) @definition.function\n"
        "; about the next one: @definition.class\n"
        '(call function: (identifier) @name (#eq? @name "@definition.x;")) @reference.call\n'
    )
    query = ts.Query(grammar("python").parser.language, source)
    assert pattern_roles(query, source) == (
        ("definition.function", "function", None),
        (None, None, "call"),
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_definitions(name: str, fixture_index: Callable[[], CodeIndex]) -> None:
    expected_defs, _ = EXPECTED[name]
    found = {(s.qualname, s.kind, s.line) for s in fixture_index().outline(name)}
    assert expected_defs <= found, expected_defs - found


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_references(name: str, fixture_index: Callable[[], CodeIndex]) -> None:
    _, expected_refs = EXPECTED[name]
    index = fixture_index()
    for ref_name, kind, line in expected_refs:
        found = {(r.kind, r.line) for r in index.references(ref_name) if r.path == name}
        assert (kind, line) in found, (ref_name, kind, line, found)


def test_a_definition_name_is_not_its_own_reference(fixture_index: Callable[[], CodeIndex]) -> None:
    refs = fixture_index().references("compute_area")
    assert [(r.path, r.line) for r in refs] == [("sample.py", 9)]


def test_qualified_lookup_across_languages(fixture_index: Callable[[], CodeIndex]) -> None:
    index = fixture_index()
    areas = {(s.path, s.line) for s in index.find_symbol("Circle.area")}
    assert areas >= {("sample.ts", 12), ("sample.rs", 12), ("Sample.java", 10)}
    assert ("sample.go", 15) in {(s.path, s.line) for s in index.find_symbol("Circle::Area")}
    assert {s.qualname for s in index.find_symbol("Shape.area")} >= {"Shape.area"}
    by_any_case = index.find_symbol("AREA")
    assert by_any_case and all(s.name.lower() == "area" for s in by_any_case)


def test_end_lines_cover_the_body(fixture_index: Callable[[], CodeIndex]) -> None:
    (shape,) = [s for s in fixture_index().find_symbol("Shape") if s.path == "sample.py"]
    assert (shape.line, shape.end_line) == (7, 9)
    assert shape.signature == "class Shape(Base):"


def test_unknown_languages_still_get_full_text_search(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "notes.txt").write_text("the frobnicator needs oiling\n")
    with CodeIndex.open(root) as index:
        index.update()
        (hit,) = index.search("frobnicator")
        assert (hit.path, hit.line) == ("notes.txt", 1)
        assert index.outline("notes.txt") == []


def test_a_header_that_reads_as_cpp_is_parsed_as_cpp(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "shapes.h").write_text(
        "#pragma once\nnamespace geo {\nclass Circle : public Shape {\npublic:\n"
        "    double area() const { return 3.14 * r * r; }\nprivate:\n    double r;\n};\n}\n"
    )
    (root / "plain.h").write_text(
        '#ifdef __cplusplus\nextern "C" {\n#endif\n'
        "struct point { int x, y; };\nint distance(struct point *new, struct point *class);\n"
        "#ifdef __cplusplus\n}\n#endif\n"
    )
    with CodeIndex.open(root) as index:
        index.update()
        languages = dict(index.store.rows("SELECT path, language FROM files"))
        assert languages == {"shapes.h": "cpp", "plain.h": "c"}
        (area,) = index.find_symbol("Circle.area")
        assert (area.path, area.kind, area.qualname) == ("shapes.h", "method", "geo.Circle.area")
        assert [s.path for s in index.find_symbol("distance")] == ["plain.h"]

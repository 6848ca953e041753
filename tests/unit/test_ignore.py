"""Ignore rules shared by the tree, the index and the watcher."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rigtui.ignore import IgnoreRules, _rules_in, parse_rules


def make(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def walked(root: Path) -> list[str]:
    return sorted(p.as_posix() for p in IgnoreRules(root).walk())


def test_gitignore_semantics(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            ".gitignore": "*.log\n!keep.log\n/only_root.txt\ncache/\ndocs/**/draft.md\n",
            "a.log": "", "keep.log": "", "only_root.txt": "", "sub/only_root.txt": "",
            "cache/x": "", "sub/cache/y": "", "docs/a/b/draft.md": "", "docs/final.md": "",
        },
    )  # fmt: skip
    assert walked(tmp_path) == [
        ".gitignore", "docs/final.md", "keep.log", "sub/only_root.txt",
    ]  # fmt: skip


def test_nested_gitignore_and_rigtuiignore(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "pkg/.gitignore": "*.gen.py\n",
            "pkg/a.gen.py": "", "pkg/a.py": "", "top.gen.py": "",
            ".rigtuiignore": "fixtures/\n", "fixtures/big.json": "",
        },
    )  # fmt: skip
    assert walked(tmp_path) == [".rigtuiignore", "pkg/.gitignore", "pkg/a.py", "top.gen.py"]


def test_vcs_virtualenvs_dependencies_and_build_output(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            ".git/HEAD": "", "node_modules/x/i.js": "", "env1/pyvenv.cfg": "", "env1/lib.py": "",
            "build/out.o": "", "target/debug/x": "", "src/main.py": "", "__pycache__/m.pyc": "",
        },
    )  # fmt: skip
    assert walked(tmp_path) == ["src/main.py"]


def test_negation_can_keep_a_build_folder(tmp_path: Path) -> None:
    make(tmp_path, {".gitignore": "!build/\n", "build/keep.txt": ""})
    assert "build/keep.txt" in walked(tmp_path)


def test_symlink_loops_end(tmp_path: Path) -> None:
    make(tmp_path, {"a/file.txt": ""})
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    os.symlink(tmp_path / "a", tmp_path / "a" / "self")
    assert walked(tmp_path) == ["a/file.txt"]


def test_a_folder_is_walked_once_under_its_own_name_whatever_the_order(tmp_path: Path) -> None:
    make(tmp_path, {".gitignore": "gen/\n", "src/x.py": "", "gen/deep/g.py": ""})
    os.symlink(tmp_path / "src", tmp_path / "a_alias")  # sorts before its target
    os.symlink(tmp_path / "src", tmp_path / "z_alias")  # and after
    os.symlink(tmp_path / "gen" / "deep", tmp_path / "gen_link")  # reached only this way
    os.symlink(tmp_path / "src" / "x.py", tmp_path / "x_link.py")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    make(outside, {"o.py": ""})
    os.symlink(outside, tmp_path / "out_link")
    os.symlink(outside / "o.py", tmp_path / "o_link.py")
    assert walked(tmp_path) == [".gitignore", "gen_link/g.py", "src/x.py", "x_link.py"]
    rules = IgnoreRules(tmp_path)
    assert [rules.reaches(p, True) for p in ("src", "gen_link", "a_alias", "out_link")] == [
        True, True, False, False,
    ]  # fmt: skip
    assert rules.reaches("x_link.py", False) and not rules.reaches("o_link.py", False)
    assert not rules.reaches("out_link/o.py", False) and not rules.reaches("a_alias/x.py", False)
    assert sorted(p.as_posix() for p in rules.walk(under="gen_link")) == ["gen_link/g.py"]


def test_is_ignored_checks_parent_folders_and_outside(tmp_path: Path) -> None:
    make(tmp_path, {".gitignore": "gen/\n", "gen/deep/x.py": "", "ok.py": ""})
    rules = IgnoreRules(tmp_path)
    assert rules.is_ignored("gen/deep/x.py")
    assert not rules.is_ignored(tmp_path / "ok.py")
    assert rules.is_ignored("/etc/passwd")


def test_comments_escapes_and_character_classes() -> None:
    rules = parse_rules("# comment\n\\#literal\nfile[0-9].txt\n")
    assert len(rules) == 2
    assert rules[0].regex.match("#literal")
    assert rules[1].regex.match("dir/file7.txt") and not rules[1].regex.match("fileA.txt")


@pytest.mark.parametrize("with_rules", [True, False], ids=["ignore files", "none"])
def test_the_walk_agrees_with_asking_path_by_path(tmp_path: Path, with_rules: bool) -> None:
    """The walk learns rules and virtualenvs from each folder's listing (no stat per
    question), and decides by name alone where no ignore file is at or above a folder; asking
    one path at a time reads them from disk: both must give the same files."""
    files = {
        "a/x/gone.py": "", "a/b/c/deep.py": "", "a/b/more.log": "", "keep.log": "",
        "drop.log": "", "venv2/pyvenv.cfg": "", "venv2/lib/site.py": "",
        "notvenv/pyvenv.cfg/inside.txt": "", "notvenv/code.py": "", "env/nested/pyvenv.cfg": "",
        "env/nested/x.py": "", "env/kept.py": "", "src/build/out.o": "", "src/.DS_Store": "",
        "node_modules/m/i.js": "", "a/target/t.rs": "", "a/.git/HEAD": "",
    }  # fmt: skip
    if with_rules:
        files |= {".gitignore": "*.log\n!keep.log\n", "a/.rigtuiignore": "x/\n",
                  "a/b/.gitignore": "!*.log\n"}  # fmt: skip
    make(tmp_path, files)
    every = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    rules = IgnoreRules(tmp_path)
    one_by_one = [p for p in every if not rules.is_ignored(p, is_dir=False)]
    assert walked(tmp_path) == one_by_one
    assert "notvenv/pyvenv.cfg/inside.txt" in one_by_one  # a folder named so is no virtualenv
    expected = ["a/b/c/deep.py", "a/b/more.log", "env/kept.py", "keep.log", "notvenv/code.py",
                "notvenv/pyvenv.cfg/inside.txt"]  # fmt: skip
    if with_rules:
        expected += [".gitignore", "a/.rigtuiignore", "a/b/.gitignore"]
    else:
        expected += ["a/x/gone.py", "drop.log"]
    assert one_by_one == sorted(expected)


def test_the_quick_look_at_a_folders_rules_never_misses_a_rule(tmp_path: Path) -> None:
    """A folder's rules are first tried together (those on a last name against the name alone,
    the others against the path); only then one by one. That first look must say yes exactly
    when some rule matches, for every kind of pattern."""
    (tmp_path / ".gitignore").write_text("\n".join([
        "*.py[cod]", "build", "/dist", "docs/_build/", "**/gen", "a/**/b", "foo**bar", "!keep.pyc",
        "\\#notes", "*.egg-info/", "?x", "[!a]*.tmp", "lib/*.so", "deep/**", "**/x/*.c", "cache*",
    ]))  # fmt: skip
    rules = _rules_in(str(tmp_path), (1.0, 0.0))
    assert len(rules.rules) == 16
    names = ["m.pyc", "build", "dist", "gen", "b", "foobar", "keep.pyc", "#notes", "x.egg-info",
             "ax", "z.tmp", "a.so", "y.c", "cache1", "plain.py", "foo", "foo/x/bar"]  # fmt: skip
    folders = ["", "src", "src/gen", "a/q/r", "docs/_build", "foo/x", "lib", "deep/er", "w/x"]
    matched = 0
    for folder in folders:
        for name in names:
            path = f"{folder}/{name}" if folder else name
            some_rule = any(rule.regex.match(path) for rule in rules.rules)
            assert rules.may_match(path, path.rpartition("/")[2]) == some_rule, path
            matched += some_rule
    assert matched > 40

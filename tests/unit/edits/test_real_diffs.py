"""Diffs made by real git and GNU diff from two trees, applied with `rigtui apply` as a user
would: the tree must end exactly as the second one (bytes, modes, folders), undo must give
back the first, and `--check` must agree. The same diffs go through `git apply` / `patch -p1`
first, so a case where the reference tool itself disagrees is not counted against us."""

from __future__ import annotations

import os
import random
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("diff") is None or shutil.which("patch") is None,
    reason="needs git, GNU diff and GNU patch",
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def _source(name: str, n: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = [f'"""{name}: generated module."""', ""]
    for i in range(n):
        lines += [f"def {name}_{i}(x):", f"    return x * {rng.randint(2, 99)} + {i}", ""]
    return "\n".join(lines) + "\n"


def _edit(text: str, seed: int) -> str:
    rng = random.Random(seed)
    lines = text.split("\n")
    for i in sorted(rng.sample(range(2, len(lines) - 1), len(lines) // 8), reverse=True):
        if rng.random() < 0.5:
            lines[i] = lines[i].replace("return", "return  ", 1) + "  # changed"
        elif rng.random() < 0.5:
            lines.insert(i, f"    # inserted {i}")
        else:
            del lines[i]
    return "\n".join(lines)


def _trees(root: Path, binary: bool) -> tuple[Path, Path]:
    """Two releases of a small project: edits, a folder moved (`requests/` to
    `src/requests/`), deletions, new folders, a Latin-1 file, CRLF, no final newline, a mode
    change, names git quotes; with `binary`, binary files changed (delta and literal), added
    and deleted."""
    a, b = root / "a", root / "b"
    for tree in (a, b):
        (tree / "docs").mkdir(parents=True)
    for i in range(6):
        text = _source(f"mod{i}", 30, i)
        (a / "requests").mkdir(exist_ok=True)
        (a / "requests" / f"m{i}.py").write_text(text)
        (b / "src" / "requests").mkdir(parents=True, exist_ok=True)
        (b / "src" / "requests" / f"m{i}.py").write_text(_edit(text, i) if i % 2 else text)
    for i in range(4):
        (a / "docs" / f"page{i}.md").write_text(_source(f"page{i}", 10, 10 + i))
    (b / "docs" / "page0.md").write_text(_edit(_source("page0", 10, 10), 3))  # 1-3 deleted
    (b / "new" / "deep").mkdir(parents=True)
    (b / "new" / "deep" / "added.py").write_text(_source("added", 5, 99))
    (a / "latin1.txt").write_bytes("caf\xe9\nna\xefve\nlast line\n".encode("latin-1"))
    (b / "latin1.txt").write_bytes("caf\xe9s\nna\xefve\nlast line\n".encode("latin-1"))
    (a / "crlf.txt").write_bytes(b"one\r\ntwo\r\nthree\r\n")
    (b / "crlf.txt").write_bytes(b"one\r\n2\r\nthree\r\nfour")
    for tree in (a, b):
        (tree / "run.sh").write_text("#!/bin/sh\necho run\n")
        (tree / "name with spaces.txt").write_text("spaces\n" if tree is a else "spaces!\n")
        (tree / "caf\u00e9.txt").write_text("unicode name\n" if tree is a else "changed\n")
    (b / "run.sh").chmod(0o755)
    if binary:
        rng = random.Random(5)
        blob = bytes(rng.randrange(256) for _ in range(40_000)) + b"\0"
        (a / "image.bin").write_bytes(blob)
        (b / "image.bin").write_bytes(blob[:1000] + b"patched" + blob[1007:])  # a delta
        (a / "small.bin").write_bytes(b"\0\1\2old")
        (b / "small.bin").write_bytes(b"\0\1\2new and longer")  # a literal
        (a / "gone.bin").write_bytes(b"\0gone")
        (b / "new.bin").write_bytes(b"\0\xff" * 300)
    return a, b


def _snapshot(tree: Path, modes: bool = True) -> dict[str, object]:
    """Every entry: folders, and files' bytes with their x bit (`modes`: GNU diff has none)."""
    out: dict[str, object] = {}
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        if path.is_dir():
            out[rel] = "folder"
        else:
            out[rel] = (path.read_bytes(), modes and bool(path.stat().st_mode & stat.S_IXUSR))
    return out


def _git_diffs(a: Path, b: Path, work: Path) -> dict[str, bytes]:
    repo = work / "repo"
    shutil.copytree(a, repo)

    def git(*args: str) -> bytes:
        env = {**os.environ, **GIT_ENV}
        return subprocess.run(
            ["git", "-C", str(repo), *args], check=True, capture_output=True, env=env
        ).stdout

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "a")
    for entry in list(repo.iterdir()):
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for entry in b.iterdir():
        (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, repo / entry.name)
    git("add", "-A")
    git("commit", "-qm", "b")
    return {
        label: git("diff", "--binary", *flags, "HEAD~1", "HEAD")
        for label, flags in {
            "git -M": ["-M"],
            "git --no-renames": ["--no-renames"],
            "git -U1": ["-M", "-U1"],
            "git -U0": ["-M", "-U0"],
        }.items()
    }


def _gnu_diff(a: Path, b: Path) -> bytes:
    done = subprocess.run(
        ["diff", "-ruN", a.name, b.name], cwd=a.parent, capture_output=True, check=False
    )
    assert done.returncode == 1, done.stderr  # 1: the trees differ
    return done.stdout


def _reference(label: str, patch: Path, tree: Path) -> None:
    if label.startswith("git"):
        argv = ["git", "apply", "--unidiff-zero", str(patch)]
    else:
        argv = ["patch", "-p1", "-s", "-E", "-i", str(patch)]
    subprocess.run(argv, cwd=tree, check=True, capture_output=True)


def _rigtui(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rigtui", *args], capture_output=True, text=True, timeout=120
    )


def _round_trip(a: Path, b: Path, label: str, patch_bytes: bytes, work: Path) -> None:
    patch = work / f"{label.replace(' ', '_')}.patch"
    patch.write_bytes(patch_bytes)
    modes = label.startswith("git")

    def snap(tree: Path) -> dict[str, object]:
        return _snapshot(tree, modes)

    ref = work / f"ref-{patch.stem}"
    shutil.copytree(a, ref, symlinks=True)
    _reference(label, patch, ref)
    assert snap(ref) == snap(b), f"the reference tool itself disagrees on {label}"
    tree = work / f"rig-{patch.stem}"
    shutil.copytree(a, tree, symlinks=True)
    checked = _rigtui("apply", "--check", "--path", str(tree), str(patch))
    assert checked.returncode == 0, checked.stderr
    assert _snapshot(tree) == _snapshot(a), "--check changes nothing"
    applied = _rigtui("apply", "--yes", "--path", str(tree), str(patch))
    assert applied.returncode == 0, applied.stderr
    assert snap(tree) == snap(b), f"{label}: applied tree differs"
    undone = _rigtui("undo", "--path", str(tree))
    assert undone.returncode == 0, undone.stderr
    assert _snapshot(tree) == _snapshot(a), f"{label}: undo does not give the first tree back"


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    work = tmp_path_factory.mktemp("releases")
    a, b = _trees(work, binary=True)
    return a, b, _git_diffs(a, b, work)


@pytest.mark.parametrize("label", ["git -M", "git --no-renames", "git -U1", "git -U0"])
def test_git_diffs_apply_exactly_and_undo(
    releases: tuple[Path, Path, dict[str, bytes]], tmp_path: Path, label: str
) -> None:
    a, b, diffs = releases
    if label == "git -M":
        assert b"rename from requests/m0.py" in diffs[label]
        assert b"GIT binary patch\ndelta " in diffs[label], "the big binary goes as a delta"
        assert b"GIT binary patch\nliteral " in diffs[label]
    _round_trip(a, b, label, diffs[label], tmp_path)


def test_gnu_diff_ruN_applies_like_patch_p1(tmp_path: Path) -> None:
    a, b = _trees(tmp_path, binary=False)
    diff = _gnu_diff(a, b)
    assert b"--- a/new/deep/added.py\t1970-01-01" in diff  # new files: the epoch, -0,0
    assert b"+++ b/docs/page1.md\t1970-01-01" in diff  # deleted files
    _round_trip(a, b, "diff -ruN", diff, tmp_path)


def test_gnu_diff_between_folders_named_otherwise_is_not_a_rename(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    (tmp_path / "old" / "x.txt").write_text("a\nb\n")
    (tmp_path / "new" / "x.txt").write_text("a\nB\n")
    diff = subprocess.run(
        ["diff", "-ru", "old", "new"], cwd=tmp_path, capture_output=True, check=False
    ).stdout
    project = tmp_path / "project"
    shutil.copytree(tmp_path / "old", project)
    (project / "old").mkdir()
    (project / "old" / "x.txt").write_text("a\nb\n")  # the -p0 name exists too: -p1 still wins
    patch = tmp_path / "p.diff"
    patch.write_bytes(diff)
    done = _rigtui("apply", "--yes", "--path", str(project), str(patch))
    assert done.returncode == 0, done.stderr
    assert (project / "x.txt").read_text() == "a\nB\n"
    assert (project / "old" / "x.txt").read_text() == "a\nb\n", "never moved to new/x.txt"
    assert not (project / "new").exists()


def test_p0_is_detected_and_p_can_be_given(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "x.c").write_text("a\n")
    patch = tmp_path / "p.diff"
    patch.write_text("--- lib/x.c\n+++ lib/x.c\n@@ -1 +1 @@\n-a\n+b\n")
    assert _rigtui("apply", "--yes", "--path", str(tmp_path), str(patch)).returncode == 0
    assert (tmp_path / "lib" / "x.c").read_text() == "b\n"
    patch.write_text("--- x/y/lib/x.c\n+++ x/y/lib/x.c\n@@ -1 +1 @@\n-b\n+c\n")
    done = _rigtui("apply", "--yes", "-p", "2", "--path", str(tmp_path), str(patch))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "lib" / "x.c").read_text() == "c\n"


def test_binary_files_differ_is_refused_naming_the_file(tmp_path: Path) -> None:
    a, b = _trees(tmp_path, binary=True)
    diff = _gnu_diff(a, b)
    assert b"Binary files a/image.bin and b/image.bin differ" in diff
    project = tmp_path / "project"
    shutil.copytree(a, project)
    before = _snapshot(project)
    patch = tmp_path / "p.diff"
    patch.write_bytes(diff)
    done = _rigtui("apply", "--yes", "--path", str(project), str(patch))
    assert done.returncode == 1
    assert "gone.bin, image.bin, new.bin, small.bin: the diff only says these binary files" in (
        done.stderr
    )
    assert "git diff --binary" in done.stderr
    assert _snapshot(project) == before, "the rest of the patch is not applied either"


def test_a_binary_patch_against_a_changed_file_is_refused(
    releases: tuple[Path, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    a, _, diffs = releases
    project = tmp_path / "project"
    shutil.copytree(a, project)
    (project / "small.bin").write_bytes(b"\0\1\2someone else's")
    patch = tmp_path / "p.diff"
    patch.write_bytes(diffs["git -M"])
    done = _rigtui("apply", "--yes", "--path", str(project), str(patch))
    assert done.returncode == 1
    assert "small.bin: the binary file changed since the patch was made" in done.stderr
    assert (project / "small.bin").read_bytes() == b"\0\1\2someone else's"


def test_check_output_is_not_wrapped_when_piped(tmp_path: Path) -> None:
    long = "x" * 150
    (tmp_path / "f.txt").write_text(f"{long}\n")
    patch = tmp_path / "p.diff"
    patch.write_text(f"--- a/f.txt\n+++ b/f.txt\n@@ -1 +1 @@\n-{long}\n+{long}y\n")
    done = _rigtui("apply", "--check", "--path", str(tmp_path), str(patch))
    assert done.returncode == 0, done.stderr
    assert any(line.rstrip().endswith(f"{long}y") for line in done.stdout.splitlines())
    assert all(len(line) <= 200 for line in done.stdout.splitlines())


def test_rigtui_binary_diffs_are_what_git_apply_takes(tmp_path: Path) -> None:
    """The diffs rigtui writes (for captured changes) of binary files and odd names: git
    applies them, and rigtui reads them back as the same change."""
    from rigtui.edits.diff import unified_diff
    from rigtui.edits.parse import parse_patch

    old = bytes(range(256)) * 40
    new = old[:100] + b"changed" + old[107:]
    (tmp_path / "bin.dat").write_bytes(old)
    (tmp_path / "caf\u00e9\nx.bin").write_bytes(b"\0abc")
    patch = (
        unified_diff("bin.dat", old, new)
        + unified_diff("caf\u00e9\nx.bin", b"\0abc", None)
        + unified_diff("new.bin", None, b"\0\1\2", after_mode=0o755)
        + unified_diff('a "quoted" name.txt', None, b"text\n")
    )
    kinds = [(f.kind, f.path, f.binary is not None) for f in parse_patch(patch).files]
    assert kinds == [
        ("update", "bin.dat", True),
        ("delete", "caf\u00e9\nx.bin", True),
        ("add", "new.bin", True),
        ("add", 'a "quoted" name.txt', False),
    ]
    (tmp_path / "p.diff").write_text(patch)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    done = subprocess.run(["git", "apply", "p.diff"], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "bin.dat").read_bytes() == new
    assert not (tmp_path / "caf\u00e9\nx.bin").exists()
    assert (tmp_path / "new.bin").read_bytes() == b"\0\1\2"
    assert (tmp_path / "new.bin").stat().st_mode & 0o111
    assert (tmp_path / 'a "quoted" name.txt').read_text() == "text\n"

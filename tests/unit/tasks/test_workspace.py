"""rigtui.workspace: making, reading back and removing a workspace, git and not; rebasing its
changes on a project that moved on."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rigtui.errors import RigtuiError
from rigtui.workspace import FileChange, collect, create, rebase, remove
from tests.unit.tasks.helpers import git, make_project, tree


@pytest.mark.parametrize("use_git", [True, False], ids=["git", "copy"])
def test_a_workspace_starts_as_the_project_and_reads_back_what_changed(
    tmp_path: Path, use_git: bool
) -> None:
    project = make_project(tmp_path / "proj", use_git=use_git)
    (project / "build.log").write_text("ignored by git\n")
    ws = create(project, tmp_path / "ws")
    assert ws.kind == ("git" if use_git else "copy")
    mine = tree(ws.root)
    theirs = tree(project)
    if use_git:  # ignored files are not carried over; the uncommitted state is
        theirs.pop("build.log")
        assert mine.pop(".git").startswith(b"gitdir:")  # a worktree: git keeps the rest
        assert mine["sub/keep.txt"] == b"keep, edited\n" and "untracked.txt" in mine
    assert {k: v for k, v in mine.items() if k != ".git"} == theirs
    assert collect(ws).changes == []

    (ws.root / "a.txt").write_text("changed\n")
    (ws.root / "new").mkdir()
    (ws.root / "new" / "file.sh").write_text("#!/bin/sh\n")
    os.chmod(ws.root / "new" / "file.sh", 0o755)
    (ws.root / "c.txt").unlink()
    (ws.root / "sneaky").symlink_to("/etc/passwd")
    (ws.root / "outside").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "planted.txt").write_text("through a link\n")
    got = collect(ws)
    by_path = {c.path: c for c in got.changes}
    assert sorted(by_path) == ["a.txt", "c.txt", "new/file.sh"]
    assert by_path["a.txt"].after == b"changed\n"
    assert by_path["c.txt"].after is None and by_path["c.txt"].before == b"gamma one\ngamma two\n"
    assert by_path["new/file.sh"].before is None and by_path["new/file.sh"].after_mode & 0o100
    assert "sneaky" in got.skipped and "planted.txt" not in str(got.changes)  # links: never
    assert tree(project) == tree(project)  # sanity: reading did not write
    remove(ws)
    assert not (tmp_path / "ws").exists()
    if use_git:
        assert git(project, "worktree", "list").count("\n") == 1


def test_a_repository_without_commits_gets_a_copy(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "x.txt").write_text("x\n")
    git(project, "init", "-q")
    ws = create(project, tmp_path / "ws")
    assert ws.kind == "copy" and (ws.root / "x.txt").read_text() == "x\n"
    remove(ws)


def test_making_a_workspace_runs_none_of_the_repositorys_hooks(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", use_git=True)
    marker = tmp_path / "hook-ran"
    for hook in ("post-checkout", "pre-commit", "post-commit", "commit-msg"):
        path = project / ".git" / "hooks" / hook
        path.write_text(f"#!/bin/sh\ntouch {marker}\n")
        path.chmod(0o755)
    ws = create(project, tmp_path / "ws")
    collect(ws)
    remove(ws)
    assert not marker.exists()


def test_a_repository_whose_own_config_runs_filters_gets_a_copy(tmp_path: Path) -> None:
    """A `.git/config` that came with the folder names a smudge/clean filter: a worktree
    checkout (or `git status`) would run it on the host, unsandboxed."""
    project = make_project(tmp_path / "proj", use_git=True)
    marker = tmp_path / "filter-ran"
    (project / ".gitattributes").write_text("* filter=x\n")
    git(project, "add", ".gitattributes")
    git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "attrs")
    with (project / ".git" / "config").open("a") as config:
        config.write(f'[filter "x"]\n\tsmudge = sh -c "touch {marker}; cat"\n'
                     f'\tclean = sh -c "touch {marker}; cat"\n')  # fmt: skip
    ws = create(project, tmp_path / "ws")
    assert ws.kind == "copy"
    (ws.root / "a.txt").write_text("changed\n")
    assert [c.path for c in collect(ws).changes] == ["a.txt"]
    remove(ws)
    assert not marker.exists()


def test_reading_back_never_uses_a_git_repository_the_task_planted(tmp_path: Path) -> None:
    """The task's commands can write the workspace's `.git`: a repository of their own there,
    whose config runs a program on `git add` (a clean filter), must not run on the host."""
    project = make_project(tmp_path / "proj", use_git=True)
    (tmp_path / "real-home").mkdir()
    (tmp_path / "home").symlink_to(tmp_path / "real-home")  # as /tmp is on macOS
    ws = create(project, tmp_path / "home" / "ws")
    marker = tmp_path / "filter-ran"
    (ws.root / ".git").unlink()
    git(ws.root, "init", "-q", ".")
    with (ws.root / ".git" / "config").open("a") as config:
        config.write(f'[filter "x"]\n\tclean = sh -c "touch {marker}; cat"\n')
    (ws.root / ".gitattributes").write_text("* filter=x\n")
    (ws.root / "new.txt").write_text("new\n")
    got = collect(ws)
    assert not marker.exists()
    assert [c.path for c in got.changes] == [".gitattributes", "new.txt"]
    remove(ws)
    assert git(project, "worktree", "list").count("\n") == 1


def test_a_workspace_git_no_longer_knows_is_a_clear_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", use_git=True)
    ws = create(project, tmp_path / "ws")
    shutil.rmtree(project / ".git" / "worktrees")
    with pytest.raises(RigtuiError, match="git no longer knows the workspace"):
        collect(ws)
    remove(ws)
    assert not ws.home.exists()


def test_making_a_workspace_never_writes_through_a_link_the_checkout_made(
    tmp_path: Path,
) -> None:
    """HEAD has `lnk` as a link to a folder outside and the project a real folder there with an
    untracked file: the worktree's `lnk` becomes a folder; nothing is written outside."""
    project = make_project(tmp_path / "proj", use_git=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "lnk").symlink_to(outside, target_is_directory=True)
    (project / "was_file").write_text("a file in HEAD\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "a link and a file")
    (project / "lnk").unlink()
    (project / "lnk").mkdir()
    (project / "lnk" / "inside.txt").write_text("mine\n")
    (project / "was_file").unlink()
    (project / "was_file").mkdir()
    (project / "was_file" / "now.txt").write_text("a folder now\n")
    ws = create(project, tmp_path / "ws")
    assert list(outside.iterdir()) == []
    assert not (ws.root / "lnk").is_symlink()
    assert (ws.root / "lnk" / "inside.txt").read_text() == "mine\n"
    assert (ws.root / "was_file" / "now.txt").read_text() == "a folder now\n"
    assert collect(ws).changes == []
    remove(ws)


def test_rebase_takes_the_task_where_the_project_did_not_move(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "f.txt").write_bytes(b"1\n2\n3\n4\n5\n6\n7\n8\n9\n")
    change = FileChange("f.txt", b"1\n2\n3\n4\n5\n6\n7\n8\n9\n", b"1\nTWO\n3\n4\n5\n6\n7\n8\n9\n")
    assert rebase(project, [change]).clean
    (project / "f.txt").write_bytes(b"1\n2\n3\n4\n5\n6\n7\n8\nNINE\n")
    moved = rebase(project, [change])
    assert moved.clean and moved.merged == ["f.txt"]
    assert "-2\n+TWO" in moved.patch and "NINE" not in moved.patch.replace(" NINE", "")
    (project / "f.txt").write_bytes(b"1\ntwo, by hand\n3\n4\n5\n6\n7\n8\n9\n")
    clash = rebase(project, [change])
    assert [c.path for c in clash.conflicts] == ["f.txt"]
    # the project's line stays (context); the markers and the task's line are what is added
    assert "+<<<<<<< project (now)\n two, by hand\n+=======\n+TWO\n+>>>>>>> task" in clash.patch


def test_a_whole_file_conflict_is_left_out_and_named(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "gone.txt").write_bytes(b"changed by the project\n")
    change = FileChange("gone.txt", b"original\n", None, 0o644, None)
    out = rebase(project, [change])
    assert out.patch == "" and out.conflicts[0].reason.startswith("deleted by the task")
    assert not out.conflicts[0].in_patch


def test_binary_files_deletions_and_modes_come_back_as_a_patch_that_applies(
    tmp_path: Path,
) -> None:
    from rigtui.edits import engine
    from rigtui.edits.parse import parse_patch
    from rigtui.edits.prepare import prepare

    project = make_project(tmp_path / "proj", use_git=False)
    (project / "blob.bin").write_bytes(b"\x00\x01before")
    ws = create(project, tmp_path / "ws")
    (ws.root / "blob.bin").write_bytes(b"\x00\x02after\xff")
    (ws.root / "c.txt").unlink()
    os.chmod(ws.root / "a.txt", 0o755)
    (ws.root / "new.bin").write_bytes(bytes(range(256)))
    out = rebase(project, collect(ws).changes)
    assert out.clean and "GIT binary patch" in out.patch and "deleted file mode" in out.patch
    engine.apply_proposal(prepare(project, parse_patch(out.patch, root=project)))
    assert (project / "blob.bin").read_bytes() == b"\x00\x02after\xff"
    assert (project / "new.bin").read_bytes() == bytes(range(256))
    assert not (project / "c.txt").exists() and os.stat(project / "a.txt").st_mode & 0o100
    remove(ws)


def test_the_change_set_counts_lines_that_look_like_a_diffs_header(tmp_path: Path) -> None:
    """`tasks --json` counts a removed `-- comment` (SQL, Lua) and an added `++ x` as lines."""
    from rigtui.commands.tasks import _change_set

    (tmp_path / "q.sql").write_bytes(b"-- a comment\nselect 1;\n")
    change = FileChange("q.sql", b"-- a comment\nselect 1;\n", b"++ x\nselect 1;\n", 0o644, 0o644)
    counted = _change_set("t-1", rebase(tmp_path, [change]))
    assert counted["files"] == [{"path": "q.sql", "added": 1, "removed": 1}]


def test_a_copy_workspace_never_carries_back_gits_own_files(tmp_path: Path) -> None:
    """A repository without a commit yet is copied; a command's `git add` (or `git status`)
    there rewrites .git/index and adds objects: the change set holds the task's file only
    (one path inside .git and the whole change set was refused at review)."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "a.txt").write_text("a\n")
    git(project, "init", "-q")
    ws = create(project, tmp_path / "ws")
    assert ws.kind == "copy"
    (ws.root / "a.txt").write_text("b\n")
    git(ws.root, "add", "-A")
    got = collect(ws)
    assert [c.path for c in got.changes] == ["a.txt"] and got.skipped == []
    remove(ws)

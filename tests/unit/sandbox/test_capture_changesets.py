"""A command's writes as a change set (`[sandbox] mount = "capture"`): binary files, renames,
modes, deletions and new folders become one patch that applies to exactly what the command
left and undoes to exactly what was there; the local sandbox's overlay and copy layers; `rigtui
run --mount capture`; and a command that plants a symlink in its layer cannot make the apply
write outside the project."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rigtui.cli import main
from rigtui.config import Settings
from rigtui.edits import engine, parse, prepare
from rigtui.sandbox import RunRequest, get_sandbox, local, local_layers
from rigtui.sandbox.capture import Written, capture
from rigtui.sandbox.local import LocalSandbox, bwrap_status

BWRAP_OK, BWRAP_DETAIL = bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP_OK, reason=f"bubblewrap unusable: {BWRAP_DETAIL}")
OVERLAY_OK, OVERLAY_DETAIL = local_layers.overlay_status()
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every regular file under root (but .git) with its bytes and permission bits."""
    out: dict[str, tuple[bytes, int]] = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".git/") or path.is_symlink() or not path.is_file():
            continue
        out[rel] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


def apply_and_undo(root: Path, patch: str) -> tuple[dict, dict]:
    """Apply every hunk of `patch`, journaled; the tree after it and after undoing it."""
    proposal = prepare.prepare(root, parse.parse_patch(patch))
    engine.apply_proposal(proposal, set(proposal.hunk_ids()))
    applied = tree(root)
    engine.undo(root)
    return applied, tree(root)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "assets").mkdir()
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    (root / "src" / "moved.py").write_text("KEEP = 'these bytes'\n")
    (root / "assets" / "logo.png").write_bytes(PNG)
    (root / "assets" / "old.bin").write_bytes(b"\x00old\xff")
    (root / "tool.sh").write_bytes(b"#!/bin/sh\necho tool\n")
    (root / "gone.txt").write_text("bye\n")
    (root / ".gitignore").write_text("build/\n")
    return root


def written(entries: dict[str, tuple[bytes, int] | None]) -> Written:
    return dict(entries)


def test_binary_rename_mode_delete_and_new_folder_apply_and_undo_byte_for_byte(project: Path):
    before = tree(project)
    after_png = PNG[:-7] + b"\x00changed"
    layer = written({
        "assets/logo.png": (after_png, 0o644),  # a binary file changed
        "assets/old.bin": None,  # a binary file deleted
        "assets/new.bin": (b"\x00\x01\x02new", 0o644),  # a binary file made
        "src/moved.py": None,  # mv src/moved.py lib/deep/moved.py: a rename
        "lib/deep/moved.py": (b"KEEP = 'these bytes'\n", 0o644),  # in a new folder
        "tool.sh": (b"#!/bin/sh\necho tool\n", 0o755),  # chmod +x only
        "gone.txt": None,
        "src/app.py": (b"def main():\n    return 2\n", 0o644),
        "new/folder/readme.md": (b"# hi\n", 0o644),
        "build/out.o": (b"\x7fELF", 0o755),  # ignored: dropped
    })  # fmt: skip
    got = capture(project, layer)
    assert [(f.path, f.kind) for f in got.files] == [
        ("assets/logo.png", "changed"),
        ("assets/new.bin", "created"),
        ("assets/old.bin", "deleted"),
        ("gone.txt", "deleted"),
        ("lib/deep/moved.py", "renamed"),
        ("new/folder/readme.md", "created"),
        ("src/app.py", "changed"),
        ("tool.sh", "changed"),
    ]
    assert got.files[4].renamed_from == "src/moved.py"
    assert got.binary == ("assets/logo.png", "assets/new.bin", "assets/old.bin")
    assert got.ignored == ("build/out.o",)
    patch = got.patch()
    assert "rename from src/moved.py\nrename to lib/deep/moved.py" in patch
    assert patch.count("GIT binary patch") == 3
    assert "old mode 100644\nnew mode 100755" in patch

    applied, undone = apply_and_undo(project, patch)
    expected = {**before}
    for path, state in layer.items():
        if path.startswith("build/"):
            continue
        if state is None:
            expected.pop(path, None)
        else:
            expected[path] = state
    assert applied == expected
    assert undone == before
    assert not (project / "lib").exists() and not (project / "new").exists()


def test_a_rename_keeps_its_bytes_and_takes_its_mode_change_along(project: Path):
    layer = written({
        "assets/logo.png": None,
        "assets/logo-2x.png": (PNG, 0o755),  # binary rename, made executable
    })  # fmt: skip
    got = capture(project, layer)
    assert [(f.path, f.kind, f.renamed_from) for f in got.files] == [
        ("assets/logo-2x.png", "renamed", "assets/logo.png")
    ]
    assert "binary" in got.summary() and "assets/logo.png -> assets/logo-2x.png" in got.summary()
    applied, undone = apply_and_undo(project, got.patch())
    assert applied["assets/logo-2x.png"] == (PNG, 0o755) and "assets/logo.png" not in applied
    assert undone["assets/logo.png"] == (PNG, 0o644) and "assets/logo-2x.png" not in undone


def test_renames_pair_by_bytes_preferring_the_same_name_and_never_empty_files(project: Path):
    (project / "a").mkdir()
    (project / "a" / "x.txt").write_text("same\n")
    (project / "a" / "y.txt").write_text("same\n")
    (project / "empty").write_bytes(b"")
    layer = written({
        "a/x.txt": None,
        "a/y.txt": None,
        "b/y.txt": (b"same\n", 0o644),  # y.txt moved: same bytes as x.txt, same name as y.txt
        "empty": None,
        "other-empty": (b"", 0o644),  # empty files: a delete and a create, never a rename
    })  # fmt: skip
    got = capture(project, layer)
    assert [(f.path, f.kind, f.renamed_from) for f in got.files] == [
        ("a/x.txt", "deleted", None),
        ("b/y.txt", "renamed", "a/y.txt"),
        ("empty", "deleted", None),
        ("other-empty", "created", None),
    ]
    before = tree(project)
    applied, undone = apply_and_undo(project, got.patch())
    assert applied["b/y.txt"] == (b"same\n", 0o644) and "a/y.txt" not in applied
    assert undone == before


# --- the local sandbox: a writable view, its writes captured ---------------------------------

SCRIPT = (
    "set -e; printf '\\000\\001\\002' > blob.bin; mv src/moved.py src/renamed.py;"
    " chmod +x tool.sh; rm gone.txt; mkdir -p new/deep && echo made > new/deep/f.txt;"
    " printf 'x' >> assets/logo.png; rm assets/old.bin; echo t >> src/app.py; cat src/app.py"
)


@pytest.fixture(
    params=[
        pytest.param(
            "overlay", marks=pytest.mark.skipif(not OVERLAY_OK, reason=str(OVERLAY_DETAIL))
        ),
        "copy",
    ]
)
def layer_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "copy":
        monkeypatch.setattr(local_layers, "overlay_status", lambda: (False, "forced copy"))
    return str(request.param)


def expected_capture(project: Path) -> list[tuple[str, str]]:
    return [
        ("assets/logo.png", "changed"),
        ("assets/old.bin", "deleted"),
        ("blob.bin", "created"),
        ("gone.txt", "deleted"),
        ("new/deep/f.txt", "created"),
        ("src/app.py", "changed"),
        ("src/renamed.py", "renamed"),
        ("tool.sh", "changed"),
    ]


@needs_bwrap
async def test_capture_mode_gives_a_writable_view_and_a_change_set(project: Path, layer_kind: str):
    before = tree(project)
    box = LocalSandbox(project, mount="capture")
    assert box.read_only and "captured as change sets" in box.note
    result = await box.run(RunRequest(command=SCRIPT, cwd=project))
    assert result.ok, result.stderr
    assert result.stdout.endswith("t\n")  # the command reads back its own write
    assert tree(project) == before  # the project itself is untouched
    got = result.captured
    assert got is not None
    assert [(f.path, f.kind) for f in got.files] == expected_capture(project)
    applied, undone = apply_and_undo(project, got.patch())
    assert applied["blob.bin"] == (b"\x00\x01\x02", 0o644)
    assert applied["assets/logo.png"][0] == PNG + b"x"
    assert applied["tool.sh"][1] & 0o100 and applied["src/renamed.py"][0].startswith(b"KEEP")
    assert applied["new/deep/f.txt"][0] == b"made\n"
    assert undone == before


async def test_capture_without_bubblewrap_runs_in_a_copy_at_another_path(
    project: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(local, "bwrap_status", lambda: (False, "bwrap is not installed"))
    before = tree(project)
    box = LocalSandbox(project, mount="capture")
    assert "private copy of the project, at another path" in box.note
    result = await box.run(RunRequest(command=f"pwd; cd ..; {SCRIPT}", cwd=project / "src"))
    assert result.ok, result.stderr + result.stdout
    assert result.stdout.splitlines()[0] != str(project / "src")
    assert result.stdout.splitlines()[0].endswith("/project/src")  # its folder, in the copy
    assert tree(project) == before
    assert result.captured is not None
    assert [(f.path, f.kind) for f in result.captured.files] == expected_capture(project)


def test_checks_and_rigtui_run_write_directly_when_the_setting_is_capture(project: Path, capsys):
    settings = Settings()
    assert settings.sandbox.mount == "capture"  # the model's commands, by default
    assert get_sandbox(settings, project, "local", mount="rw").read_only is False
    code = main(["run", "--path", str(project), "--sandbox", "local", "-q", "--shell", "--",
                 "echo mine > mine.txt"])  # fmt: skip
    assert code == 0 and (project / "mine.txt").read_text() == "mine\n"


@pytest.mark.parametrize(("mount", "checks_read_only"), [("capture", False), ("ro", True)])
async def test_checks_write_the_project_unless_it_is_read_only(
    project: Path, mount: str, checks_read_only: bool
):
    from rigtui.session import Session

    settings = Settings()
    settings.index.enabled = False
    settings.sandbox.kind, settings.sandbox.mount = "local", mount  # type: ignore[assignment]
    session = await Session.open(project, settings=settings)
    try:
        runner = await session.runtime.check_runner()
        assert runner.sandbox.read_only is checks_read_only
        thread = await session.new_thread("t")
        model_box = await session.runtime.sandbox(thread.id)
        assert model_box.read_only  # the model's commands are captured either way
    finally:
        await session.close()


@needs_bwrap
def test_rigtui_run_capture_applies_one_change_set_that_undo_restores(project: Path, capsys):
    before = tree(project)
    code = main(["run", "--path", str(project), "--sandbox", "local", "--mount", "capture",
                 "--shell", "--", "printf '\\000z' > z.bin; echo 3 >> src/app.py"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "changed 2 files (+1 \u22120)" in err and "rigtui undo" in err
    assert (project / "z.bin").read_bytes() == b"\x00z"
    assert main(["undo", "--path", str(project)]) == 0
    assert tree(project) == before


# --- attacks ---------------------------------------------------------------------------------


@needs_bwrap
async def test_a_symlink_planted_in_the_layer_never_leads_the_apply_outside(
    project: Path, tmp_path: Path, layer_kind: str
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("theirs\n")
    box = LocalSandbox(project, mount="capture")
    # escape -> outside, then files written through it and beside it; a file replaced by a
    # link to a file outside; a folder of the project replaced by a link
    command = (
        f"ln -s {outside} escape; echo pwned > escape/keep.txt; echo new > escape/new.txt;"
        f" rm gone.txt; ln -s {outside}/keep.txt gone.txt; rm -r assets; ln -s {outside} assets;"
        " echo fine > inside.txt"
    )
    result = await box.run(RunRequest(command=command, cwd=project))
    assert result.captured is not None
    paths = [f.path for f in result.captured.files]
    assert not any(p == "escape" or p.startswith("escape/") for p in paths), paths
    assert not any(p.startswith("assets/") and f.after is not None
                   for p, f in zip(paths, result.captured.files, strict=True))  # fmt: skip
    assert {"escape", "gone.txt", "assets"} <= set(result.captured.skipped)
    assert "symlinks and special files, not captured: " in result.captured.summary()
    applied, _ = apply_and_undo(project, result.captured.patch())
    assert applied["inside.txt"][0] == b"fine\n"
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]
    assert (outside / "keep.txt").read_text() == "theirs\n"
    assert not any(os.path.islink(project / p) for p in ("escape", "gone.txt", "assets"))


def test_a_captured_write_under_a_project_symlink_is_refused_not_followed(
    project: Path, tmp_path: Path
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "link").symlink_to(outside)  # the repository's own link, planted beforehand
    got = capture(project, {"link/evil.txt": (b"x\n", 0o644), "ok.txt": (b"ok\n", 0o644)})
    with pytest.raises(Exception, match="link"):
        apply_and_undo(project, got.patch())
    assert list(outside.iterdir()) == [] and not (project / "ok.txt").exists()


def test_the_review_shows_a_binary_file_as_its_size_never_its_bytes(project: Path):
    from rich.console import Console

    from rigtui.edits.render import render_proposal

    got = capture(project, {"assets/logo.png": (PNG + b"!", 0o644), "new.bin": (b"\0" * 3, 0o644)})
    proposal = prepare.prepare(project, parse.parse_patch(got.patch()))
    console = Console(width=80, record=True)
    console.print(render_proposal(proposal, "unified"))
    text = console.export_text()
    assert f"binary, {len(PNG):,} bytes" in text  # the old side
    assert f"binary, {len(PNG) + 1:,} bytes" in text and "binary, 3 bytes" in text
    assert "PNG" not in text and "IHDR" not in text

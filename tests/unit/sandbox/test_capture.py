"""A read-only project's captured writes (`[sandbox] mount = "ro"`): the pure comparison, the
local sandbox's copy under bubblewrap, and `rigtui run --mount ro`. The Docker overlay runs
against a real engine in test_docker.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from rigtui.cli import main
from rigtui.edits import engine, parse, prepare
from rigtui.errors import RigtuiError
from rigtui.sandbox import RunRequest, local, local_layers
from rigtui.sandbox.capture import (
    LayerEntry,
    Written,
    capture,
    collect,
    opaque_probes,
    written_from_layer,
)
from rigtui.sandbox.local import LocalSandbox, bwrap_status

BWRAP_OK, BWRAP_DETAIL = bwrap_status()
needs_bwrap = pytest.mark.skipif(not BWRAP_OK, reason=f"bubblewrap unusable: {BWRAP_DETAIL}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "old").mkdir()
    (root / "src" / "app.py").write_text("def main():\n    return 1\n")
    (root / "src" / "util.py").write_text("X = 1\n")
    (root / "old" / "a.txt").write_text("a\n")
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\n")
    (root / ".gitignore").write_text("build/\n")
    return root


def as_written(contents: dict[str, bytes | None], mode: int = 0o644) -> Written:
    return {path: None if data is None else (data, mode) for path, data in contents.items()}


def contents_of(written: Written) -> dict[str, bytes | None]:
    return {path: None if state is None else state[0] for path, state in written.items()}


def apply_all(root: Path, patch: str) -> None:
    proposal = prepare.prepare(root, parse.parse_patch(patch))
    engine.apply_proposal(proposal, set(proposal.hunk_ids()))


def test_capture_sorts_text_binary_and_ignored_and_drops_unchanged(project: Path):
    written = as_written({
        "src/app.py": b"def main():\n    return 2\n",
        "src/util.py": b"X = 1\n",  # rewritten with the same bytes
        "new.md": b"# new\n",
        "old/a.txt": None,
        "plot.png": b"\x89PNG\r\n\x1a\n\x00\x00",
        "latin1.txt": "caf\xe9\n".encode("latin-1"),
        "build/out.o": b"\x7fELF",
        ".git/index": b"x",
        "gone-already.txt": None,  # deleted something that never existed
    })  # fmt: skip
    got = capture(project, written)
    assert [(f.path, f.kind) for f in got.files] == [
        ("latin1.txt", "created"),
        ("new.md", "created"),
        ("old/a.txt", "deleted"),
        ("plot.png", "created"),
        ("src/app.py", "changed"),
    ]
    assert got.binary == ("latin1.txt", "plot.png")
    assert got.ignored == (".git/index", "build/out.o")
    assert "latin1.txt (binary, 5 bytes)" in got.summary()
    assert "plot.png (binary, 10 bytes)" in got.summary()


def test_the_captured_patch_applies_to_exactly_what_the_command_left(project: Path):
    after = {
        "src/app.py": b"def main():\n    return 2\n\n\ndef extra():\n    pass",  # no final newline
        "crlf.txt": b"one\r\nTWO\r\nthree\r\n",
        "docs/new.md": b"# new\n",
        "old/a.txt": None,
    }
    apply_all(project, capture(project, as_written(after)).patch())
    for rel, data in after.items():
        path = project / rel
        assert (path.read_bytes() if data is not None else None) == data, rel
    assert not (project / "old" / "a.txt").exists()


def test_a_layer_becomes_writes_whiteouts_and_opaque_folders_deletions(project: Path):
    entries = [
        LayerEntry("src", "dir"),
        LayerEntry("src/app.py", "file", b"changed\n"),
        LayerEntry("old", "whiteout"),  # rm -rf old
        LayerEntry("crlf.txt", "whiteout"),
        LayerEntry("fresh", "dir"),
        LayerEntry("fresh/n.txt", "file", b"n\n"),
    ]
    # src/ holds util.py, which the layer does not: the probe tells whether it is still visible
    assert opaque_probes(project, entries) == {"src": "src/util.py"}
    kept = contents_of(written_from_layer(project, entries, opaque=set()))
    assert kept == {
        "src/app.py": b"changed\n",
        "old/a.txt": None,
        "crlf.txt": None,
        "fresh/n.txt": b"n\n",
    }
    # rm -rf src && mkdir src && write app.py: src is opaque, util.py is gone too
    remade = contents_of(written_from_layer(project, entries, opaque={"src"}))
    assert remade["src/util.py"] is None and remade["src/app.py"] == b"changed\n"


def test_a_folder_replaced_by_a_file_deletes_what_it_held(project: Path):
    written = written_from_layer(project, [LayerEntry("old", "file", b"now a file\n")], set())
    assert contents_of(written) == {"old": b"now a file\n", "old/a.txt": None}


def test_a_copy_is_compared_by_metadata_then_bytes(project: Path):
    layer = local_layers.CopyLayer(Path(tempfile.mkdtemp()), project)
    layer.prepare()
    copy = layer.source
    try:
        (copy / "src" / "app.py").write_text("def main():\n    return 3\n")
        (copy / "old" / "a.txt").unlink()
        (copy / "made.txt").write_text("m\n")
        (copy / "src" / "util.py").chmod(0o755)  # same bytes, same mtime: only the mode differs
        written = layer.written()
    finally:
        layer.remove()
    assert contents_of(written) == {
        "src/app.py": b"def main():\n    return 3\n",
        "src/util.py": b"X = 1\n",
        "old/a.txt": None,
        "made.txt": b"m\n",
    }
    assert written["src/util.py"] == (b"X = 1\n", 0o755)


def test_a_copy_reports_only_what_the_command_did(project: Path):
    """Not the user's edits to the project meanwhile, and not files an edited .gitignore in
    the copy would hide."""
    layer = local_layers.CopyLayer(Path(tempfile.mkdtemp()), project)
    layer.prepare()
    try:
        (project / "src" / "util.py").write_text("X = 2  # the user, during the run\n")
        (project / "late.txt").write_text("made by the user meanwhile\n")
        (layer.source / ".gitignore").write_text("build/\nold/\n")
        got = capture(project, layer.written())
    finally:
        layer.remove()
    assert [(f.path, f.kind) for f in got.files] == [(".gitignore", "changed")]


def test_a_layer_that_cannot_be_read_is_a_note_not_a_crash(project: Path):
    def unreadable() -> Written:
        raise PermissionError(13, "Permission denied", "secret.txt")

    got = collect(project, unreadable)
    assert not got and "could not read what the command wrote" in got.note
    assert "secret.txt" in got.note


def test_a_symlinked_folder_is_never_read_through(project: Path, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.txt").write_text("private\n")
    (project / "link").symlink_to(outside)
    got = capture(project, {"link/b.txt": (b"mine\n", 0o644)})
    assert [(f.path, f.before) for f in got.files] == [("link/b.txt", None)]


def test_a_chmod_and_a_new_executable_are_captured_and_applied(project: Path):
    (project / "tool.bin").write_bytes(b"\x7fELF\x00")
    written = {
        "src/util.py": (b"X = 1\n", 0o755),  # chmod +x, nothing else
        "tool.bin": (b"\x7fELF\x00", 0o755),  # a binary made executable: a mode change only
        "run.sh": (b"#!/bin/sh\necho hi\n", 0o755),
        "src/app.py": (b"def main():\n    return 1\n", 0o664),  # g+w: not a git mode change
    }
    got = capture(project, written)
    assert [(f.path, f.kind, f.mode_only) for f in got.files] == [
        ("run.sh", "created", False),
        ("src/util.py", "changed", True),
        ("tool.bin", "changed", True),
    ]
    apply_all(project, got.patch())
    for name in ("run.sh", "src/util.py", "tool.bin"):
        assert os.stat(project / name).st_mode & 0o111, name
    assert (project / "tool.bin").read_bytes() == b"\x7fELF\x00"


OVERLAY_OK, OVERLAY_DETAIL = local_layers.overlay_status()


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder read-only runs make their layers in, to check none is left."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture(
    params=[
        pytest.param(
            "overlay",
            marks=pytest.mark.skipif(not OVERLAY_OK, reason=f"no overlay: {OVERLAY_DETAIL}"),
        ),
        "copy",
    ]
)
def layer_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "copy":  # what machines without unprivileged overlays get
        monkeypatch.setattr(local_layers, "overlay_status", lambda: (False, "test"))
    return str(request.param)


@needs_bwrap
async def test_local_read_only_runs_on_a_private_layer_and_captures_its_writes(
    project: Path, scratch: Path, layer_kind: str
):
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    box = LocalSandbox(project, mount="ro")
    assert "read-only" in box.note
    command = (
        "pwd; id -u; sed -i s/1/9/ src/app.py && rm -r old && chmod +x crlf.txt"
        " && rm -r src && mkdir src && echo remade > src/app.py"  # src: deleted, made again
        f" && mkdir -p build && echo o > build/x && echo new > {project}/abs.txt"
    )
    result = await box.run(RunRequest(command=command, cwd=project))
    assert result.ok, result.stderr
    assert result.stdout.split() == [str(project), str(os.getuid())]
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    got = result.captured
    assert got is not None
    assert [(f.path, f.kind) for f in got.files] == [
        ("abs.txt", "created"),  # an absolute path inside the project lands in the layer too
        ("crlf.txt", "changed"),  # its mode only
        ("old/a.txt", "deleted"),
        ("src/app.py", "changed"),
        ("src/util.py", "deleted"),
    ]
    assert got.files[1].mode_only and got.files[1].after_mode & 0o100
    assert list(scratch.iterdir()) == [], "the layer was left behind"


@needs_bwrap
async def test_local_read_only_timeout_discards_and_says_so(
    project: Path, scratch: Path, layer_kind: str
):
    box = LocalSandbox(project, mount="ro")
    result = await box.run(RunRequest(command="echo x > a; sleep 20", cwd=project, timeout=0.5))
    assert result.timed_out and result.captured is not None
    assert not result.captured and "timed out" in result.captured.note
    assert not (project / "a").exists()
    assert list(scratch.iterdir()) == [], "the layer was left behind"


def test_local_read_only_without_bwrap_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, project: Path
):
    monkeypatch.setattr(local, "bwrap_status", lambda: (False, "bwrap is not installed"))
    with pytest.raises(RigtuiError, match="needs bubblewrap") as info:
        LocalSandbox(project, mount="ro")
    assert 'mount = "rw"' in (info.value.fix or "")


@needs_bwrap
def test_rigtui_run_read_only_saves_a_patch_that_applies(project: Path, tmp_path: Path, capsys):
    saved = tmp_path / "captured.patch"
    code = main(
        ["run", "--path", str(project), "--sandbox", "local", "--mount", "ro", "--capture",
         str(saved), "--shell", "--",
         r"echo hi; echo extra >> src/util.py; printf '\000\001' > plot.bin; exit 3"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 3 and out == "hi\n"
    assert "changed: src/util.py" in err and f"rigtui apply {saved}" in err
    assert "plot.bin (binary, 2 bytes)" in err
    assert not (project / "plot.bin").exists()
    assert (project / "src" / "util.py").read_text() == "X = 1\n"
    assert main(["apply", "--path", str(project), "--yes", str(saved)]) == 0
    assert (project / "src" / "util.py").read_text() == "X = 1\nextra\n"
    assert (project / "plot.bin").read_bytes() == b"\x00\x01"  # binary files travel too


def test_rigtui_run_checks_the_capture_folder_before_running(project: Path, tmp_path: Path, capsys):
    missing = tmp_path / "no-such-folder" / "x.patch"
    code = main(["run", "--path", str(project), "--sandbox", "local", "--mount", "ro",
                 "--capture", str(missing), "--", "true"])  # fmt: skip
    assert code == 2 and "no folder" in capsys.readouterr().err


def test_only_the_newest_captures_are_kept(project: Path):
    from rigtui.sandbox.capture import KEEP_CAPTURES, new_capture_path

    made = []
    for i in range(KEEP_CAPTURES + 5):
        path = new_capture_path(project, "run")
        path.write_text(str(i))
        os.utime(path, (i, i))  # oldest first
        made.append(path)
    assert len(list(made[0].parent.iterdir())) == KEEP_CAPTURES
    assert made[-1].exists() and not made[0].exists()
    assert made[0].parent.is_relative_to(project) is False  # never inside the project

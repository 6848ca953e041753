"""The private writable layer a read-only project (`mount = "ro"`) gets in the local sandbox.

Preferred: an overlay, mounted in a user and mount namespace of the command's own (`unshare
-Urm`, unprivileged overlayfs, Linux 5.11+): the project is its read-only lower layer, so setup
costs nothing and the capture reads only what the command wrote. Where the kernel or `unshare`
does not allow it: a copy of the project (`cp -a --reflink=auto`), compared file by file
afterwards. Either way bubblewrap mounts the layer at the project's own path.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from rigtui.errors import RigtuiError
from rigtui.sandbox.bwrap_view import bwrap_status
from rigtui.sandbox.capture import (
    LayerEntry,
    Written,
    check_size,
    copy_snapshot,
    overlay_path_ok,
    written_from_copy,
    written_from_layer,
)

OPAQUE_XATTR = "user.overlay.opaque"  # unprivileged overlays (userxattr) mark folders with it
MOUNT_THEN_EXEC = 'mount -t overlay overlay -o "$1" "$2" && shift 2 && exec "$@"'


@functools.lru_cache(maxsize=1)
def overlay_status() -> tuple[bool, str]:
    """(usable, reason): whether this machine lets us mount an overlay unprivileged and start
    bubblewrap inside it, as a read-only run does; probed once per process."""
    if shutil.which("unshare") is None:
        return False, "unshare (util-linux) is not installed"
    usable, bwrap = bwrap_status()
    if not usable:
        return False, bwrap
    with tempfile.TemporaryDirectory(prefix="rigtui-probe-") as tmp:
        layer = OverlayLayer(Path(tmp), Path(tmp) / "lower")
        (Path(tmp) / "lower").mkdir()
        layer.prepare()
        probe = [*layer.outer(), bwrap, *layer.bwrap_flags(), "--ro-bind", "/", "/", "true"]
        try:
            done = subprocess.run(probe, capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"unshare cannot start: {exc}"
        finally:
            layer.remove()
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        return False, f"no unprivileged overlay here: {detail[-1] if detail else done.returncode}"
    return True, ""


class OverlayLayer:
    def __init__(self, scratch: Path, root: Path) -> None:
        self.scratch = scratch
        self.root = root
        self.upper = scratch / "upper"
        self.work = scratch / "work"
        self.source = scratch / "merged"  # bound at the project's path inside bubblewrap

    def prepare(self) -> None:
        for folder in (self.upper, self.work, self.source):
            folder.mkdir()

    def outer(self) -> list[str]:
        """The argv prefix that mounts the overlay, then runs the rest (bubblewrap)."""
        options = f"lowerdir={self.root},upperdir={self.upper},workdir={self.work},userxattr"
        return ["unshare", "-Urm", "sh", "-c", MOUNT_THEN_EXEC, "sh", options, str(self.source)]

    def bwrap_flags(self) -> list[str]:
        # Inside `unshare -U` we are root; map back to who we are, as the command should see.
        return ["--unshare-user", "--uid", str(os.getuid()), "--gid", str(os.getgid())]

    def written(self) -> Written:
        entries, opaque = read_upper(self.upper)
        return written_from_layer(self.root, entries, opaque)

    def remove(self) -> None:
        remove_tree(self.scratch)


class CopyLayer:
    def __init__(self, scratch: Path, root: Path) -> None:
        self.scratch = scratch
        self.root = root
        self.source = scratch / "project"
        self.baseline: dict[str, tuple[int, int, int]] = {}

    def prepare(self) -> None:
        """The whole project, metadata kept, and a snapshot of the copy to compare with."""
        done = subprocess.run(
            ["cp", "-a", "--reflink=auto", f"{self.root}/.", str(self.source)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RigtuiError(
                "could not copy the project for a read-only run:"
                f" {done.stderr.decode(errors='replace').strip()}",
                fix='free some space in the temporary folder, or set [sandbox] mount = "rw"',
            )
        self.baseline = copy_snapshot(self.source)

    def outer(self) -> list[str]:
        return []

    def bwrap_flags(self) -> list[str]:
        return []

    def written(self) -> Written:
        return written_from_copy(self.source, self.baseline)

    def remove(self) -> None:
        remove_tree(self.scratch)


def new_layer(root: Path, *, overlay: bool = True) -> OverlayLayer | CopyLayer:
    """A fresh layer for one command (not prepared yet): an overlay when `overlay` allows it
    and this machine does, else a copy."""
    scratch = Path(tempfile.mkdtemp(prefix="rigtui-ro-"))
    if overlay and overlay_status()[0] and overlay_path_ok(root):
        return OverlayLayer(scratch, root)
    return CopyLayer(scratch, root)


def read_upper(upper: Path) -> tuple[list[LayerEntry], set[str]]:
    """An overlay's upper layer: the files with their bytes, folders, whiteouts (0/0
    character devices) and the folders marked opaque (deleted and made again)."""
    entries: list[LayerEntry] = []
    opaque: set[str] = set()
    total = 0
    for dirpath, dirnames, filenames in os.walk(upper):
        rel_dir = Path(dirpath).relative_to(upper).as_posix()
        prefix = "" if rel_dir == "." else f"{rel_dir}/"
        for name in dirnames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                entries.append(LayerEntry(prefix + name, "other"))
                continue
            entries.append(LayerEntry(prefix + name, "dir"))
            if _xattr(full, OPAQUE_XATTR) == b"y":
                opaque.add(prefix + name)
        for name in filenames:
            entry = _file_entry(Path(dirpath) / name, prefix + name)
            total += len(entry.data)
            check_size(total)
            entries.append(entry)
    return entries, opaque


def _file_entry(path: Path, rel: str) -> LayerEntry:
    st = os.lstat(path)
    if stat.S_ISREG(st.st_mode):
        return LayerEntry(rel, "file", path.read_bytes(), stat.S_IMODE(st.st_mode))
    if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
        return LayerEntry(rel, "whiteout")
    return LayerEntry(rel, "other")


def _xattr(path: str, name: str) -> bytes | None:
    try:
        return os.getxattr(path, name, follow_symlinks=False)
    except OSError:
        return None


def remove_tree(path: Path) -> None:
    # A command may leave folders it made unwritable (and overlayfs leaves its work folder
    # so): make them writable first.
    subprocess.run(["chmod", "-R", "u+rwX", str(path)], capture_output=True, check=False)
    shutil.rmtree(path, ignore_errors=True)

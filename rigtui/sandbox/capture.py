"""What a command wrote over its copy-on-write view of the project (`[sandbox] mount =
"capture"`, the default for the model's commands, or `"ro"`).

The sandbox runs the command over a copy-on-write view of the project (Docker: an overlay
volume whose lower layer is the project; local: an overlay or a copy of the project under
bubblewrap), so the project itself never changes. What the command wrote comes back here as a
`Capture`: text and binary files, new, changed and deleted, renames (the same bytes deleted at
one path and created at another) and changes of mode, as one git-style patch that becomes a
change set (reviewed, applied and journaled like any other). Writes under ignored paths
(caches, build output, `.git`) are dropped and counted; symlinks and other special files the
command made are not captured at all. Nothing here writes to the project.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rigtui.edits.diff import binary_diff, quote_name, unified_diff
from rigtui.edits.errors import PatchRefused
from rigtui.edits.model import format_mode, git_mode
from rigtui.edits.safety import confine
from rigtui.ignore import IgnoreRules
from rigtui.paths import project_data_dir


# relative posix path -> (the bytes the command left there, their permission bits), or None
# when it deleted the file
class Written(dict[str, "tuple[bytes, int] | None"]):
    """What a command left in its layer; `skipped`: the symlinks and other special files it
    made or changed there, which are never captured (only reported)."""

    skipped: tuple[str, ...] = ()


SYMLINK = -1  # the mode a copy's snapshot gives a symlink
EntryKind = Literal["file", "dir", "whiteout", "other"]
MAX_CAPTURE_BYTES = 64 * 1024 * 1024  # beyond this the capture is refused, not truncated


@dataclass(frozen=True)
class LayerEntry:
    """One entry of an overlay's upper layer: a file the command wrote (with its bytes), a
    folder, a whiteout (something deleted), or anything else (a symlink, a device)."""

    path: str
    kind: EntryKind
    data: bytes = b""
    mode: int = 0o644  # permission bits


@dataclass(frozen=True)
class CapturedFile:
    path: str
    before: bytes | None  # None: the file did not exist
    after: bytes | None  # None: the command deleted it
    before_mode: int | None = None  # permission bits, when the file exists
    after_mode: int | None = None
    renamed_from: str | None = None  # moved here from this path, bytes unchanged

    @property
    def mode_only(self) -> bool:
        return self.before is not None and self.before == self.after

    @property
    def binary(self) -> bool:
        """Not UTF-8 text on either side (or a NUL byte): a git binary patch carries it."""
        return not (_is_text(self.before) and _is_text(self.after))

    @property
    def size(self) -> int:
        """The bytes the file has after the command (before it, when it was deleted)."""
        return len(self.after if self.after is not None else self.before or b"")

    def diff(self) -> str:
        if self.renamed_from is not None:
            return _rename_diff(self)
        if self.mode_only:  # never decodes the bytes: a binary file can be chmodded too
            return unified_diff(
                self.path, b"", b"", before_mode=self.before_mode, after_mode=self.after_mode
            )
        if self.binary:
            return binary_diff(
                self.path, self.before, self.after, self.before_mode, self.after_mode
            )
        return unified_diff(
            self.path,
            self.before,
            self.after,
            before_mode=self.before_mode,
            after_mode=self.after_mode,
        )

    @property
    def kind(self) -> str:
        if self.renamed_from is not None:
            return "renamed"
        if self.before is None:
            return "created"
        return "deleted" if self.after is None else "changed"

    def label(self) -> str:
        name = f"{self.renamed_from} -> {self.path}" if self.renamed_from else self.path
        return f"{name} (binary, {self.size:,} bytes)" if self.binary else name


@dataclass(frozen=True)
class Capture:
    files: tuple[CapturedFile, ...] = ()  # every change: text, binary, renames, modes
    ignored: tuple[str, ...] = ()  # written under ignored paths: dropped
    note: str = ""  # why nothing could be captured (too large, timed out)
    skipped: tuple[str, ...] = ()  # symlinks and special files the command made: not captured

    def __bool__(self) -> bool:
        return bool(self.files)

    @property
    def binary(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.binary and not f.mode_only)

    def patch(self) -> str:
        """Every change as one git-style diff (text hunks, `GIT binary patch` literals, renames
        and modes): what the review and `rigtui apply` take."""
        return "".join(f.diff() for f in self.files)

    def summary(self) -> str:
        lines = [self.note] if self.note else []
        for kind in ("created", "changed", "renamed", "deleted"):
            labels = [f.label() for f in self.files if f.kind == kind]
            if labels:
                lines.append(f"{kind}: {', '.join(labels)}")
        if self.ignored:
            shown = ", ".join(self.ignored[:5]) + (" ..." if len(self.ignored) > 5 else "")
            lines.append(f"{len(self.ignored)} ignored path(s) dropped: {shown}")
        if self.skipped:
            shown = ", ".join(self.skipped[:5]) + (" ..." if len(self.skipped) > 5 else "")
            lines.append(f"symlinks and special files, not captured: {shown}")
        return "\n".join(lines)


class CaptureTooLarge(Exception):
    """The command wrote more than MAX_CAPTURE_BYTES: too much to review as a change set."""


TIMED_OUT = Capture(note="the command timed out: what it wrote was discarded")
TOO_LARGE = Capture(
    note=f"the command wrote over {MAX_CAPTURE_BYTES // 2**20} MiB: too much to review,"
    ' discarded (use mount = "rw" for commands that build large outputs)'
)


def check_size(total: int) -> None:
    if total > MAX_CAPTURE_BYTES:
        raise CaptureTooLarge


def collect(root: Path, read: Callable[[], Written]) -> Capture:
    """Read what a command left in its layer and compare it with the project (blocking: run it
    in a thread). A failure to read becomes the capture's note: the run itself stands."""
    try:
        written = read()
    except CaptureTooLarge:
        return TOO_LARGE
    except Exception as exc:  # an unreadable file the command left, the engine failing us
        return Capture(note=f"could not read what the command wrote: {exc}")
    return capture(root, written)


def capture(root: Path, written: Written, rules: IgnoreRules | None = None) -> Capture:
    """Compare what the command left with the project's files: unchanged rewrites vanish,
    ignored paths are dropped, a deletion and a creation of the same bytes become a rename."""
    root = Path(root).resolve()
    rules = rules or IgnoreRules(root)
    files: list[CapturedFile] = []
    ignored: list[str] = []
    for path in sorted(written):
        if _is_git(path) or rules.is_ignored(path, is_dir=False):
            ignored.append(path)
            continue
        before, before_mode = _host_file(root, path)
        after, after_mode = written[path] or (None, None)
        if before == after and _executable(before_mode) == _executable(after_mode):
            continue  # touched, or rewritten with the same bytes and the same x bit
        files.append(CapturedFile(path, before, after, before_mode, after_mode))
    skipped = tuple(getattr(written, "skipped", ()))
    return Capture(tuple(pair_renames(files)), tuple(ignored), skipped=skipped)


def pair_renames(files: list[CapturedFile]) -> list[CapturedFile]:
    """A file deleted and another created with exactly its bytes (not empty) is a rename (git's
    100% similarity): the review shows one move, not a deletion and a whole new file. Among
    equal candidates the one with the same name wins, then the first by path."""
    deleted: dict[bytes, list[CapturedFile]] = {}
    for f in files:
        if f.kind == "deleted" and f.before:
            deleted.setdefault(f.before, []).append(f)
    moved: dict[str, CapturedFile] = {}  # the deletion's path -> the rename replacing it
    out: list[CapturedFile] = []
    for f in files:
        candidates = deleted.get(f.after or b"", []) if f.kind == "created" else []
        if not candidates:
            out.append(f)
            continue
        name = f.path.rpartition("/")[2]
        source = next((d for d in candidates if d.path.rpartition("/")[2] == name), candidates[0])
        candidates.remove(source)
        moved[source.path] = CapturedFile(
            f.path, source.before, f.after, source.before_mode, f.after_mode, source.path
        )
        out.append(moved[source.path])
    return [f for f in out if f.path not in moved or f.renamed_from is not None]


def _rename_diff(f: CapturedFile) -> str:
    old, new = f.renamed_from or "", f.path
    lines = [f"diff --git {quote_name('a/' + old)} {quote_name('b/' + new)}"]
    if f.before_mode is not None and f.after_mode is not None:
        if git_mode(f.before_mode) != git_mode(f.after_mode):
            lines += [f"old mode {format_mode(git_mode(f.before_mode))}"]
            lines += [f"new mode {format_mode(git_mode(f.after_mode))}"]
    lines += ["similarity index 100%", f"rename from {quote_name(old)}"]
    lines += [f"rename to {quote_name(new)}"]
    return "\n".join(lines) + "\n"


# --- where captured files are kept -------------------------------------------------------------

KEEP_CAPTURES = 50  # the newest entries (patches, folders of binary files) kept per project


def new_capture_path(root: Path, name: str) -> Path:
    """A fresh path under the project's captures folder in rigtui's data dir (never inside the
    project), after removing all but the newest KEEP_CAPTURES entries there."""

    folder = project_data_dir(root) / "captures"
    folder.mkdir(parents=True, exist_ok=True)
    entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_CAPTURES - 1 :]:
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    return folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{name}-{os.urandom(3).hex()}"


# --- overlay upper layers (the Docker sandbox) ----------------------------------------------


def overlay_path_ok(root: Path) -> bool:
    """Overlay mount options separate fields with ',' and layers with ':'."""
    return not any(c in str(root) for c in ",:")


def opaque_probes(root: Path, entries: Iterable[LayerEntry]) -> dict[str, str]:
    """Folders of the layer that may be opaque (deleted and made again, hiding the project's
    files in them), each with one project file in it to look for in the merged view:
    {folder: probe path}. Overlays mark opaque folders with an xattr a container cannot read,
    so the sandbox checks whether the probe is still visible instead."""
    by_dir: dict[str, set[str]] = {}
    for entry in entries:
        parent, _, name = entry.path.rpartition("/")
        by_dir.setdefault(parent, set()).add(name)
        if entry.kind == "dir":
            by_dir.setdefault(entry.path, set())
    probes: dict[str, str] = {}
    for folder, names in by_dir.items():
        host = Path(root) / folder if folder else Path(root)
        if not folder or not _is_real_dir(host):
            continue  # the root cannot be opaque; a new folder hides nothing
        for child in sorted(os.listdir(host)):
            if child not in names:
                probes[folder] = f"{folder}/{child}"
                break
    return probes


def written_from_layer(root: Path, entries: Iterable[LayerEntry], opaque: set[str]) -> Written:
    """Turn an upper layer into what the command wrote: files with their bytes, whiteouts
    and opaque folders into deletions of the project's files they hide."""
    root = Path(root)
    written = Written()
    layer_files: set[str] = set()
    skipped: list[str] = []
    for entry in entries:
        host = root / entry.path
        if entry.kind == "other":
            skipped.append(entry.path)
        if entry.kind == "file":
            written[entry.path] = (entry.data, entry.mode)
            layer_files.add(entry.path)
            if _is_real_dir(host):  # a folder replaced by a file
                for rel in _files_under(root, entry.path):
                    written.setdefault(rel, None)
        elif entry.kind == "whiteout" or (entry.kind == "dir" and _is_real_file(host)):
            if _is_real_file(host):
                written.setdefault(entry.path, None)
            for rel in _files_under(root, entry.path):
                written.setdefault(rel, None)
    for folder in opaque:
        for rel in _files_under(root, folder):
            if rel not in layer_files:
                written.setdefault(rel, None)
    written.skipped = tuple(sorted(skipped))
    return written


# --- a copy of the project (the local sandbox) -----------------------------------------------


def copy_snapshot(copy: Path) -> dict[str, tuple[int, int, int]]:
    """Every regular file of a copy (but `.git`), as (mtime_ns, size, mode), and every symlink
    (mode SYMLINK: reported if the command made or changed it, never read): the project's
    ignore rules are applied later, by `capture`, so a command that edits `.gitignore` in the
    copy cannot hide or reveal files."""
    out: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(copy):
        rel_dir = Path(dirpath).relative_to(copy).as_posix()
        prefix = "" if rel_dir == "." else f"{rel_dir}/"
        dirnames[:] = [d for d in dirnames if not (prefix == "" and d == ".git")]
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out[prefix + name] = (st.st_mtime_ns, st.st_size, stat.S_IMODE(st.st_mode))
            elif stat.S_ISLNK(st.st_mode):
                out[prefix + name] = (st.st_mtime_ns, st.st_size, SYMLINK)
        for name in dirnames:  # a symlink to a folder: listed, never walked
            full = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):
                if os.path.islink(full):
                    st = os.lstat(full)
                    out[prefix + name] = (st.st_mtime_ns, st.st_size, SYMLINK)
    return out


def written_from_copy(copy: Path, baseline: dict[str, tuple[int, int, int]]) -> Written:
    """What the command changed in its copy, against the copy as it was before the command
    (not the live project, which the user may edit meanwhile): files compared by size, mtime
    and mode first, then read."""
    after = copy_snapshot(copy)
    written = Written()
    total = 0
    skipped: list[str] = []
    for rel, meta in after.items():
        if baseline.get(rel) != meta and meta[2] == SYMLINK:
            skipped.append(rel)
        elif baseline.get(rel) != meta:
            data = (copy / rel).read_bytes()
            written[rel] = (data, meta[2])
            total += len(data)
            check_size(total)
    for rel in baseline.keys() - after.keys():
        written[rel] = None
    written.skipped = tuple(sorted(skipped))
    return written


# --- helpers -----------------------------------------------------------------------------------


def _is_git(path: str) -> bool:
    return path == ".git" or path.startswith(".git/")


def _is_text(data: bytes | None) -> bool:
    if data is None:
        return True
    if b"\x00" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _host_file(root: Path, rel: str) -> tuple[bytes | None, int | None]:
    """The project's file now, as (bytes, permission bits); (None, None) when it is absent or
    not a regular file, and when a symlinked folder on the way leads out of the project
    (`confine`: nothing is ever read through it)."""

    try:
        confine(root, rel)
        st = os.lstat(root / rel)
        if not stat.S_ISREG(st.st_mode):
            return None, None
        return (root / rel).read_bytes(), stat.S_IMODE(st.st_mode)
    except (PatchRefused, OSError):
        return None, None


def _executable(mode: int | None) -> bool:
    return mode is not None and bool(mode & 0o100)


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_real_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _files_under(root: Path, folder: str) -> Iterator[str]:
    base = root / folder
    if not _is_real_dir(base):
        return
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        for name in filenames:
            if _is_real_file(Path(dirpath) / name):
                yield f"{rel_dir}/{name}"

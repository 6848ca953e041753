"""Replace several files as one step: stage every new content in a temp file beside its target
(same folder, so the rename is atomic), fsync, then rename one by one. If a rename fails, every
file already replaced is put back. A crash between renames is repaired by `engine.recover`.

Every operation goes through `fsops.ProjectFS`: no link is ever followed, folders a change
set needs are made, and folders left empty are removed, so the tree ends as `git apply`
leaves it (and an undo as it was before).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from rigtui.display import safe_name
from rigtui.edits.errors import PatchRefused
from rigtui.edits.fsops import TEMP_SUFFIX, Entry, ProjectFS, parents, split
from rigtui.edits.lock import lock_path
from rigtui.edits.prepare import FileWrite, Snapshot
from rigtui.edits.safety import lexical_parts

__all__ = [
    "TEMP_SUFFIX",
    "Staging",
    "missing_folders",
    "read_current",
    "remove_staging_leftovers",
    "replace_all",
    "restore",
    "start_staging",
]

# Above this many files, durability is one syncfs for all staged files (and one for the
# renames) instead of an fsync per file and per folder: the same guarantee, far fewer waits.
BATCH_FILES = 16


def read_current(root: Path, rels: Iterable[str]) -> dict[str, Entry]:
    """Each path's bytes and mode now, read without following any link."""
    out: dict[str, Entry] = {}
    with ProjectFS(root) as fs:
        for rel in rels:
            lexical_parts(rel)
            out[rel] = fs.read(rel)
    return out


def changed_signatures(root: Path, snapshot: Mapping[str, Snapshot]) -> list[str]:
    """The paths whose lstat moved since their snapshot was read (absent ones, and those
    with no signature, are always checked: that costs nothing or is needed)."""
    with ProjectFS(root) as fs:
        return [
            rel
            for rel, snap in snapshot.items()
            if snap.data is None or snap.signature is None or fs.signature(rel) != snap.signature
        ]


def missing_folders(root: Path, writes: list[FileWrite]) -> list[str]:
    """The folders applying `writes` would create, parents first (journaled before they are
    made, so recovery and undo can remove them again)."""
    wanted = {p for w in writes if w.after is not None for p in parents(w.path)}
    with ProjectFS(root) as fs:
        missing = [d for d in wanted if not _exists(fs, d)]
    return sorted(missing, key=lambda d: (d.count("/"), d))


def _exists(fs: ProjectFS, rel_dir: str) -> bool:
    try:
        return fs.folder(rel_dir) is not None
    except PatchRefused:
        return True  # a file or link in the way: staging will refuse it, with the reason


def replace_all(
    root: Path,
    writes: list[FileWrite],
    tag: str,
    *,
    prune_emptied: bool = True,
    prune_created: Collection[str] = (),
) -> None:
    """Make every `write.after` true on disk, or none of them (raises `PatchRefused`).
    `prune_emptied`: folders a removal leaves empty go too (as `git apply` does);
    `prune_created`: these folders go when they end up empty (an undo's own folders)."""
    for w in writes:  # the paths were confined when proposed; ProjectFS follows no link
        lexical_parts(w.path)
    with ProjectFS(root, batch=len(writes) > BATCH_FILES) as fs:
        temps = _stage_all(fs, writes, tag)
        fs.flush()
        _put_all(fs, root, writes, temps, tag, prune_emptied, prune_created)


def _put_all(
    fs: ProjectFS,
    root: Path,
    writes: list[FileWrite],
    temps: list[str | None],
    tag: str,
    prune_emptied: bool,
    prune_created: Collection[str],
) -> None:
    """Rename every staged file over its target (or remove the target), then make it all
    durable; if one fails, every file already replaced is put back."""
    done: list[FileWrite] = []
    try:
        for w, temp in zip(writes, temps, strict=True):
            _put(fs, w.path, temp)
            done.append(w)
    except (OSError, PatchRefused) as exc:
        _roll_back(fs, root, done, writes, temps, tag)
        if isinstance(exc, PatchRefused):
            raise
        raise PatchRefused(
            f"{safe_name(writes[len(done)].path)}: cannot be replaced ({exc.strerror});"
            " every file already replaced was restored, nothing was changed"
        ) from exc
    _prune(fs, writes, prune_emptied, prune_created)
    fs.sync()


class Staging:
    """`replace_all` for a large change set not journaled yet, in two steps: the staging files
    are written (and flushed) in a thread while the caller journals the change set, since
    both mostly wait on the disk; then `finish` renames them, or `discard` removes them.

    Until the journal holds the change set, a crash would leave staging files no journal
    entry names: a note beside the writer lock lists the paths and the folders staging may
    make, and recovery (`remove_staging_leftovers`) removes what it finds there."""

    def __init__(self, root: Path, writes: list[FileWrite], tag: str, created: list[str]) -> None:
        for w in writes:  # confined when proposed; ProjectFS follows no link
            lexical_parts(w.path)
        self.root, self.writes, self.tag = root, writes, tag
        self._fs = ProjectFS(root, batch=True)
        self._temps: list[str | None] = []
        self._error: BaseException | None = None
        _write_note(root, [w.path for w in writes], created)
        self._thread = threading.Thread(target=self._stage, name="rigtui-staging", daemon=True)
        self._thread.start()

    def _stage(self) -> None:
        try:
            self._temps = _stage_all(self._fs, self.writes, self.tag)
        except BaseException as exc:  # _stage_all removed what it wrote
            self._error = exc
            return
        try:
            self._fs.flush()
        except BaseException as exc:
            _discard(self._fs, self.writes, self._temps)
            self._fs.prune_created()
            self._error = PatchRefused(
                f"the staged files cannot be made durable ({exc}); nothing was changed"
            )

    def finish(self) -> None:
        """Rename the staged files into place (raises `PatchRefused` having changed nothing)."""
        self._thread.join()
        try:
            if self._error is not None:
                raise self._error
            _put_all(self._fs, self.root, self.writes, self._temps, self.tag, True, ())
        finally:
            self._fs.close()
            _clear_note(self.root)

    def discard(self) -> None:
        """Remove the staged files and the folders staging made: nothing changes."""
        self._thread.join()
        if self._error is None:
            _discard(self._fs, self.writes, self._temps)
            self._fs.prune_created()
        self._fs.close()
        _clear_note(self.root)


def start_staging(
    root: Path, writes: list[FileWrite], tag: str, created: list[str]
) -> Staging | None:
    """A `Staging` under way, or None when its note cannot be written (a full disk): the
    caller then stages after journaling, as for a small change set."""
    try:
        return Staging(root, writes, tag, created)
    except OSError:
        return None


_NOTE_HEAD = b"rigtui-staging-1\0"


def _note_path(root: Path) -> Path:
    return lock_path(root).with_name("staging")


def _write_note(root: Path, paths: list[str], created: list[str]) -> None:
    data = b"\0".join(os.fsencode(p) for p in paths) + b"\0\0"
    data += b"\0".join(os.fsencode(d) for d in created)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(_note_path(root), flags, 0o600)
    try:
        os.write(fd, _NOTE_HEAD + data)
    finally:
        os.close(fd)


def _clear_note(root: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(_note_path(root))


def _read_note(root: Path) -> tuple[list[str], list[str]] | None:
    try:
        fd = os.open(_note_path(root), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        data = os.read(fd, 1 << 26)
    finally:
        os.close(fd)
    if not data.startswith(_NOTE_HEAD):
        return [], []
    paths, _, created = data[len(_NOTE_HEAD) :].partition(b"\0\0")
    return (
        [os.fsdecode(p) for p in paths.split(b"\0") if p],
        [os.fsdecode(d) for d in created.split(b"\0") if d],
    )


def remove_staging_leftovers(root: Path) -> bool:
    """What a crash during `Staging` left before the journal held its change set: staging
    files beside the noted paths, and the noted folders if still empty. True if any note."""
    noted = _read_note(root)
    if noted is None:
        return False
    paths, created = noted
    with ProjectFS(root) as fs:
        for rel in paths:
            try:
                lexical_parts(rel)
                fs.remove_stale_temps(rel)
            except PatchRefused:
                continue  # not a path in the project, or its folder is no longer one
        only = set()
        for rel_dir in created:
            with contextlib.suppress(PatchRefused):
                lexical_parts(rel_dir)
                only.add(rel_dir)
        for rel_dir in sorted(only, key=lambda d: -d.count("/")):
            with contextlib.suppress(PatchRefused):
                fs.prune(rel_dir, only=only)
    _clear_note(root)
    return True


def _stage_all(fs: ProjectFS, writes: list[FileWrite], tag: str) -> list[str | None]:
    temps: list[str | None] = []
    try:
        for w in writes:
            temps.append(None if w.after is None else fs.stage(w.path, w.after, w.after_mode, tag))
    except (OSError, PatchRefused) as exc:
        _discard(fs, writes, temps)
        fs.prune_created()
        if isinstance(exc, PatchRefused):
            raise
        where = safe_name(exc.filename) if isinstance(exc.filename, str) else "a file"
        raise PatchRefused(
            f"{where}: cannot be written ({exc.strerror}); nothing was changed"
        ) from exc
    return temps


def _put(fs: ProjectFS, rel: str, temp: str | None) -> None:
    if temp is None:
        fs.remove(rel)
    else:
        fs.put(rel, temp)


def _roll_back(
    fs: ProjectFS,
    root: Path,
    done: list[FileWrite],
    writes: list[FileWrite],
    temps: list[str | None],
    tag: str,
) -> None:
    _discard(fs, writes, temps)
    created = list(fs.created)
    fs.close()
    restore(root, list(reversed(done)), tag, prune_created=created)


def _discard(fs: ProjectFS, writes: list[FileWrite], temps: list[str | None]) -> None:
    for w, temp in zip(writes, temps, strict=False):
        if temp is not None:
            fs.discard(w.path, temp)


def _prune(fs: ProjectFS, writes: list[FileWrite], emptied: bool, created: Collection[str]) -> None:
    if emptied:
        for w in writes:
            if w.after is None:
                fs.prune(split(w.path)[0])
    only = set(created)
    for rel_dir in sorted(only, key=lambda d: -d.count("/")):
        fs.prune(rel_dir, only=only)


def restore(
    root: Path,
    writes: list[FileWrite],
    tag: str,
    *,
    prune_emptied: bool = False,
    prune_created: Collection[str] = (),
) -> None:
    """Put each write's `before` back (used to roll back and to recover); folders are pruned
    as `replace_all` does."""
    flipped = [FileWrite(w.path, w.after, w.before, w.after_mode, w.before_mode) for w in writes]
    with ProjectFS(root, batch=len(writes) > BATCH_FILES) as fs:
        staged = [
            None if w.before is None else fs.stage(w.path, w.before, w.before_mode, tag)
            for w in writes
        ]
        fs.flush()
        for w, temp in zip(writes, staged, strict=True):
            _put(fs, w.path, temp)
        _prune(fs, flipped, prune_emptied, prune_created)
        fs.sync()


def remove_stale_temps(root: Path, rels: list[str]) -> None:
    """Staging files a crash left beside these paths."""
    with ProjectFS(root) as fs:
        for rel in rels:
            try:
                fs.remove_stale_temps(rel)
            except PatchRefused:
                continue  # its folder is no longer one: nothing of ours can be in it

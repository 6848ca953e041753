"""Replace several files as one step: stage every new content in a temp file beside its target
(same folder, so the rename is atomic), fsync, then rename one by one. If a rename fails, every
file already replaced is put back. A crash between renames is repaired by `engine.recover`.

Every operation goes through `fsops.ProjectFS`: no link is ever followed, folders a change
set needs are made, and folders left empty are removed, so the tree ends as `git apply`
leaves it (and an undo as it was before).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from rigtui.display import safe_name
from rigtui.edits.errors import PatchRefused
from rigtui.edits.fsops import TEMP_SUFFIX, Entry, ProjectFS, parents, split
from rigtui.edits.prepare import FileWrite, Snapshot
from rigtui.edits.safety import lexical_parts

__all__ = ["TEMP_SUFFIX", "missing_folders", "read_current", "replace_all", "restore"]

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

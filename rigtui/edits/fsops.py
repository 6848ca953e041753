"""File operations inside a project that never follow a link rigtui did not make.

Folders are opened one component at a time from the project root (`O_NOFOLLOW`, `dir_fd`),
so a folder swapped for a symlink is refused instead of written through; staging files are
created exclusively (`O_EXCL | O_NOFOLLOW`), so a link planted at a staging name is never
written through either; and the last step, a rename over the target or an unlink of it, acts
on the directory entry itself, never on a link's target (and refuses a folder put there).

A path's state is its bytes and its mode: a regular file's permission bits, or `LINK` for a
symbolic link, whose "bytes" are its target. That is what the journal records, so deleting a
link and undoing it puts the same link back.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rigtui.display import safe_name
from rigtui.edits.errors import PatchRefused, UnusablePath

LINK = stat.S_IFLNK | 0o777  # the mode recorded for a symbolic link
TEMP_SUFFIX = ".rigtui.tmp"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
LINK_FIX = "rigtui writes only through folders it can check; remove the link or name its target"


@dataclass(frozen=True)
class Entry:
    """What a path holds now: bytes and mode (None, None: nothing), and its `signature`."""

    data: bytes | None
    mode: int | None
    signature: tuple[int, ...] | None = None


def signature(st: os.stat_result) -> tuple[int, ...]:
    """What changes whenever a file's bytes or mode do (as git's index trusts it): a write
    moves mtime and ctime, a chmod ctime, a rename-over the inode."""
    return (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


ABSENT = Entry(None, None)


def split(rel: str) -> tuple[str, str]:
    """("a/b", "c.txt") for "a/b/c.txt"; the folder is "" at the root."""
    parent, _, name = rel.rpartition("/")
    return parent, name


def temp_name(name: str, tag: str) -> str:
    return f".{name}.{tag}{TEMP_SUFFIX}"


class ProjectFS:
    """Open folders of one project by file descriptor, each once per use:

    with ProjectFS(root) as fs:
        temp = fs.stage("src/a.py", data, 0o644, tag)
        fs.put("src/a.py", temp)
        fs.sync()      # every folder written to, fsynced once
    """

    def __init__(self, root: Path, *, batch: bool = False) -> None:
        """`batch`: many files at once: staged files are not fsynced one by one; `flush`
        and `sync` make everything durable with one syncfs each (where Linux has it)."""
        self.root = Path(root)
        self._fds: dict[str, int] = {}
        self._dirty: set[str] = set()
        self.created: list[str] = []  # folders made here, parents first
        self.batch = batch and _syncfs_function() is not None

    def __enter__(self) -> ProjectFS:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()

    # --- folders ---------------------------------------------------------------------------

    def folder(self, rel_dir: str, *, create: bool = False) -> int | None:
        """The open folder `rel_dir` ("" is the root); None when it does not exist and
        `create` is false. A component that is a link or a file is refused."""
        fd = self._fds.get(rel_dir)
        if fd is not None:
            return fd
        if not rel_dir:
            fd = self._open_root()
        else:
            parent_rel, name = split(rel_dir)
            parent = self.folder(parent_rel, create=create)
            if parent is None:
                return None
            fd = self._open_child(parent, name, rel_dir, create)
            if fd is None:
                return None
        self._fds[rel_dir] = fd
        return fd

    def _open_root(self) -> int:
        try:
            return os.open(self.root, _DIR_FLAGS)
        except OSError as exc:
            raise PatchRefused(
                f"{self.root}: the project folder cannot be opened ({exc.strerror})"
            ) from None

    def _open_child(self, parent: int, name: str, rel_dir: str, create: bool) -> int | None:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
        except OSError as exc:
            raise _not_a_folder(rel_dir, parent, name, exc) from None
        try:
            os.mkdir(name, 0o777, dir_fd=parent)
        except FileExistsError:  # made meanwhile by someone else: open it as it is
            pass
        except OSError as exc:
            raise PatchRefused(
                f"{safe_name(rel_dir)}: the folder cannot be created ({exc.strerror})"
            ) from None
        else:
            self.created.append(rel_dir)
            self._dirty.add(split(rel_dir)[0])
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            raise _not_a_folder(rel_dir, parent, name, exc) from None

    # --- reading ---------------------------------------------------------------------------

    def read(self, rel: str) -> Entry:
        """The path's bytes and mode, without following a link at any component."""
        parent, name = split(rel)
        fd = self.folder(parent)
        if fd is None:
            return ABSENT
        try:
            st = os.lstat(name, dir_fd=fd)
        except FileNotFoundError:
            return ABSENT
        except OSError as exc:
            raise _unreadable(rel, exc) from None
        if stat.S_ISLNK(st.st_mode):
            return Entry(os.fsencode(os.readlink(name, dir_fd=fd)), LINK, signature(st))
        _require_file(rel, st.st_mode)
        try:
            file_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        except OSError as exc:
            raise _unreadable(rel, exc) from None
        try:
            st = os.fstat(file_fd)
            return Entry(_read_all(file_fd, st.st_size), stat.S_IMODE(st.st_mode), signature(st))
        finally:
            os.close(file_fd)

    def signature(self, rel: str) -> tuple[int, ...] | None:
        """`signature` of what is at `rel` now (None: nothing), without reading it."""
        parent, name = split(rel)
        fd = self.folder(parent)
        if fd is None:
            return None
        try:
            return signature(os.lstat(name, dir_fd=fd))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _unreadable(rel, exc) from None

    # --- writing ---------------------------------------------------------------------------

    def stage(self, rel: str, data: bytes, mode: int | None, tag: str) -> str:
        """Write `data` to a new staging file beside `rel` (a link when `mode` is LINK);
        returns its name. Made exclusively: whatever sat at that name is removed first."""
        parent, name = split(rel)
        fd = self.folder(parent, create=True)
        assert fd is not None
        temp = temp_name(name, tag)
        for attempt in (1, 2):
            try:
                if mode == LINK:
                    os.symlink(os.fsdecode(data), temp, dir_fd=fd)
                else:
                    self._write_new(fd, temp, data, mode, fsync=not self.batch)
                return temp
            except FileExistsError:
                if attempt == 2:
                    raise
                os.unlink(temp, dir_fd=fd)  # a crash's leftover, or a planted link: the entry
        raise AssertionError("unreachable")

    @staticmethod
    def _write_new(fd: int, temp: str, data: bytes, mode: int | None, *, fsync: bool) -> None:
        file_fd = os.open(temp, _NEW_FILE_FLAGS, 0o600, dir_fd=fd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(file_fd, view) :]
            if mode is not None:  # before the fsync, so the mode is as durable as the bytes
                os.fchmod(file_fd, mode)
            if fsync:
                os.fsync(file_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=fd)
            raise
        finally:
            os.close(file_fd)

    def put(self, rel: str, temp: str) -> None:
        """Rename the staged `temp` over `rel`: the entry is replaced (a link itself, never
        its target). A folder at `rel` is refused (the rename itself checks, atomically)."""
        parent, name = split(rel)
        fd = self.folder(parent)
        assert fd is not None, "staged files live in folders that exist"
        try:
            os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except (IsADirectoryError, NotADirectoryError, FileExistsError):
            raise _now_a_folder(rel) from None
        self._dirty.add(parent)

    def remove(self, rel: str) -> bool:
        """Delete the entry `rel` (a link itself, never its target); False when absent."""
        parent, name = split(rel)
        fd = self.folder(parent)
        if fd is None:
            return False
        try:
            os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            return False
        except (IsADirectoryError, PermissionError) as exc:
            if stat.S_ISDIR(os.lstat(name, dir_fd=fd).st_mode):
                raise _now_a_folder(rel) from None
            raise exc
        self._dirty.add(parent)
        return True

    def discard(self, rel: str, temp: str) -> None:
        """Remove a staging file that will not be used."""
        fd = self.folder(split(rel)[0])
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=fd)

    def prune(self, rel_dir: str, *, only: set[str] | None = None) -> list[str]:
        """Remove `rel_dir` and the folders above it while they are empty (never the root).
        With `only`, just the folders in it. Returns the folders removed."""
        removed: list[str] = []
        while rel_dir and (only is None or rel_dir in only):
            parent, name = split(rel_dir)
            parent_fd = self.folder(parent)
            if parent_fd is None:
                break
            fd = self._fds.pop(rel_dir, None)
            if fd is not None:
                os.close(fd)
            try:
                os.rmdir(name, dir_fd=parent_fd)
            except OSError:  # not empty, gone, or not a folder: stop here
                break
            self._dirty.add(parent)
            removed.append(rel_dir)
            rel_dir = parent
        return removed

    def prune_created(self) -> None:
        """Remove the folders made here that are still empty (after a failed stage)."""
        only = set(self.created)
        for rel_dir in reversed(self.created):
            self.prune(rel_dir, only=only)

    def remove_stale_temps(self, rel: str) -> None:
        """Staging files a crash left beside `rel` (`.NAME.<tag>.rigtui.tmp`)."""
        parent, name = split(rel)
        fd = self.folder(parent)
        if fd is None:
            return
        prefix = f".{name}."
        for entry in os.listdir(fd):
            if entry.startswith(prefix) and entry.endswith(TEMP_SUFFIX):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry, dir_fd=fd)

    def flush(self) -> None:
        """Make every staged file durable before any is renamed (batch mode: one syncfs)."""
        if self.batch:
            _syncfs(self.folder(""))

    def sync(self) -> None:
        """Make every rename and removal durable: one fsync per folder written to, or one
        syncfs in batch mode."""
        if self.batch:
            _syncfs(self.folder(""))
            self._dirty.clear()
            return
        for rel_dir in sorted(self._dirty):
            fd = self._fds.get(rel_dir)
            if fd is not None:
                with contextlib.suppress(OSError):  # not every file system fsyncs folders
                    os.fsync(fd)
        self._dirty.clear()


@functools.cache
def _syncfs_function() -> Callable[[int], int] | None:
    """libc's syncfs(2): flush one file system's dirty data (Linux); None elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    function = getattr(libc, "syncfs", None)
    if function is not None:
        function.argtypes = [ctypes.c_int]
    return function


def _syncfs(fd: int | None) -> None:
    function = _syncfs_function()
    if fd is None or function is None:
        return
    if function(fd) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _read_all(fd: int, size: int) -> bytes:
    """Every byte of an open file, expected to be `size` long (one read, usually): without
    a file object around it, which costs more than the read for a small file."""
    chunks = []
    while True:
        chunk = os.read(fd, max(size, 0) + 1)  # one more: an empty read follows only at EOF
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        if len(chunk) <= size:
            size -= len(chunk)
        else:
            size = 65536  # the file grew meanwhile: read on to its end


def parents(rel: str) -> list[str]:
    """The folders above `rel`, nearest first ("a/b", "a" for "a/b/c.txt")."""
    out: list[str] = []
    folder = PurePosixPath(rel).as_posix()  # as pathlib spells it: no "./", no doubled "/"
    while "/" in folder:
        folder = folder.rpartition("/")[0]
        out.append(folder)
    return out


def _not_a_folder(rel_dir: str, parent: int, name: str, exc: OSError) -> PatchRefused:
    shown = safe_name(rel_dir)
    with contextlib.suppress(OSError):
        if stat.S_ISLNK(os.lstat(name, dir_fd=parent).st_mode):
            return PatchRefused(f"{shown}: is a symbolic link, not a folder", fix=LINK_FIX)
    if exc.errno in (errno.ENOTDIR, errno.ELOOP):
        return UnusablePath(
            f"{shown}: is a file, not a folder", fix="check the path; a file cannot hold files"
        )
    return UnusablePath(
        f"{shown}: the folder cannot be opened ({exc.strerror})", fix="check its permissions"
    )


def _now_a_folder(rel: str) -> PatchRefused:
    return UnusablePath(
        f"{safe_name(rel)}: is a folder now, not a file",
        fix="move the folder aside, or ask for a patch against the current files",
    )


def _require_file(rel: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise UnusablePath(f"{safe_name(rel)}: is a folder, not a file", fix="patches change files")
    if not stat.S_ISREG(mode):
        raise UnusablePath(
            f"{safe_name(rel)}: not a regular file", fix="patches change regular files only"
        )


def _unreadable(rel: str, exc: OSError) -> PatchRefused:
    return UnusablePath(
        f"{safe_name(rel)}: cannot be read ({exc.strerror})", fix="check its permissions"
    )

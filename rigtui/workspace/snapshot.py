"""Make, read back and remove an isolated workspace.

In a git repository: `git worktree add --detach` at HEAD (it shares the repository's objects,
so it costs the checked-out files only), then the project's uncommitted state (changed,
deleted and untracked files; ignored ones are not copied) is copied in and committed in the
worktree as the task's *base*: what the task's changes are measured against. Elsewhere: two
copies of the project (`cp -a --reflink=auto`, free on btrfs/XFS), `base` and `work`.

Git runs with hooks off (`core.hooksPath=/dev/null`) and a fixed identity, and a repository
whose own config names filter programs gets a copy: making a workspace runs nothing of the
repository's. Reading the result never follows a link (ProjectFS)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rigtui.edits.fsops import Entry, ProjectFS
from rigtui.errors import RigtuiError

GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"]
IDENTITY = ["-c", "user.name=rigtui", "-c", "user.email=rigtui@localhost"]
NO_SIGN = ["-c", "commit.gpgsign=false"]
GIT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Workspace:
    kind: str  # "git" (a worktree) or "copy"
    project: Path
    home: Path  # everything the workspace holds lives under it
    base: str  # git: the base commit; copy: the base copy's folder

    @property
    def root(self) -> Path:
        """Where the task works."""
        return self.home / "work"


@dataclass(frozen=True)
class FileChange:
    """One file the task changed: its bytes and permission bits before and after (None:
    absent)."""

    path: str
    before: bytes | None
    after: bytes | None
    before_mode: int | None = None
    after_mode: int | None = None


@dataclass
class Collected:
    changes: list[FileChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # links and the like: not carried back


def is_git_repo(project: Path) -> bool:
    """Whether `project` is the top of a git work tree (a folder inside one is copied)."""
    if not (project / ".git").exists() or shutil.which("git") is None:
        return False
    out = _git(project, "rev-parse", "--show-toplevel", check=False)
    return out.returncode == 0 and Path(out.stdout.decode().strip()).resolve() == project


def create(project: Path, home: Path) -> Workspace:
    """A fresh workspace for `project` under `home` (which must not exist yet)."""
    project = project.resolve()
    home.mkdir(parents=True)
    try:
        if is_git_repo(project) and _has_head(project) and not _runs_programs(project):
            return _create_git(project, home)
        return _create_copy(project, home)
    except BaseException:
        remove_home(project, home)
        raise


def _runs_programs(project: Path) -> bool:
    """Whether the repository's own config names programs git would run on a checkout or a
    status (filter drivers: smudge, clean, process). A `.git/config` that came with a folder
    (an archive, a shared drive) is a stranger's: such a project gets a copy, where git runs
    only inside the sandbox. The user's own config (git-lfs's filters, say) is theirs."""
    out = _git(project, "config", "--local", "--includes", "--name-only", "--get-regexp",
               r"^filter\.", check=False)  # fmt: skip
    return bool(out.stdout.strip())


def _has_head(project: Path) -> bool:
    return _git(project, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode == 0


def _create_git(project: Path, home: Path) -> Workspace:
    work = home / "work"
    _git(project, "worktree", "add", "--detach", "-q", str(work), "HEAD")
    _copy_dirty_state(project, work)
    _git(work, "add", "-A")
    _git(work, *IDENTITY, *NO_SIGN, "commit", "-q", "--no-verify", "--allow-empty", "-m",
         "rigtui: the project as the task found it")  # fmt: skip
    base = _git(work, "rev-parse", "HEAD").stdout.decode().strip()
    return Workspace("git", project, home, base)


def _copy_dirty_state(project: Path, work: Path) -> None:
    """What `git status` shows (untracked files included, ignored ones not) made the same in
    the worktree: copied when the project has it, removed when it does not."""
    out = _git(project, "status", "--porcelain=v1", "-z", "--untracked-files=all").stdout
    fields = out.split(b"\0")
    paths: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        paths.append(os.fsdecode(entry[3:]))
        if entry[:1] in (b"R", b"C"):  # a rename's source follows
            paths.append(os.fsdecode(fields[i]))
            i += 1
    for rel in paths:
        _mirror(project / rel, work / rel, work)


def _mirror(source: Path, target: Path, work: Path) -> None:
    try:
        st = source.lstat()
    except FileNotFoundError:
        _real_folders(work, target.parent)
        if target.is_symlink() or target.is_file():
            target.unlink()
        return
    if stat.S_ISDIR(st.st_mode):  # an untracked nested repository: left out
        return
    _real_folders(work, target.parent)
    if target.is_symlink() or target.is_file():
        target.unlink()
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(source), target)
    elif stat.S_ISREG(st.st_mode):
        shutil.copy2(source, target, follow_symlinks=False)


def _real_folders(work: Path, folder: Path) -> None:
    """Each folder from the worktree down to `folder` made a real one. The checkout made what
    HEAD has: where that is a link (maybe to a folder outside) or a file and the project now
    has a folder, the link or file goes (never followed) and a folder takes its place."""
    current = work
    for part in folder.relative_to(work).parts:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            current.unlink()
        if not current.exists():
            current.mkdir()


def _create_copy(project: Path, home: Path) -> Workspace:
    base, work = home / "base", home / "work"
    _cp(project, base)
    _cp(base, work)
    return Workspace("copy", project, home, str(base))


def _cp(source: Path, target: Path) -> None:
    if shutil.which("cp") is not None:
        done = subprocess.run(
            ["cp", "-a", "--reflink=auto", "--", f"{source}/.", str(target)],
            capture_output=True,
            timeout=GIT_TIMEOUT * 10,
        )
        if done.returncode != 0:
            raise RigtuiError(
                f"could not copy {source} for an isolated task: "
                f"{done.stderr.decode(errors='replace').strip()}",
                fix="free some disk space, or make the folder readable",
            )
        return
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)


# --- reading the result -------------------------------------------------------------------


def collect(ws: Workspace) -> Collected:
    """Every file the task changed against its base, in path order."""
    if not ws.root.is_dir():
        return Collected()
    if ws.kind == "git":
        return _collect_git(ws)
    return _collect_copy(ws)


def _collect_git(ws: Workspace) -> Collected:
    git = _workspace_git(ws)
    git("add", "-A")
    out = git("diff", "--cached", "--name-only", "--no-renames", "-z", ws.base).stdout
    paths = sorted(os.fsdecode(p) for p in out.split(b"\0") if p)
    got = Collected()
    with ProjectFS(ws.root) as fs:
        for rel in paths:
            before, before_mode = _git_blob(git, ws.base, rel)
            now = _read(fs, rel)
            if (
                now is None
                or before_mode == -1
                or (now.data is not None and not _regular(now.mode))
            ):
                got.skipped.append(rel)
                continue
            if before == now.data and _exec(before_mode) == _exec(now.mode):
                continue
            got.changes.append(FileChange(rel, before, now.data, before_mode, now.mode))
    return got


def _workspace_git(ws: Workspace) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """git for the workspace, with the repository named from the project's side. The task's
    commands could write the workspace's `.git` (point it at a repository of their own whose
    config runs programs: a filter on `git add`), so git must never look for it there."""
    said = _git(ws.project, "rev-parse", "--git-common-dir").stdout.decode().strip()
    common = ws.project / said  # relative to the project, or absolute
    work = ws.root.resolve()  # rigtui's own folder; git records its real path
    for gitdir in sorted((common / "worktrees").glob("*")):
        try:
            points_at = (gitdir / "gitdir").read_text().strip()
        except OSError:
            continue
        if Path(points_at) == work / ".git":
            named = [f"--git-dir={gitdir}", f"--work-tree={ws.root}"]
            return lambda *args: _git(ws.root, *named, *args)
    raise RigtuiError(
        f"git no longer knows the workspace {ws.root}",
        fix="its changes cannot be read back; discard the task",
    )


def _git_blob(
    git: Callable[..., subprocess.CompletedProcess[bytes]], base: str, rel: str
) -> tuple[bytes | None, int | None]:
    """The file at the base: bytes and permission bits; (None, None) when absent, mode -1 for
    something that is not a regular file (a link, a submodule)."""
    listed = git("ls-tree", "-z", base, "--", rel).stdout.rstrip(b"\0")
    if not listed:
        return None, None
    mode = listed.split(b" ", 1)[0]
    if mode not in (b"100644", b"100755"):
        return None, -1
    data = git("cat-file", "blob", f"{base}:{rel}").stdout
    return data, 0o755 if mode == b"100755" else 0o644


def _collect_copy(ws: Workspace) -> Collected:
    base = Path(ws.base)
    got = Collected()
    paths = sorted(_files(base) | _files(ws.root))
    with ProjectFS(base) as before_fs, ProjectFS(ws.root) as after_fs:
        for rel in paths:
            if _untouched(base / rel, ws.root / rel):
                continue
            before, after = _read(before_fs, rel), _read(after_fs, rel)
            if before is None or after is None:
                got.skipped.append(rel)
                continue
            if any(e.data is not None and not _regular(e.mode) for e in (before, after)):
                if before.data != after.data:
                    got.skipped.append(rel)
                continue
            if before.data == after.data and _exec(before.mode) == _exec(after.mode):
                continue
            got.changes.append(FileChange(rel, before.data, after.data, before.mode, after.mode))
    return got


def _untouched(before: Path, after: Path) -> bool:
    """`cp -a` kept each file's size, mode and mtime (to the nanosecond): a file the task did
    not write still has them, so it need not be read."""
    try:
        a, b = before.lstat(), after.lstat()
    except OSError:
        return False
    return (
        stat.S_ISREG(a.st_mode) and stat.S_ISREG(b.st_mode) and a.st_size == b.st_size
        and a.st_mtime_ns == b.st_mtime_ns and a.st_mode == b.st_mode
    )  # fmt: skip


def _read(fs: ProjectFS, rel: str) -> Entry | None:
    """The path's content, or None where a link or a folder stands in its way (never
    followed: such a path is not carried back)."""
    try:
        return fs.read(rel)
    except RigtuiError:
        return None


def _files(top: Path) -> set[str]:
    """Every file and link under `top`, but none inside a `.git` folder: git's own files (a
    repository without a commit yet is copied, and a command's `git status` rewrites its
    index) are never part of a change set (rigtui refuses writes inside .git)."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(top):  # never follows links to folders
        dirs[:] = [d for d in dirs if d.casefold() != ".git"]
        files = [f for f in files if f.casefold() != ".git"]  # a worktree's or submodule's
        rel_folder = os.path.relpath(folder, top)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            found.add(name if rel_folder == "." else f"{rel_folder}/{name}")
    return found


def _regular(mode: int | None) -> bool:
    return mode is not None and mode >= 0 and mode <= 0o7777


def _exec(mode: int | None) -> bool:
    return bool(mode and mode & 0o100)


# --- removing -----------------------------------------------------------------------------


def remove(ws: Workspace) -> None:
    """The worktree (and git's record of it) or the copies: gone."""
    remove_home(ws.project, ws.home)


def remove_home(project: Path, home: Path) -> None:
    work = home / "work"
    if (work / ".git").is_file() and shutil.which("git") is not None:
        _git(project, "worktree", "remove", "--force", str(work), check=False)
    if home.exists():
        _make_writable(home)
        shutil.rmtree(home, ignore_errors=True)
    if (project / ".git").exists() and shutil.which("git") is not None:
        _git(project, "worktree", "prune", check=False)


def _make_writable(top: Path) -> None:
    """A task may leave read-only folders behind (a cache, a chmod): rmtree needs w on them."""
    for folder, dirs, _ in os.walk(top):
        for name in dirs:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                try:
                    os.chmod(path, 0o700)
                except OSError:
                    pass


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    for leaked in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(leaked, None)
    done = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, env=env, timeout=GIT_TIMEOUT)
    if check and done.returncode != 0:
        raise RigtuiError(
            f"git {args[0]} failed in {cwd}: {done.stderr.decode(errors='replace').strip()}",
            fix="check that the repository is healthy (`git status`)",
        )
    return done

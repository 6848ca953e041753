"""What a developer would ignore: `.gitignore` files (nested ones too), `.rigtuiignore`, VCS
folders, virtualenvs, dependency and build output. One implementation shared by the file tree,
the index and the watcher, so they always agree.

Follows gitignore(5): `#` comments, `!` negation, a trailing `/` for folders only, a `/`
elsewhere anchors the pattern to its file's folder, `*`, `?`, `[...]` and `**`. As in git, a
file inside an ignored folder cannot be re-included.
"""

from __future__ import annotations

import contextlib
import operator
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

IGNORE_FILES = (".gitignore", ".rigtuiignore")
VENV_MARKER = "pyvenv.cfg"

# Folders no one wants to browse or index, whatever the ignore files say.
ALWAYS_IGNORED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".jj", "node_modules", "__pycache__", ".venv", "venv",
        ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis",
        ".eggs", ".idea", ".cache", ".gradle", ".next", ".nuxt",
    }
)  # fmt: skip
# Build output, ignored when no ignore file decides otherwise.
BUILD_DIRS = frozenset({"build", "dist", "target", "out", "_build", "coverage", ".coverage"})
ALWAYS_IGNORED_FILES = frozenset({".DS_Store", "Thumbs.db"})
_UNRULED_DIRS = ALWAYS_IGNORED_DIRS | BUILD_DIRS  # the folders ignored when no rule decides
_by_name = operator.attrgetter("name")


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    name_body: str | None = None  # a rule on the last name alone: its regex without the prefix


def _glob_to_regex(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                # `**/` any leading folders, `/**` everything inside, `a/**/b` zero or more folders
                if i + 2 < n and pattern[i + 2] == "/":
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def parse_rules(text: str) -> list[Rule]:
    rules: list[Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip("\n\r")
        if not line.strip() or line.startswith("#"):
            continue
        if not line.endswith("\\ "):
            line = line.rstrip()
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        elif line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _glob_to_regex(line)
        prefix = "" if anchored else "(?:.*/)?"
        # Without a slash or `**` the rule can only match the last name of a path.
        name_body = None if anchored or "**" in line else body
        rules.append(Rule(re.compile(f"^{prefix}{body}$"), negate, dir_only, name_body))
    return rules


@dataclass(frozen=True)
class FolderRules:
    """One folder's rules, and all of them as two regexes: most paths match none, and two
    searches in C tell so (numpy's .gitignore has 168 rules, each a regex of its own). The
    rules on a path's last name alone are matched against that name: matched against the
    whole path, each would try every slash in it (24 us a path for numpy's)."""

    rules: tuple[Rule, ...]
    any_name: re.Pattern[str]  # the last name alone
    any_path: re.Pattern[str]  # the path relative to the folder

    def may_match(self, path: str, name: str) -> bool:
        return bool(self.any_name.match(name) or self.any_path.match(path))


_NOTHING = re.compile(r"(?!)")
NO_RULES = FolderRules((), _NOTHING, _NOTHING)


def _folder_rules_of(rules: tuple[Rule, ...]) -> FolderRules:
    names = [r.name_body for r in rules if r.name_body is not None]
    paths = [r.regex.pattern for r in rules if r.name_body is None]
    return FolderRules(
        rules,
        re.compile(f"^(?:{'|'.join(names)})$") if names else _NOTHING,
        re.compile("|".join(paths)) if paths else _NOTHING,
    )


@lru_cache(maxsize=4096)
def _rules_in(folder: str, mtimes: tuple[float, ...]) -> FolderRules:
    rules: list[Rule] = []
    for name in IGNORE_FILES:
        try:
            rules.extend(parse_rules(Path(folder, name).read_text(errors="replace")))
        except OSError:
            continue
    if not rules:
        return NO_RULES
    return _folder_rules_of(tuple(rules))


def _mtimes(folder: Path) -> tuple[float, ...]:
    out = []
    for name in IGNORE_FILES:
        try:
            out.append(os.stat(folder / name).st_mtime)
        except OSError:
            out.append(0.0)
    return tuple(out)


def is_virtualenv(path: Path) -> bool:
    return os.path.isfile(path / VENV_MARKER)  # False, never an error, in a folder we cannot read


class IgnoreRules:
    """Answers "is this path ignored?" for paths relative to a project root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        # During a walk each folder's ignore files are read once; outside a walk they are
        # re-checked by mtime on every question, so edits to them take effect at once.
        self._walk_cache: dict[str, FolderRules] | None = None
        self._chain_cache: dict[str, tuple[tuple[int, FolderRules], ...]] | None = None

    def _folder_rules(self, rel_folder: str) -> FolderRules:
        cache = self._walk_cache
        if cache is not None and rel_folder in cache:
            return cache[rel_folder]
        folder = self.root / rel_folder if rel_folder else self.root
        rules = _rules_in(str(folder), _mtimes(folder))
        if cache is not None:
            cache[rel_folder] = rules
        return rules

    def _chain(self, rel_dir: str) -> tuple[tuple[int, FolderRules], ...]:
        """The folders from the root down to `rel_dir` that have ignore rules, each with where
        a path relative to it starts (its length plus the slash). Folders without rules (most)
        cost nothing per entry; during a walk each folder's chain is worked out once."""
        cache = self._chain_cache
        if cache is not None and rel_dir in cache:
            return cache[rel_dir]
        base = self._chain(rel_dir.rpartition("/")[0]) if rel_dir else ()
        rules = self._folder_rules(rel_dir)
        chain = (*base, (len(rel_dir) + 1 if rel_dir else 0, rules)) if rules.rules else base
        if cache is not None:
            cache[rel_dir] = chain
        return chain

    def _decide(self, rel: str, is_dir: bool) -> bool | None:
        """The last matching rule of the nearest ignore files wins; None when none matches."""
        verdict: bool | None = None
        parent, _, name = rel.rpartition("/")
        for offset, folder in self._chain(parent):
            sub = rel[offset:]
            if not folder.may_match(sub, name):
                continue
            for rule in folder.rules:
                if rule.dir_only and not is_dir:
                    continue
                if rule.regex.match(sub):
                    verdict = not rule.negate
        return verdict

    def ignored_entry(self, rel: str, is_dir: bool, *, venv_checked: bool = False) -> bool:
        """Whether this one entry is ignored, assuming its parent folders are not.
        `venv_checked`: the caller skips a virtualenv's content itself (the walk does)."""
        name = rel.rsplit("/", 1)[-1]
        if is_dir and name in ALWAYS_IGNORED_DIRS:
            return True
        if not is_dir and name in ALWAYS_IGNORED_FILES:
            return True
        if is_dir and not venv_checked and is_virtualenv(self.root / rel):
            return True
        verdict = self._decide(rel, is_dir)
        if verdict is None:
            return is_dir and name in BUILD_DIRS
        return verdict

    def is_ignored(self, path: str | Path, is_dir: bool | None = None) -> bool:
        """Whether `path` (absolute, or relative to the root) or any folder above it is ignored.
        Paths outside the root count as ignored."""
        rel = self.relative(path)
        if rel is None:
            return True
        if not rel:
            return False
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            if self.ignored_entry("/".join(parts[:depth]), True):
                return True
        if is_dir is None:
            is_dir = os.path.isdir(self.root / rel)
        return self.ignored_entry(rel, is_dir)

    def _real_relative(self, path: str | Path) -> str | None:
        """Where `path` really is (every symlink resolved), relative to the root; None outside."""
        real = Path(os.path.realpath(path))
        if real == self.root:
            return ""
        if self.root not in real.parents:
            return None
        return real.relative_to(self.root).as_posix()

    def follows_link(self, rel: str, is_dir: bool) -> bool:
        """Whether the walk follows the symlink at `rel`: only to somewhere inside the project,
        and to a folder only when the walk does not reach that folder by its own path (it is
        ignored, or inside an ignored folder). So each folder is walked once, under its own
        name, whatever the order, and a link to the root or a folder above is not followed."""
        target = self._real_relative(self.root / rel)
        if target is None:
            return False
        return not is_dir or (target != "" and self.is_ignored(target, is_dir=True))

    def reaches(self, rel: str, is_dir: bool) -> bool:
        """Whether `walk()` yields this file (or enters this folder): it is not ignored and every
        symlink on its way is one the walk follows. One path at a time, for the live index."""
        if self.is_ignored(rel, is_dir=is_dir):
            return False
        parts = rel.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            link_is_dir = is_dir or depth < len(parts)
            if os.path.islink(self.root / prefix) and not self.follows_link(prefix, link_is_dir):
                return False
        return True

    def relative(self, path: str | Path) -> str | None:
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.relative_to(self.root)
            except ValueError:
                try:
                    p = p.resolve().relative_to(self.root)
                except ValueError:
                    return None
        rel = p.as_posix()
        return "" if rel == "." else rel

    def walk(
        self,
        follow_symlinks: bool = True,
        *,
        under: str = "",
        unreadable: Callable[[str, OSError], None] | None = None,
    ) -> Iterator[Path]:
        """Every file that is not ignored, as a path relative to the root; only those in the
        folder `under` (relative to the root; the caller checks `reaches(under, True)`). Symlinks
        are followed as `follows_link` says, each folder once (by real path), so symlink loops
        end and nothing outside the root is ever read. A folder that cannot be read is skipped
        and passed to `unreadable` with the error."""
        for rel, _entry in self.walk_entries(follow_symlinks, under=under, unreadable=unreadable):
            yield Path(rel)

    def walk_entries(
        self,
        follow_symlinks: bool = True,
        *,
        under: str = "",
        unreadable: Callable[[str, OSError], None] | None = None,
    ) -> Iterator[tuple[str, os.DirEntry[str]]]:
        """`walk()` as (relative POSIX path, its directory entry): for a caller that stats
        every file (the index), without a Path per file."""
        self._walk_cache, self._chain_cache = {}, {}
        try:
            yield from self._walk(follow_symlinks, under, unreadable)
        finally:
            self._walk_cache = self._chain_cache = None

    def _know_folder(self, rel_dir: str, entries: list[os.DirEntry[str]]) -> bool:
        """What the walk learns from a folder's listing, sparing a stat per question: a folder
        without ignore files has no rules, and one holding `pyvenv.cfg` (below the root) is a
        virtualenv, whose content is ignored (False)."""
        names = {entry.name for entry in entries}
        if rel_dir and VENV_MARKER in names:
            marker = next(entry for entry in entries if entry.name == VENV_MARKER)
            with contextlib.suppress(OSError):
                if marker.is_file():
                    return False
        if self._walk_cache is not None and names.isdisjoint(IGNORE_FILES):
            self._walk_cache[rel_dir] = NO_RULES
        return True

    def _walk(
        self,
        follow_symlinks: bool,
        under: str,
        unreadable: Callable[[str, OSError], None] | None,
    ) -> Iterator[tuple[str, os.DirEntry[str]]]:
        seen: set[tuple[int, int]] = set()
        stack: list[str] = [under]
        while stack:
            rel_dir = stack.pop()
            folder = f"{self.root}/{rel_dir}" if rel_dir else str(self.root)
            try:
                st = os.stat(folder)
                entries = sorted(os.scandir(folder), key=_by_name)
            except OSError as exc:
                if unreadable is not None and not isinstance(exc, FileNotFoundError):
                    unreadable(rel_dir, exc)
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            if not self._know_folder(rel_dir, entries):
                continue  # a virtualenv
            subdirs = []
            ruled = bool(self._chain(rel_dir))  # most folders: no ignore file at or above
            for entry in entries:
                name = entry.name
                rel = f"{rel_dir}/{name}" if rel_dir else name
                try:
                    is_dir = entry.is_dir(follow_symlinks=follow_symlinks)
                except OSError:
                    continue
                if ruled:
                    if self.ignored_entry(rel, is_dir, venv_checked=True):
                        continue
                elif name in (_UNRULED_DIRS if is_dir else ALWAYS_IGNORED_FILES):
                    continue  # ignored_entry's answer where no rule can match
                if entry.is_symlink() and not self.follows_link(rel, is_dir):
                    continue  # a link out of the project, or to a folder walked by its own name
                if is_dir:
                    subdirs.append(rel)
                elif entry.is_file(follow_symlinks=follow_symlinks):
                    yield rel, entry
            stack.extend(reversed(subdirs))

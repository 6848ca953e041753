"""Whether a word names a path outside the project, from a given working folder: links are
followed (`os.path.realpath`), globs are expanded in that folder, a path hidden inside a word
(`-o/tmp/x`, `--out=../x`, `open('/etc/passwd')`) counts, a URL does not."""

from __future__ import annotations

import fnmatch
import glob
import itertools
import os
import re

HARMLESS_PATHS = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/zero",
                  "/dev/tty", "/dev/random", "/dev/urandom"}  # fmt: skip
# A path hidden inside a word: `open('/etc/passwd')`, `-o/tmp/x`, `-C..`, `--out=~/x`.
_EMBEDDED_PATH = re.compile(r"""(?:^|[\s'"=(:,]|^-[A-Za-z])((?:/|~|\.\.(?=/|$))[^\s'",;)]*)""")
_URL = re.compile(r"[A-Za-z][\w+.-]*://[^\s'\",;)]*")
MAX_MATCHES = 500  # glob matches looked at (each is followed to where its links lead)


class PathCheck:
    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)

    def within(self, path: str) -> bool:
        target = os.path.realpath(path)
        return target == self.root or target.startswith(self.root.rstrip("/") + "/")

    def inside(self, cwd: str, plain: str, pattern: str = "") -> bool:
        """Whether the word `plain` (a glob when `pattern` is set) stays inside the project
        when the command is in `cwd`."""
        plain, pattern = plain.split("\x00")[0], pattern.split("\x00")[0]
        if plain in HARMLESS_PATHS:
            return True
        if plain.startswith("~"):
            return False
        if plain.startswith("file:"):
            plain = "/" + plain[5:].lstrip("/")
        bare = _URL.sub(" ", plain)
        for found in _EMBEDDED_PATH.findall(bare):
            if not found or plain.startswith(found) or found in HARMLESS_PATHS:
                continue
            if found.startswith("~") or not self.within(os.path.join(cwd, found)):
                return False
        if "://" in plain:
            return True  # a URL, not a path
        if pattern:
            return self._glob_inside(cwd, pattern)
        return self.within(os.path.join(cwd, plain))

    def _glob_inside(self, cwd: str, pattern: str) -> bool:
        """A glob: its folder part, anything it matches now (links are followed), and `..`
        wherever a part could match it (`.*` matches `..` in older shells)."""
        base = "/" if pattern.startswith("/") else cwd
        prefix: list[str] = []
        for part in pattern.split("/"):
            if glob.has_magic(part):
                # only a part that starts with a dot (or a bracket) can match a leading dot
                dotted = part.startswith((".", "["))
                if dotted and fnmatch.fnmatchcase("..", part):
                    if not self.within(os.path.join(base, *prefix, "..")):
                        return False
                break
            prefix.append(part)
        if not self.within(os.path.join(base, *prefix)):
            return False
        matches = glob.iglob(pattern, root_dir=cwd, include_hidden=True)
        return all(
            self.within(os.path.join(cwd, m)) for m in itertools.islice(matches, MAX_MATCHES)
        )

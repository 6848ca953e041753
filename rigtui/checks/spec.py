"""Which checks a project has: from `[checks]` in settings, or detected from its files as
unconfirmed suggestions the user confirms (and can save to `.rigtui.toml`).

A check is `trusted` when its command comes from the user's own config or from a project file
the user trusted (rigtui.trust). Only trusted checks run on their own (as files change, after a
model's edit); the others run when the user asks (`rigtui check`, ctrl+r), and the model's
`run_checks` goes through command approval for them. Detected checks are never trusted: their
commands come from the project's files (a package.json script, a Makefile)."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rigtui.config import PROJECT_FILE, Settings, load_settings
from rigtui.errors import RigtuiError
from rigtui.paths import write_atomically
from rigtui.trust import file_digest, record

PY_GLOBS = ("**/*.py", "pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini", "conftest.py")
JS_GLOBS = ("**/*.js", "**/*.jsx", "**/*.ts", "**/*.tsx", "**/*.mjs", "**/*.cjs", "package.json")


@dataclass(frozen=True)
class Check:
    name: str
    command: str
    paths: tuple[str, ...] = ()  # globs that trigger it; empty: any change
    confirmed: bool = True  # False for a detected suggestion the user has not confirmed
    reason: str = ""  # why it was suggested ("found pytest.ini")
    trusted: bool = True  # False: from an untrusted project file, or detected; never runs alone

    def triggered_by(self, changed: Iterable[str]) -> list[str]:
        """The changed paths (relative, POSIX) that should re-run this check."""
        changed = list(changed)
        if not self.paths:
            return changed
        return [p for p in changed if any(glob_matches(g, p) for g in self.paths)]


@lru_cache(maxsize=256)
def _glob_regex(glob: str) -> re.Pattern[str]:
    anchored = "/" in glob.rstrip("/")
    body = []
    i = 0
    text = glob.strip("/")
    while i < len(text):
        if text.startswith("**/", i):
            body.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            body.append(".*")
            i += 2
        elif text[i] == "*":
            body.append("[^/]*")
            i += 1
        elif text[i] == "?":
            body.append("[^/]")
            i += 1
        else:
            body.append(re.escape(text[i]))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    # A glob naming a folder also matches everything inside it.
    return re.compile(f"^{prefix}{''.join(body)}(?:/.*)?$")


def glob_matches(glob: str, path: str) -> bool:
    """gitignore-style: `*.py` matches at any depth, `src/*.py` is anchored to the root,
    `**` crosses folders, a folder name matches everything inside it."""
    return bool(_glob_regex(glob).match(path))


def configured_checks(settings: Settings) -> list[Check]:
    untrusted = settings.trust.untrusted_checks if settings.trust is not None else frozenset()
    return [
        Check(name, spec.command, tuple(spec.paths), trusted=name not in untrusted)
        for name, spec in settings.checks.commands.items()
    ]


# --- detection ------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace") if path.is_file() else ""
    except OSError:
        return ""


def _load_toml(path: Path) -> dict:
    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError:
        return {}


def _has_python_tests(root: Path) -> bool:
    for folder in (root, root / "tests", root / "test"):
        if folder.is_dir() and (any(folder.glob("test_*.py")) or any(folder.glob("*_test.py"))):
            return True
    return False


def _python_checks(root: Path) -> list[Check]:
    pyproject = _load_toml(root / "pyproject.toml")
    tool = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    setup_cfg = _read_text(root / "setup.cfg")
    found: list[Check] = []
    pytest_reason = next(
        (
            reason
            for reason, present in (
                ("found pytest.ini", (root / "pytest.ini").is_file()),
                ("found [tool.pytest.ini_options] in pyproject.toml", "pytest" in tool),
                ("found conftest.py", (root / "conftest.py").is_file()),
                ("found [tool:pytest] in setup.cfg", "[tool:pytest]" in setup_cfg),
                ("found test_*.py files", _has_python_tests(root)),
            )
            if present
        ),
        "",
    )
    if pytest_reason:
        found.append(Check("tests", "pytest -x -q", PY_GLOBS, False, pytest_reason))
    if "ruff" in tool or (root / "ruff.toml").is_file() or (root / ".ruff.toml").is_file():
        found.append(Check("lint", "ruff check .", PY_GLOBS, False, "found ruff settings"))
    if "mypy" in tool or (root / "mypy.ini").is_file() or (root / ".mypy.ini").is_file():
        found.append(Check("types", "mypy .", PY_GLOBS, False, "found mypy settings"))
    elif "[mypy]" in setup_cfg:
        found.append(Check("types", "mypy .", PY_GLOBS, False, "found [mypy] in setup.cfg"))
    return found


def _node_checks(root: Path) -> list[Check]:
    try:
        package = json.loads(_read_text(root / "package.json") or "{}")
    except json.JSONDecodeError:
        return []
    scripts = package.get("scripts", {}) if isinstance(package, dict) else {}
    test = scripts.get("test", "") if isinstance(scripts, dict) else ""
    if not test or "no test specified" in test:
        return []
    return [Check("tests", "npm test", JS_GLOBS, False, "found a test script in package.json")]


def detect_checks(root: Path) -> list[Check]:
    """Suggested checks for a project with none configured, each flagged unconfirmed."""
    root = Path(root)
    found = _python_checks(root) + _node_checks(root)
    if (root / "go.mod").is_file():
        found.append(Check("go-test", "go test ./...", ("**/*.go", "go.mod", "go.sum"), False, "found go.mod"))  # fmt: skip
    if (root / "Cargo.toml").is_file():
        found.append(Check("cargo-test", "cargo test", ("**/*.rs", "Cargo.toml"), False, "found Cargo.toml"))  # fmt: skip
    names: set[str] = set()
    unique = []
    for check in found:  # npm's "tests" next to pytest's: keep both under distinct names
        name = check.name if check.name not in names else f"{check.name}-{check.command.split()[0]}"
        names.add(name)
        unique.append(Check(name, check.command, check.paths, False, check.reason, trusted=False))
    return unique


def checks_for(root: Path, settings: Settings) -> list[Check]:
    """The configured checks, or else the detected suggestions (unconfirmed)."""
    return configured_checks(settings) or detect_checks(root)


HOW_TO_CONFIGURE = (
    f'add a [checks] table to {PROJECT_FILE}, e.g. [checks] tests = "pytest -x -q", or '
    'tests = { command = "pytest -x -q", paths = ["**/*.py"] }'
)


# --- saving confirmed checks ----------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def checks_table(checks: Sequence[Check]) -> str:
    lines = ["[checks]"]
    for check in checks:
        command = json.dumps(check.command)  # a JSON string is a valid TOML basic string
        if check.paths:
            globs = ", ".join(json.dumps(g) for g in check.paths)
            value = f"{{ command = {command}, paths = [{globs}] }}"
        else:
            value = command
        lines.append(f"{_toml_key(check.name)} = {value}")
    return "\n".join(lines) + "\n"


def save_checks(root: Path, checks: Sequence[Check]) -> Path:
    """Append a `[checks]` table to the project's `.rigtui.toml`, keeping everything else in
    it byte for byte. Refuses (and writes nothing) when the file already configures checks."""
    return _append_checks(root, checks)[0]


def confirm_checks(root: Path, checks: Sequence[Check]) -> tuple[Path, bool]:
    """The user confirmed these checks: save them, and neither grant nor lose trust by the
    file's new hash. When the project file was trusted, asked for nothing that needs trust, or
    did not exist, the new file is trusted (the checks the user confirmed may run on their
    own); otherwise it stays untrusted and they run only when asked. Returns the file and
    whether it is trusted."""

    before = load_settings(root).trust
    path, old, new = _append_checks(root, checks)
    trusted = old is None or (
        before is not None and before.trusted and before.sha256 == file_digest(old)
    )
    if trusted:
        record(root, file_digest(new))
    return path, trusted


def _append_checks(root: Path, checks: Sequence[Check]) -> tuple[Path, bytes | None, bytes]:
    """save_checks, returning the file's bytes before (None: there was no file) and after."""
    if not checks:
        raise RigtuiError("no checks to save", fix="confirm at least one check first")
    path = Path(root) / PROJECT_FILE
    old = path.read_bytes() if path.exists() else None
    try:
        existing = old.decode("utf-8") if old is not None else ""
        current = tomllib.loads(existing)
    except UnicodeDecodeError:
        raise RigtuiError(
            f"{path}: not UTF-8 text; checks were not saved", fix="save the file as UTF-8 first"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RigtuiError(
            f"{path}: not valid TOML ({exc}); checks were not saved", fix="fix the file first"
        ) from exc
    if "checks" in current:
        raise RigtuiError(
            f"{path} already has a [checks] table; checks were not saved",
            fix="edit the [checks] table in that file by hand",
        )
    separator = "" if not existing or existing.endswith("\n\n") else "\n" if existing.endswith("\n") else "\n\n"  # fmt: skip
    text = existing + separator + checks_table(checks)
    tomllib.loads(text)  # never write a file we could not read back
    write_atomically(path, text)
    return path, old, text.encode("utf-8")

"""Which projects' own settings the user trusts: a small JSON file in the user's data dir,
keyed by the project's real path, holding the sha256 of the `.rigtui.toml` the user answered
about and the answer. A trust covers exactly those bytes: once the file changes, its settings
that need trust are ignored again until the user trusts the new file (DESIGN.md rule 9).

    record(root, digest, trusted=True)   # `rigtui trust`, or yes in the workbench's question
    record(root, digest, trusted=False)  # no in the workbench: not asked again for this file
    lookup(root)                         # the entry, or None
    revoke(root)                         # forget it: asked again next time

A store file that cannot be read as this format is an error naming it and the fix; it is
never overwritten (a user's answers are not lost to a guess).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rigtui.errors import BadInput
from rigtui.paths import data_dir, write_atomically

PROJECT_FILE = ".rigtui.toml"  # a project's own settings
STORE_NAME = "trusted-projects.json"
VERSION = 1


@dataclass(frozen=True)
class Entry:
    root: str  # the project's real path
    sha256: str  # of the project file's bytes when the user answered
    trusted: bool  # False: the user said no to this file (not asked again until it changes)
    at: float  # when (seconds since the epoch)


def store_path() -> Path:
    return data_dir() / STORE_NAME


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def project_id(root: Path | str) -> str:
    return str(Path(root).resolve())


def _corrupt(path: Path, why: str) -> BadInput:
    return BadInput(
        f"{path}: the list of trusted projects is unreadable ({why})",
        fix="fix or delete that file; after deleting it, trust your projects again with"
        " `rigtui trust PATH`",
    )


def _read() -> dict[str, Entry]:
    path = store_path()
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise _corrupt(path, exc.strerror or "cannot be read") from exc
    except UnicodeDecodeError:
        raise _corrupt(path, "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _corrupt(path, f"not valid JSON: {exc}") from None
    projects = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(projects, dict) or data.get("version") != VERSION:
        raise _corrupt(path, f"expected {{'version': {VERSION}, 'projects': {{...}}}}")
    entries = {}
    for root, item in projects.items():
        try:
            entries[root] = Entry(
                root=root,
                sha256=str(item["sha256"]),
                trusted=bool(item["trusted"]),
                at=float(item["at"]),
            )
        except (TypeError, KeyError, ValueError):
            raise _corrupt(path, f"the entry for {root} is malformed") from None
    return entries


def _write(entries: dict[str, Entry]) -> None:
    projects = {root: {k: v for k, v in asdict(e).items() if k != "root"} for root, e in entries.items()}  # fmt: skip
    text = json.dumps({"version": VERSION, "projects": projects}, indent=2, sort_keys=True)
    write_atomically(store_path(), text + "\n")


def entries() -> list[Entry]:
    return sorted(_read().values(), key=lambda e: e.root)


def lookup(root: Path | str) -> Entry | None:
    return _read().get(project_id(root))


def record(root: Path | str, digest: str, *, trusted: bool = True) -> Entry:
    """Remember the user's answer about the project file whose bytes hash to `digest`."""
    current = _read()
    entry = Entry(project_id(root), digest, trusted, time.time())
    current[entry.root] = entry
    _write(current)
    return entry


def revoke(root: Path | str) -> bool:
    """Forget the answer about this project; False when there was none."""
    current = _read()
    if current.pop(project_id(root), None) is None:
        return False
    _write(current)
    return True


def answer_for(root: Path | str, digest: str) -> bool | None:
    """True (trusted) or False (declined) when the user answered about exactly these bytes;
    None when they never did, or the file changed since."""
    entry = lookup(root)
    if entry is None or entry.sha256 != digest:
        return None
    return entry.trusted


def current_digest(root: Path | str) -> str | None:
    """The sha256 of the project file as it is now; None when there is none."""
    try:
        return file_digest((Path(root) / PROJECT_FILE).read_bytes())
    except FileNotFoundError:
        return None


def is_trusted(root: Path | str, digest: str | None = None) -> bool:
    """Whether the user trusted the project file whose bytes hash to `digest` (default: the
    file as it is now)."""
    digest = digest or current_digest(root)
    return digest is not None and answer_for(root, digest) is True


def trust(root: Path | str, digest: str | None = None) -> Entry:
    """Trust the project file whose bytes hash to `digest` (default: the file as it is now;
    pass the digest of what the user was shown, so a change in between is not trusted)."""
    digest = digest or current_digest(root)
    if digest is None:
        raise BadInput(
            f"{root}: no {PROJECT_FILE} to trust",
            fix="trust is for a project whose settings file asks for something",
        )
    return record(root, digest, trusted=True)


# --- A project's trust, as settings loading found it ------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One setting the project file asks for that needs the user's trust."""

    key: str  # as written: `approval.commands`, `checks.tests`
    value: str  # as TOML
    check: bool = False  # a check's command (kept, but it runs only when the user asks)

    @property
    def line(self) -> str:
        return f"{self.key} = {self.value}"


@dataclass(frozen=True)
class ProjectTrust:
    """The project file's settings that need trust, and whether it has it."""

    file: Path
    sha256: str  # of the bytes these settings were read from
    asks: tuple[Ask, ...] = ()
    trusted: bool = True  # the user trusted exactly this file (or it asks for nothing)
    declined: bool = False  # the user said no to exactly this file: the workbench does not ask
    untrusted_checks: frozenset[str] = frozenset()  # checks whose command is the file's

    @property
    def ignored(self) -> tuple[Ask, ...]:
        return () if self.trusted else self.asks

    @property
    def should_ask(self) -> bool:
        """The workbench's one-time question: asked once per version of the file."""
        return bool(self.ignored) and not self.declined

    def notice(self, *, running_checks: bool = False, width: int = 100) -> str:
        """One line saying what was ignored and how to trust it; '' when nothing was. With
        `running_checks` (the user asked to run the checks) the checks are not mentioned."""
        shown = [a for a in self.ignored if not (running_checks and a.check)]
        if not shown:
            return ""
        items = ", ".join(a.line if len(a.line) <= width else a.line[: width - 1] + "…" for a in shown)  # fmt: skip
        checks = " (its checks run only when you ask)" if any(a.check for a in shown) else ""
        return (
            f"{_where(self.file)} asks for {items} — ignored{checks}: this project is not"
            f" trusted (run `{trust_command(self.file.parent)}` to allow it)"
        )


def _where(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def trust_command(root: Path) -> str:
    here = Path(root).resolve() == Path.cwd().resolve()
    return "rigtui trust" if here else f"rigtui trust {shlex.quote(str(root))}"

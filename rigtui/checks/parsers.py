"""Failure locations (file:line:col) from the output of pytest, ruff, mypy, tsc, eslint, go and
cargo. Parsers are pure functions of the text; `parse_locations` picks them by the check's
command (all of them for a command it does not recognise, e.g. `npm test`) and keeps only
paths inside the project, relative to its root.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

MAX_LOCATIONS = 200
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    col: int | None = None
    message: str = ""
    severity: str = "error"  # error | warning
    tool: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Location:
        names = ("path", "line", "col", "message", "severity", "tool")
        return cls(**{k: data[k] for k in names if k in data})

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" + (f":{self.col}" if self.col else "")
        return f"{where}: {self.message}" if self.message else where


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def _col(value: str | None) -> int | None:
    return int(value) if value else None


# --- pytest ---------------------------------------------------------------------------------

_PYTEST_SECTION = re.compile(r"^_{3,} (?P<title>.+?) _{3,}$")
_PYTEST_PHASE = re.compile(r"^={3,}")
_PYTEST_FRAME = re.compile(r"^(?P<path>[^\s<>:][^:]*\.py):(?P<line>\d+):(?: (?P<rest>.*))?$")
_PY_ERROR = re.compile(r"(?:[\w.]+(?:Error|Exception|Exit|Interrupt)\b|assert\b|Failed\b)")
_PY_FILE_LINE = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')


def parse_pytest(text: str, root: str | None = None) -> list[Location]:
    """One location per failure: the innermost frame inside the project (where it broke)."""
    out: list[Location] = []
    title, frames, errors = "", [], []  # type: ignore[var-annotated]
    in_report = False

    def flush() -> None:
        inside = [f for f in frames if _in_project(f[0], root)]
        if inside:
            path, line = inside[-1]
            detail = next((e for e in errors if _PY_ERROR.match(e)), errors[0] if errors else "")
            message = f"{title}: {detail}" if title and detail else title or detail
            out.append(Location(path, line, None, message, "error", "pytest"))

    for raw in text.splitlines():
        line = raw.rstrip()
        if _PYTEST_PHASE.match(line):
            flush()
            title, frames, errors = "", [], []
            in_report = any(w in line for w in ("FAILURES", "ERRORS"))
            continue
        if not in_report:
            continue
        if section := _PYTEST_SECTION.match(line):
            flush()
            title, frames, errors = section["title"], [], []
        elif frame := _PYTEST_FRAME.match(line):
            frames.append((frame["path"], int(frame["line"])))
            if not title and frame["rest"]:  # --tb=line: one line per failure, no sections
                errors.append(frame["rest"])
                flush()
                frames, errors = [], []
        elif line.startswith("E "):
            if file_line := _PY_FILE_LINE.search(line):
                frames.append((file_line["path"], int(file_line["line"])))
            elif stripped := line[1:].strip():
                errors.append(stripped)
    flush()
    return out


# --- ruff and cargo: "header" lines followed by " --> path:line:col" ------------------------

_ARROW = re.compile(r"^\s*-->\s*(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+)")
_RUFF_CONCISE = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<msg>(?:[A-Z]+\d+|SyntaxError)\b.*)$"
)
_RUFF_HEADER = re.compile(r"^(?:[A-Z]+\d+|[a-z]+(?:-[a-z]+)+|SyntaxError)\b.*")
_CARGO_HEADER = re.compile(r"^(?P<sev>error|warning)(?:\[\w+\])?: (?P<msg>.*)$")


def _arrow_locations(text: str, header: re.Pattern[str], tool: str) -> list[Location]:
    out: list[Location] = []
    message, severity = "", "error"
    for line in text.splitlines():
        if head := header.match(line):
            message = head.groupdict().get("msg") or line.strip()
            severity = head.groupdict().get("sev") or "error"
        elif arrow := _ARROW.match(line):
            col = _col(arrow["col"])
            out.append(Location(arrow["path"], int(arrow["line"]), col, message, severity, tool))
    return out


def parse_ruff(text: str, root: str | None = None) -> list[Location]:
    out = [
        Location(m["path"], int(m["line"]), int(m["col"]), m["msg"], "error", "ruff")
        for line in text.splitlines()
        if (m := _RUFF_CONCISE.match(line))
    ]
    return out + _arrow_locations(text, _RUFF_HEADER, "ruff")


_PANIC_NEW = re.compile(r"panicked at (?P<path>[^\s:']+):(?P<line>\d+):(?P<col>\d+):?\s*$")
_PANIC_OLD = re.compile(r"panicked at '(?P<msg>.*)', (?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+)")
_THREAD = re.compile(r"thread '(?P<name>[^']+)'")


def parse_cargo(text: str, root: str | None = None) -> list[Location]:
    out = [loc for loc in _arrow_locations(text, _CARGO_HEADER, "cargo") if loc.severity == "error"]
    lines = text.splitlines()
    for i, line in enumerate(lines):
        test = _THREAD.search(line)
        name = f"{test['name']}: " if test else ""
        if m := _PANIC_NEW.search(line):
            detail = lines[i + 1].strip() if i + 1 < len(lines) else ""
            out.append(Location(m["path"], int(m["line"]), int(m["col"]), name + detail, "error", "cargo"))  # fmt: skip
        elif m := _PANIC_OLD.search(line):
            out.append(Location(m["path"], int(m["line"]), int(m["col"]), name + m["msg"], "error", "cargo"))  # fmt: skip
    return out


# --- mypy, tsc, eslint, go ------------------------------------------------------------------

_MYPY = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<sev>error|warning): (?P<msg>.*)$"
)


def parse_mypy(text: str, root: str | None = None) -> list[Location]:
    return [
        Location(m["path"], int(m["line"]), _col(m["col"]), m["msg"], m["sev"], "mypy")
        for line in text.splitlines()
        if (m := _MYPY.match(line))
    ]


_TSC_PLAIN = re.compile(
    r"^(?P<path>[^\s(][^(]*)\((?P<line>\d+),(?P<col>\d+)\): (?P<sev>error|warning) (?P<msg>TS\d+:.*)$"
)
_TSC_PRETTY = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+) - (?P<sev>error|warning) (?P<msg>TS\d+:.*)$"
)


def parse_tsc(text: str, root: str | None = None) -> list[Location]:
    out = []
    for line in text.splitlines():
        if m := _TSC_PLAIN.match(line) or _TSC_PRETTY.match(line):
            out.append(Location(m["path"], int(m["line"]), int(m["col"]), m["msg"], m["sev"], "tsc"))  # fmt: skip
    return out


_ESLINT_ROW = re.compile(
    r"^\s+(?P<line>\d+):(?P<col>\d+)\s+(?P<sev>error|warning)\s+(?P<msg>.*?)\s*$"
)
_ESLINT_COMPACT = re.compile(
    r"^(?P<path>.+?): line (?P<line>\d+), col (?P<col>\d+), (?P<sev>Error|Warning) - (?P<msg>.*)$"
)


def parse_eslint(text: str, root: str | None = None) -> list[Location]:
    out: list[Location] = []
    current = ""
    for line in text.splitlines():
        if m := _ESLINT_COMPACT.match(line):
            sev = m["sev"].lower()
            out.append(Location(m["path"], int(m["line"]), int(m["col"]), m["msg"], sev, "eslint"))
        elif m := _ESLINT_ROW.match(line):
            if current:
                msg = re.sub(r"\s{2,}", "  ", m["msg"])
                out.append(Location(current, int(m["line"]), int(m["col"]), msg, m["sev"], "eslint"))  # fmt: skip
        elif line and not line[0].isspace() and not line.startswith(("✖", "\u2716")):
            current = line.strip()
    return out


_GO_TEST = re.compile(r"^\s+(?P<path>[\w./-]+\.go):(?P<line>\d+): (?P<msg>.*)$")
_GO_BUILD = re.compile(r"^(?P<path>[\w./-]+\.go):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<msg>.*)$")
_GO_PANIC = re.compile(r"^\s+(?P<path>/\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$")
_GO_FAIL = re.compile(r"^\s*--- FAIL: (?P<name>\S+)")


def parse_go(text: str, root: str | None = None) -> list[Location]:
    out: list[Location] = []
    test = ""
    for line in text.splitlines():
        if m := _GO_FAIL.match(line):
            test = m["name"]
        elif m := _GO_TEST.match(line):
            msg = f"{test}: {m['msg']}" if test else m["msg"]
            out.append(Location(m["path"], int(m["line"]), None, msg, "error", "go"))
        elif m := _GO_BUILD.match(line):
            out.append(Location(m["path"], int(m["line"]), _col(m["col"]), m["msg"], "error", "go"))  # fmt: skip
        elif m := _GO_PANIC.match(line):
            out.append(Location(m["path"], int(m["line"]), None, "panic", "error", "go"))
    return out


# --- choosing and cleaning ------------------------------------------------------------------

Parser = Callable[[str, "str | None"], list[Location]]
PARSERS: dict[str, Parser] = {
    "pytest": parse_pytest,
    "ruff": parse_ruff,
    "mypy": parse_mypy,
    "tsc": parse_tsc,
    "eslint": parse_eslint,
    "go": parse_go,
    "cargo": parse_cargo,
}
_TOOL_WORDS = {
    "pytest": "pytest", "py.test": "pytest", "ruff": "ruff", "mypy": "mypy", "dmypy": "mypy",
    "tsc": "tsc", "vue-tsc": "tsc", "eslint": "eslint", "go": "go", "cargo": "cargo",
}  # fmt: skip


def tools_for(command: str) -> list[str]:
    """The parsers a command's output needs; all of them when no word names a known tool."""
    words = {PurePosixPath(w).name for w in re.split(r"[\s;&|()]+", command) if w}
    found = [tool for word, tool in _TOOL_WORDS.items() if word in words]
    return list(dict.fromkeys(found)) or list(PARSERS)


def _in_project(path: str, root: str | None) -> bool:
    if path.startswith("<") or "site-packages" in path or path.startswith("/rustc/"):
        return False
    if PurePosixPath(path).is_absolute():
        return bool(root) and _relative(path, root) is not None
    return not path.startswith("../")


def _relative(path: str, root: str) -> str | None:
    try:
        return PurePosixPath(path).relative_to(PurePosixPath(root)).as_posix()
    except ValueError:
        return None


def _normalise(loc: Location, root: str | None) -> Location | None:
    if not _in_project(loc.path, root):
        return None
    path = loc.path
    if PurePosixPath(path).is_absolute() and root:
        path = _relative(path, root) or path
    while path.startswith("./"):
        path = path[2:]
    return replace(loc, path=path, message=loc.message.strip()[:500])


def parse_locations(output: str, command: str, root: str | Path | None = None) -> list[Location]:
    """Every failure location in `output`, de-duplicated, paths relative to `root`."""
    text = strip_ansi(output)
    root_text = Path(root).as_posix() if root else None
    seen: set[tuple[str, int, int | None]] = set()
    out: list[Location] = []
    for tool in tools_for(command):
        for loc in PARSERS[tool](text, root_text):
            clean = _normalise(loc, root_text)
            if clean is None or (key := (clean.path, clean.line, clean.col)) in seen:
                continue
            seen.add(key)
            out.append(clean)
    return out[:MAX_LOCATIONS]


def resolve_paths(
    locations: Iterable[Location], root: Path, files: Iterable[str]
) -> list[Location]:
    """Paths that do not exist under `root` (go prints a test file's name relative to its
    package) are replaced by the one project file that ends with them, when there is one."""
    locations = list(locations)
    missing = {loc.path for loc in locations if not (root / loc.path).exists()}
    if not missing:
        return locations
    candidates: dict[str, list[str]] = {m: [] for m in missing}
    for file in files:
        for m in missing:
            if file == m or file.endswith("/" + m):
                candidates[m].append(file)
    found = {m: c[0] for m, c in candidates.items() if len(c) == 1}
    return [replace(loc, path=found.get(loc.path, loc.path)) for loc in locations]

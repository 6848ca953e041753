"""`read_file` (line ranges) and `list_files` (glob), confined to the project root and
respecting its ignore rules."""

from __future__ import annotations

import asyncio
import fnmatch
from pathlib import Path
from typing import Any

from rigtui.agent.tools.base import Tool, ToolContext, ToolError, ToolOutput, confine, obj, relative
from rigtui.ignore import IgnoreRules

MAX_LINES = 2000
MAX_CHARS = 100_000
MAX_LISTED = 1000


def _int(args: dict[str, Any], key: str, default: int | None) -> int | None:
    value = args.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError(f"{key} must be an integer")
    return int(value)


def _read(root: Path, args: dict[str, Any]) -> ToolOutput:
    path = confine(root, args.get("path", ""))
    if not path.is_file():
        raise ToolError(f"{args['path']}: no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ToolError(f"{args['path']}: cannot be read ({exc.strerror})") from exc
    if b"\0" in data[:8192]:
        raise ToolError(f"{args['path']}: a binary file")
    lines = data.decode("utf-8", errors="replace").splitlines()
    rel = relative(root, path)
    start = max(1, _int(args, "start_line", 1) or 1)
    asked_end = _int(args, "end_line", None)
    if asked_end is not None and asked_end < 1:  # 0 or -1: what models send for "to the end"
        asked_end = None
    if not lines:
        return ToolOutput(f"{rel} is empty (0 lines)", f"read {rel}: empty")
    if start > len(lines):
        raise ToolError(
            f"start_line {start} is past the end of {rel}, which has {len(lines)} lines;"
            f" ask for start_line between 1 and {len(lines)}"
        )
    if asked_end is not None and asked_end < start:
        raise ToolError(
            f"end_line {asked_end} is before start_line {start}; ask for"
            f" start_line <= end_line (the file has {len(lines)} lines)"
        )
    end = asked_end or len(lines)
    end = min(end, len(lines), start + MAX_LINES - 1)
    out, size = [], 0
    for number in range(start, end + 1):
        line = f"{number:>5}  {lines[number - 1]}"
        size += len(line) + 1
        if size > MAX_CHARS:
            if not out:  # one line longer than the whole budget: cut it, never return nothing
                out.append(
                    line[:MAX_CHARS] + f" [line cut: {len(line) - MAX_CHARS} more characters]"
                )
                end = number
            else:
                end = number - 1
            break
        out.append(line)
    more = (
        f"\n[{len(lines) - end} more lines; ask for start_line={end + 1}]"
        if end < len(lines)
        else ""
    )
    header = f"{rel} lines {start}-{end} of {len(lines)}\n"
    return ToolOutput(header + "\n".join(out) + more, f"read {rel} lines {start}-{end}")


async def read_file(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    return await asyncio.to_thread(_read, ctx.root, args)


def _list(root: Path, args: dict[str, Any]) -> ToolOutput:
    pattern = args.get("pattern") or "**/*"
    if not isinstance(pattern, str):
        raise ToolError("pattern must be a string glob such as 'src/**/*.py'")
    folder = args.get("path") or "."
    base = confine(root, folder)
    if not base.is_dir():
        raise ToolError(f"{folder}: no such folder")
    prefix = relative(root, base)
    found = []
    for rel in IgnoreRules(root).walk():
        text = rel.as_posix()
        if prefix != "." and not text.startswith(prefix + "/"):
            continue
        inner = text if prefix == "." else text[len(prefix) + 1 :]
        if _match(inner, pattern):
            found.append(text)
    found.sort()
    shown = found[:MAX_LISTED]
    tail = (
        f"\n[{len(found) - len(shown)} more; narrow the pattern]" if len(found) > len(shown) else ""
    )
    body = "\n".join(shown) if shown else f"no files match {pattern!r} under {prefix}"
    return ToolOutput(body + tail, f"listed {len(found)} files matching {pattern}")


def _match(path: str, pattern: str) -> bool:
    if fnmatch.fnmatch(path, pattern):
        return True
    if pattern.startswith("**/"):  # `**/x` also matches `x` at the top
        return fnmatch.fnmatch(path, pattern[3:])
    return False


async def list_files(ctx: ToolContext, args: dict[str, Any]) -> ToolOutput:
    return await asyncio.to_thread(_list, ctx.root, args)


TOOLS = [
    Tool(
        "read_file",
        "Read a text file of the project, with line numbers. Use start_line/end_line (1-based,"
        " inclusive) for a range of a long file.",
        obj(
            {
                "path": {"type": "string", "description": "path relative to the project root"},
                "start_line": {"type": "integer"},
                "end_line": {"type": "integer"},
            },
            ["path"],
        ),
        read_file,
    ),
    Tool(
        "list_files",
        "List project files (ignored files left out) matching a glob such as 'src/**/*.py'.",
        obj(
            {
                "pattern": {"type": "string", "description": "glob, default '**/*'"},
                "path": {"type": "string", "description": "folder to list under, default '.'"},
            }
        ),
        list_files,
    ),
]

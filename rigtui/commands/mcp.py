"""`rigtui mcp list [--json]`: connect to every configured MCP server (as a task would), print
its state, where it is, its tools (as the model is offered them, with what they cost in tokens
on every request), its prompts and its last error, then stop them all. Exit 1 when a server
is configured (and enabled) but failed; a project's own servers count only once it is trusted."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rigtui.config import Settings

NAME = "mcp"
HELP = "MCP servers: `rigtui mcp list` connects to each and shows its state and tools"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="connect to every configured server, show its tools")
    listing.add_argument("--path", default=".", help="project folder (default: .)")
    listing.add_argument("--json", action="store_true", help="one JSON object per server")


def run(args: argparse.Namespace) -> int:
    from rigtui.commands._common import note, project_root, say_ignored
    from rigtui.config import load_settings
    from rigtui.display import json_line

    root = project_root(args.path)
    settings = say_ignored(load_settings(root))
    if not settings.mcp.servers:
        note("no MCP servers configured: add [mcp.servers.NAME] to your config.toml (see README)")
        return 0
    rows = asyncio.run(_rows(root, settings))
    for row in rows:
        print(json_line(row) if args.json else _text(row))
    return 1 if any(row["state"] == "failed" for row in rows) else 0


async def _rows(root: Path, settings: Settings) -> list[dict[str, Any]]:
    from rigtui.mcp.manager import McpManager

    manager = McpManager(root, settings)
    try:
        await manager.start()
        specs = manager.tools()
        rows = []
        for status in manager.status():
            tools = [
                {"name": s.tool, "offered_as": s.name, "approval": s.approval,
                 "description": s.description}
                for s in specs if s.server == status.name
            ]  # fmt: skip
            rows.append(
                {
                    "server": status.name,
                    "state": status.state,
                    "where": status.where,
                    "tools": tools,
                    "prompts": list(status.prompts),
                    "tokens": status.tokens,
                    "error": status.error,
                    "log": status.log,
                }
            )
        return rows
    finally:
        await manager.close()


def _text(row: dict[str, Any]) -> str:
    from rigtui.display import safe_line

    head = f"{row['server']}: {row['state']}"
    if row["where"]:
        head += f"  ({safe_line(row['where'])})"
    lines = [head]
    if row["state"] == "up":
        lines.append(f"  {len(row['tools'])} tool(s), ~{row['tokens']} tokens per request")
    for tool in row["tools"]:
        ask = "" if tool["approval"] == "ask" else "  [runs without asking]"
        lines.append(f"  {tool['offered_as']}: {safe_line(tool['description'])}{ask}")
    if row["prompts"]:
        names = ", ".join(f"/{row['server']}:{safe_line(p)}" for p in row["prompts"])
        lines.append(f"  prompts: {names}")
    if row["error"]:
        lines.append(f"  error: {safe_line(row['error'])}")
    return "\n".join(lines)

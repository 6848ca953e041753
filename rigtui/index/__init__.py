"""rigtui.index: tree-sitter definitions and references plus full-text chunks in a per-project
SQLite database, kept up to date incrementally and live. Start at `CodeIndex`.

Names load on first use, so importing `rigtui.index` (for a type, say) does not
pull in tree-sitter and SQLite code."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rigtui.index.api import CodeIndex, index_db_path
    from rigtui.index.lookup import Location, Reference, SearchHit, Symbol

__all__ = ["CodeIndex", "Location", "Reference", "SearchHit", "Symbol", "index_db_path"]
_HOMES = {
    "CodeIndex": "rigtui.index.api",
    "index_db_path": "rigtui.index.api",
    "Location": "rigtui.index.lookup",
    "Reference": "rigtui.index.lookup",
    "SearchHit": "rigtui.index.lookup",
    "Symbol": "rigtui.index.lookup",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'rigtui.index' has no attribute {name!r}")

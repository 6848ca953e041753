"""rigtui.index: tree-sitter definitions and references plus full-text chunks in a per-project
SQLite database, kept up to date incrementally and live. Start at `CodeIndex`."""

from rigtui.index.api import CodeIndex, index_db_path
from rigtui.index.lookup import Location, Reference, SearchHit, Symbol

__all__ = ["CodeIndex", "Location", "Reference", "SearchHit", "Symbol", "index_db_path"]

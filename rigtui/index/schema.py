"""The index database's schema as forward migrations; `PRAGMA user_version` is the number
applied. The index can always be rebuilt from the files, but a newer or corrupt database is
still refused rather than overwritten (it may belong to a newer rigtui)."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: files, definitions, references, full-text chunks
    """
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        language TEXT,
        status TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        hash TEXT NOT NULL,
        lines INTEGER NOT NULL DEFAULT 0,
        non_utf8 INTEGER NOT NULL DEFAULT 0,
        syntax_error INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE defs (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        qualname TEXT NOT NULL,
        kind TEXT NOT NULL,
        line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        parent TEXT,
        signature TEXT NOT NULL
    );
    CREATE TABLE refs (
        file_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        line INTEGER NOT NULL
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL
    );
    CREATE VIRTUAL TABLE chunks_fts USING fts5(body, words, tokenize = 'unicode61');
    INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('rank', 'bm25(1.0, 0.7)');
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('generation', '0');
    """,
    # 2: merge small full-text segments sooner. A live update writes one small segment holding
    # just the chunks that changed; FTS5's incremental merging works in proportion to the pages
    # written, so it falls behind such updates and every search visits more segments. A level
    # with 8 segments (not the default 16) is merged at once; a cold run takes no longer.
    """
    INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('crisismerge', 8);
    """,
    # 3: files indexed in part (past the per-file caps), and identifiers split with their
    # digits (`md5Sum` -> md5 sum): every file is read again at the next run (its hash and
    # mtime forgotten), and only the rows that differ are rewritten.
    """
    ALTER TABLE files ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
    UPDATE files SET hash = '', mtime_ns = -1;
    """,
    # 4: views computed from the rows (the repo map's graph), kept with the generation they
    # were computed at, so a new process need not compute them again (`rigtui map`).
    """
    CREATE TABLE derived (key TEXT PRIMARY KEY, generation INTEGER NOT NULL, data BLOB NOT NULL);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# Secondary indexes, dropped during a cold build and created once at the end (much faster
# than keeping them up to date row by row).
INDEXES: dict[str, str] = {
    "defs_name": "CREATE INDEX IF NOT EXISTS defs_name ON defs(name COLLATE NOCASE)",
    "defs_file": "CREATE INDEX IF NOT EXISTS defs_file ON defs(file_id)",
    "refs_name": "CREATE INDEX IF NOT EXISTS refs_name ON refs(name)",
    "refs_file": "CREATE INDEX IF NOT EXISTS refs_file ON refs(file_id)",
    "chunks_file": "CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id)",
}

"""A read-only code view with syntax highlighting (Textual's TextArea with tree-sitter)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import TextArea
from textual.widgets.text_area import LanguageDoesNotExist

from rigtui.display import safe_name

EXTENSION_LANGUAGES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "javascript", ".ts": "javascript", ".tsx": "javascript",
    ".go": "go", ".rs": "rust", ".java": "java", ".json": "json", ".toml": "toml",
    ".yaml": "yaml", ".yml": "yaml", ".md": "markdown", ".html": "html", ".css": "css",
    ".sh": "bash", ".bash": "bash", ".sql": "sql", ".xml": "xml", ".c": "c", ".h": "c",
    ".cpp": "cpp", ".cc": "cpp", ".hpp": "cpp", ".rb": "ruby",
}  # fmt: skip
MAX_VIEW_BYTES = 4 * 1024 * 1024


def language_for(path: Path) -> str | None:
    return EXTENSION_LANGUAGES.get(path.suffix.lower())


def read_for_view(path: Path) -> str:
    """The file's text for viewing: binary and huge files are described, not shown."""
    try:
        size = path.stat().st_size
        if size > MAX_VIEW_BYTES:
            return f"{path.name} is {size / 1e6:.1f} MB: too large to show here."
        data = path.read_bytes()
    except OSError as exc:
        return f"{path.name} cannot be read: {exc.strerror}"
    if b"\x00" in data[:8192]:
        return f"{path.name} is a binary file ({size} bytes)."
    return data.decode("utf-8", errors="replace")


class CodeView(TextArea):
    """Shows one file read-only; `path` and `goto(line)` for jumps from search and checks."""

    DEFAULT_CSS = """
    CodeView { border: none; padding: 0; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", read_only=True, show_line_numbers=True, soft_wrap=False, **kwargs)  # type: ignore[arg-type]
        self.path: Path | None = None

    def show_file(self, path: Path, line: int | None = None) -> None:
        self.path = path
        self.load_text(read_for_view(path))
        try:
            self.language = language_for(path)
        except LanguageDoesNotExist:  # a grammar wheel that is not installed: plain text
            self.language = None
        self.border_title = Text(safe_name(path.name))  # a name, never markup
        if line:
            self.goto(line)

    def goto(self, line: int) -> None:
        row = max(0, min(line - 1, self.document.line_count - 1))
        self.move_cursor((row, 0), center=True)

"""Rich renderables for a proposal's diff: unified or side by side, syntax-highlighted through
pygments, changed characters inside a line marked. Plain objects (no Textual), so the CLI, the
benchmark and the review widget all draw the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound
from rich.console import Group, RenderableType
from rich.style import Style
from rich.syntax import PygmentsSyntaxTheme
from rich.table import Table
from rich.text import Text

from rigtui.display import safe_line, safe_name
from rigtui.edits.diff import changed_spans
from rigtui.edits.model import EXECUTABLE, format_mode
from rigtui.edits.palette import DARK, Palette
from rigtui.edits.prepare import LocatedHunk, PreparedFile, Proposal, file_mode_text

Mode = Literal["unified", "split"]


ADDED_BG, REMOVED_BG = DARK.added_bg, DARK.removed_bg
ADDED_MARK, REMOVED_MARK = DARK.added_mark, DARK.removed_mark
THEME = DARK.syntax


@lru_cache(maxsize=64)
def _lexer_for(name: str) -> Lexer:
    try:
        return get_lexer_for_filename(name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


_STYLES: dict[tuple[str, object], Style] = {}


@lru_cache(maxsize=8)
def _syntax_theme(name: str) -> PygmentsSyntaxTheme:
    return PygmentsSyntaxTheme(name)


def _style(token_type: object, theme: str = THEME) -> Style:
    style = _STYLES.get((theme, token_type))
    if style is None:
        style = _syntax_theme(theme).get_style_for_token(token_type)  # type: ignore[arg-type]
        _STYLES[theme, token_type] = style
    return style


def highlight_lines(path: str, lines: list[str], theme: str = THEME) -> list[Text]:
    """Each line as highlighted Text, lexed together so multi-line strings colour right.
    (Token styles are cached: Rich's own per-token lookup dominated big diffs.)"""
    if not lines:
        return []
    lines = [safe_line(line) for line in lines]
    out: list[Text] = [Text()]
    for token_type, value in _lexer_for(path.rsplit("/", 1)[-1]).get_tokens("\n".join(lines)):
        style = _style(token_type, theme)
        parts = value.split("\n")
        for k, part in enumerate(parts):
            if k:
                out.append(Text())
            if part:
                out[-1].append(safe_line(part), style)  # a file's ESC must not drive the terminal
    while len(out) < len(lines):
        out.append(Text())
    return out[: len(lines)]


@dataclass(frozen=True)
class Row:
    """One displayed line: its sign, numbers on each side, and highlighted text."""

    op: str
    old_no: int | None
    new_no: int | None
    text: Text


def hunk_rows(
    path: str,
    lh: LocatedHunk,
    new_offset: int,
    file_lines: list[str] | None = None,
    palette: Palette = DARK,
) -> list[Row]:
    """The hunk's lines with line numbers and intra-line marks on paired -/+ lines. Removed
    and context lines show the file's own text (`file_lines`), which may differ from the
    patch's when the hunk was found by a tolerant match (whitespace, Unicode punctuation)."""
    hunk = lh.hunk
    if hunk.mode_change is not None:
        return _mode_rows(hunk.mode_change, palette)
    if hunk.binary is not None:
        return _binary_rows(hunk.binary)
    old_index = lh.match.index if lh.match else 0
    old_lines = hunk.old_lines
    if lh.match is not None and file_lines is not None:
        found = file_lines[old_index : old_index + len(hunk.old_lines)]
        if len(found) == len(hunk.old_lines):
            old_lines = found
    old_hl = iter(highlight_lines(path, old_lines, palette.syntax))
    new_hl = iter(highlight_lines(path, hunk.new_lines, palette.syntax))
    rows: list[Row] = []
    o, n = old_index + 1, old_index + new_offset + 1
    for line in hunk.lines:
        if line.op == " ":
            next(new_hl)
            rows.append(Row(" ", o, n, next(old_hl)))  # the file's line, as written
            o, n = o + 1, n + 1
        elif line.op == "-":
            rows.append(Row("-", o, None, next(old_hl)))
            o += 1
        else:
            rows.append(Row("+", None, n, next(new_hl)))
            n += 1
    _mark_pairs(rows, palette)
    return rows


def _mode_text(mode: int) -> str:
    return f"mode {format_mode(mode)}" + (" (executable)" if mode == EXECUTABLE else "")


def _mode_rows(change: tuple[int, int], palette: Palette = DARK) -> list[Row]:
    """A mode change drawn like a changed line: the old mode removed, the new one added."""
    old, new = change
    rows = [
        Row("-", None, None, Text(_mode_text(old))),
        Row("+", None, None, Text(_mode_text(new))),
    ]
    _mark_pairs(rows, palette)
    return rows


def _binary_rows(sizes: tuple[int | None, int | None]) -> list[Row]:
    """A binary file's change: its old and new size, never its bytes."""
    return [
        Row(op, None, None, Text(f"binary, {size:,} bytes", style="italic"))
        for op, size in zip("-+", sizes, strict=True)
        if size is not None
    ]


def _mark_pairs(rows: list[Row], palette: Palette = DARK) -> None:
    """Within each block of removed lines followed by added lines, mark changed characters of
    the i-th removed line against the i-th added line."""
    i = 0
    while i < len(rows):
        if rows[i].op != "-":
            i += 1
            continue
        j = i
        while j < len(rows) and rows[j].op == "-":
            j += 1
        k = j
        while k < len(rows) and rows[k].op == "+":
            k += 1
        for old, new in zip(rows[i:j], rows[j:k], strict=False):
            old_spans, new_spans = changed_spans(old.text.plain, new.text.plain)
            if len(old.text.plain) + len(new.text.plain) > 0:
                for a, b in old_spans:
                    old.text.stylize(palette.removed_mark, a, b)
                for a, b in new_spans:
                    new.text.stylize(palette.added_mark, a, b)
        i = k


def _gutter(no: int | None, width: int) -> str:
    return f"{no:>{width}}" if no is not None else " " * width


def render_unified(rows: list[Row], width: int = 5, palette: Palette = DARK) -> Text:
    out = Text()
    for row in rows:
        bg = {"+": palette.added_bg, "-": palette.removed_bg}.get(row.op, "")
        sign_style = {"+": "bold green", "-": "bold red"}.get(row.op, "dim")
        out.append(f"{_gutter(row.old_no, width)} {_gutter(row.new_no, width)} ", style="dim")
        out.append(f"{row.op} ", style=f"{sign_style} {bg}".strip())
        line = row.text.copy()
        if bg:
            line.stylize(bg)
        out.append_text(line)
        out.append("\n")
    out.rstrip()
    return out


def render_split(rows: list[Row], width: int = 5, palette: Palette = DARK) -> Table:
    table = Table.grid(expand=True, padding=(0, 1))
    table.add_column(width=width, style="dim", justify="right")
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column(width=width, style="dim", justify="right")
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    for left, right in _pair_sides(rows):
        table.add_row(
            _gutter(left.old_no if left else None, width),
            _styled(left, palette.removed_bg),
            _gutter(right.new_no if right else None, width),
            _styled(right, palette.added_bg),
        )
    return table


def _styled(row: Row | None, bg: str) -> Text:
    if row is None:
        return Text("")
    text = row.text.copy()
    if row.op != " ":
        text.stylize(bg)
    return text


def _pair_sides(rows: list[Row]) -> list[tuple[Row | None, Row | None]]:
    pairs: list[tuple[Row | None, Row | None]] = []
    removed: list[Row] = []
    added: list[Row] = []

    def flush() -> None:
        for k in range(max(len(removed), len(added))):
            pairs.append((removed[k] if k < len(removed) else None,
                          added[k] if k < len(added) else None))  # fmt: skip
        removed.clear()
        added.clear()

    for row in rows:
        if row.op == "-":
            if added:
                flush()
            removed.append(row)
        elif row.op == "+":
            added.append(row)
        else:
            flush()
            pairs.append((row, row))
    flush()
    return pairs


def file_hunk_rows(
    pf: PreparedFile, palette: Palette = DARK
) -> list[tuple[LocatedHunk, list[Row]]]:
    """Every hunk of a file with its rows; new-side numbers shift by earlier hunks' sizes."""
    out = []
    offset = 0
    for lh in pf.located:
        lines = pf.text.lines if pf.text else None
        out.append((lh, hunk_rows(pf.target, lh, offset, lines, palette)))
        offset += lh.hunk.added - lh.hunk.removed
    return out


def file_title(pf: PreparedFile) -> Text:
    kind = {"add": "new", "delete": "deleted", "update": "modified"}[pf.change.kind]
    if pf.overwrites:
        kind = "new, replaces the existing file"
    if pf.change.move_to:
        kind = "renamed" if kind == "modified" else kind
    title = Text.assemble((safe_name(pf.change.label), "bold"), f"  {kind}  ")
    mode = file_mode_text(pf)
    if mode:
        title.append(mode, style="yellow")
        if not pf.change.added and not pf.change.removed:
            return title  # a mode change alone: no line counts to show
        title.append("  ")
    if pf.binary_after is not None:
        title.append("binary", style="magenta")
        return title
    title.append(f"+{pf.change.added}", style="green")
    title.append(" ")
    title.append(f"-{pf.change.removed}", style="red")
    return title


def describe_hunk(lh: LocatedHunk) -> str:
    if lh.hunk.mode_change is not None:
        return f"hunk {lh.hunk.id}: mode {lh.hunk.mode_text}"
    if lh.hunk.binary is not None:
        return f"hunk {lh.hunk.id}: {lh.hunk.binary_text}"
    where = f"line {lh.match.index + 1}" if lh.match else "whole file"
    how = f", {lh.match.how}" if lh.match and lh.match.level else ""
    return f"hunk {lh.hunk.id} at {where}{how}"


def render_proposal(proposal: Proposal, mode: Mode = "unified") -> RenderableType:
    """The whole change set: each file's title, then each hunk."""
    parts: list[RenderableType] = []
    for pf in proposal.files:
        parts.append(file_title(pf))
        for lh, rows in file_hunk_rows(pf):
            parts.append(Text(describe_hunk(lh), style="cyan"))
            parts.append(render_unified(rows) if mode == "unified" else render_split(rows))
        parts.append(Text(""))
    return Group(*parts)

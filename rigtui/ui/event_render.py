"""How each stored thread event looks in the thread pane: plain functions from events to
Rich text, so they are testable without a terminal and cheap to render; and how an assistant
reply's Markdown is cut into pieces whose renders, put together, are Rich's Markdown of the
whole (so a reply can stream piece by piece and still look as it does from history)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text

from rigtui import protocol as ev
from rigtui.display import safe_line, safe_name

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@cache
def _markdown() -> tuple[MarkdownIt, frozenset[str]]:
    """The parser with Rich's Markdown rules (blocks are cut where it would see them), and the
    tags Rich renders inline. Loaded with the first reply, not before the first paint."""
    from markdown_it import MarkdownIt
    from rich.markdown import Markdown

    return MarkdownIt().enable("strikethrough").enable("table"), frozenset(Markdown.inlines)


# Tokens Rich's Markdown renders as text or style, not as an element of its own.
INLINE_TYPES = frozenset(
    {"text", "hardbreak", "softbreak", "link_open", "link_close", "html_inline"}
)
CODE = ("fence", "code_block")  # tagged "code" too, but blocks
# Rich elements that keep their children to render them inside themselves.
KEEPS_CHILDREN = frozenset(
    {"blockquote_open", "bullet_list_open", "ordered_list_open", "list_item_open",
     "table_open", "thead_open", "tbody_open", "tr_open"}
)  # fmt: skip
NEWLINES = re.compile(r"\r\n?")

# A finished reply is one Rich Markdown render per this many characters (most replies: one).
GROUP_CHARS = 2000

ARG_KEYS = ("path", "paths", "pattern", "query", "name", "command", "glob", "symbol")


def summarise_arguments(raw: str, width: int = 60) -> str:
    """The one argument a reader wants to see (a path, a command), else the JSON, cut short."""
    try:
        args = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        args = None
    if isinstance(args, dict):
        patch = args.get("patch") or args.get("input")
        if isinstance(patch, str):  # apply_patch: the files it touches
            files = [ln.split(":", 1)[1].strip() for ln in patch.splitlines()
                     if ln.startswith(("*** Update File:", "*** Add File:", "*** Delete File:"))]  # fmt: skip
            return _cut(_names(files) or "(no files)", width)
        if isinstance(args.get("plan"), list):
            return f"{len(args['plan'])} steps"
        for key in ARG_KEYS:
            if key in args and args[key]:
                value = args[key]
                text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
                return _cut(safe_line(text), width)
        scalars = [f"{k}={v}" for k, v in args.items() if isinstance(v, str | int | float)]
        if scalars or not args:
            return _cut(safe_line(" ".join(scalars)), width)
    return _cut(safe_line(" ".join(raw.split())), width)


def _names(paths: list[str]) -> str:
    """Paths for a thread line: a file's name cannot break the line or drive the terminal."""
    return ", ".join(map(safe_name, paths))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def tool_line(
    name: str, arguments: str, *, ok: bool | None = None, summary: str = "", streaming: bool = False
) -> Text:
    line = Text("→ ", style="bold cyan")
    line.append(name, style="bold")
    if arguments:
        line.append(f" {summarise_arguments(arguments)}", style="dim")
    if streaming:
        line.append(" …", style="dim")
    if ok is True:
        line.append(f"\n  ✓ {summary or 'done'}", style="green")
    elif ok is False:
        line.append(f"\n  ✗ {summary or 'failed'}", style="red")
    return line


# a task's outcome or a check's state; anything else (cancelled, timed out) is yellow
OUTCOME_STYLES = {"done": "green", "passed": "green", "failed": "red"}


def event_text(event: ev.Event) -> Text | None:
    """One line or a few for an event that is not a message; None for events that only
    change what is shown elsewhere (status bar, plan view, checks panel) or stream live."""
    match event:
        case ev.Notice(text=text):
            return Text(text, style="dim")
        case ev.MessageNotSent(text=text):
            return Text(f"not sent (cancelled while queued): {text}", style="dim")
        case ev.ThreadRenamed(title=title):
            return Text(f"· renamed to {title!r}", style="dim")
        case ev.ThreadCompacted(replaced_messages=count):
            return Text(f"⇣ thread compacted: {count} earlier messages sent as a summary")
        case ev.ThreadForked(parent_id=parent):
            return Text(f"· forked from {parent}", style="dim")
        case ev.TaskEnded():
            return _task_ended(event)
        case ev.IsolatedTaskChanged(task_id=task_id, state=state, files=files):
            changed = f": {', '.join(map(safe_name, files))}" if files else ""
            style = {"needs review": "yellow", "failed": "red", "applied": "green"}.get(
                state, "dim"
            )
            return Text(f"· isolated task {task_id} {state}{changed}", style=style)
        case ev.PatchProposed(files=files):
            shown = ", ".join(f"{safe_name(f['path'])} +{f.get('added', 0)} -{f.get('removed', 0)}"
                              + (f" ({f['mode']})" if f.get("mode") else "")
                              for f in files)  # fmt: skip
            return Text(f"◆ change set proposed: {shown}", style="bold magenta")
        case ev.PatchDecided(accepted=accepted, rejected=rejected):
            return Text(
                f"◆ decided: {len(accepted)} hunk(s) accepted, {len(rejected)} rejected",
                style="magenta",
            )
        case ev.PatchApplied(paths=paths):
            return Text(f"◆ applied to {_names(paths)} (ctrl+z undoes)", style="green")
        case ev.PatchRefused(message=message):
            return Text(f"◆ not applied: {safe_line(message)}", style="red")
        case ev.PatchUndone(paths=paths):
            return Text(f"◆ undone: {_names(paths)}", style="yellow")
        case ev.PatchRedone(paths=paths):
            return Text(f"◆ redone: {_names(paths)}", style="yellow")
        case ev.PatchRecovered(change_set_ids=ids):
            return Text(f"◆ rolled back after a crash: {', '.join(ids)}", style="yellow")
        case ev.CommandApprovalRequested(command=command, needs_person=person):
            who = " (needs a person)" if person else ""
            return Text(f"? asks to run{who}: {safe_line(command)}", style="yellow")
        case ev.CheckFinished(check=check, state=state):
            return Text(f"● check {check} {state}", style=OUTCOME_STYLES.get(state, "yellow"))
        case ev.CommandChanged():
            return command_changed_text(event)
        case ev.ArtifactsDetected(created=created, changed=changed):
            return Text(f"▣ files from the command: {_names(created + changed)}", style="cyan")
        case (
            ev.ThreadCreated() | ev.MessageStarted() | ev.MessageDelta() | ev.UsageUpdated()
            | ev.ToolCallDelta() | ev.TaskStarted() | ev.CommandDecided() | ev.ModelChanged()
            | ev.PlanUpdated() | ev.ThreadDeleted() | ev.IndexProgress() | ev.IndexReady()
            | ev.IndexUpdated() | ev.CheckQueued() | ev.CheckStarted() | ev.CheckOutput()
        ):  # fmt: skip
            return None
    return Text(f"· {event.type}", style="dim")


def command_changed_text(event: ev.CommandChanged) -> Text:
    """`▣ command `make` changed 3 files (+12 −4)`, then the change set it became."""
    count = len(event.paths)
    text = Text("▣ command ", style="bold cyan")
    text.append(f"`{_cut(safe_line(event.command), 50)}`", style="bold")
    text.append(f" changed {count} file{'s' if count != 1 else ''}", style="bold cyan")
    text.append(f" (+{event.added} −{event.removed})", style="cyan")
    extra = [f"{event.binary} binary"] if event.binary else []
    if event.ignored:
        extra.append(f"{event.ignored} ignored path(s) dropped")
    text.append(f"\n  change set {event.change_set_id}: {_names(event.paths[:8])}", style="dim")
    if len(event.paths) > 8:
        text.append(f" and {len(event.paths) - 8} more", style="dim")
    if extra:
        text.append(f"; {', '.join(extra)}", style="dim")
    return text


def _task_ended(event: ev.TaskEnded) -> Text:
    style = OUTCOME_STYLES.get(event.outcome, "yellow")
    text = Text(f"■ task {event.outcome}", style=f"bold {style}")
    if summary := _one_line(event.summary or ""):
        text.append(f": {summary}")  # the reply itself is right above, in full
    if event.changed_files:
        text.append(f"\n  changed: {_names(event.changed_files)}", style="dim")
    if event.change_sets:
        text.append(f"\n  change sets: {', '.join(event.change_sets)}", style="dim")
    for check in event.checks:
        text.append(f"\n  check {check.get('check', '')}: {check.get('state', '')}", style="dim")
    return text


@dataclass(frozen=True)
class Block:
    """One top-level Markdown block (a paragraph, list, fence, table…) with the blank lines
    after it, and how Rich spaces it from the block before: `rule`, no blank line after it
    (a horizontal rule); `own_spacing`, its render decides the blank line before it (a list,
    table or quote: a block nested in it closes first and sets Rich's blank-line flag)."""

    text: str
    rule: bool = False
    own_spacing: bool = False


def markdown_blocks(text: str) -> list[Block]:
    """A Markdown text cut before each top-level block. Rich renders a block alone as it does
    inside the whole, spaced as `spaced` says, so a reply can be shown in pieces and a streamed
    one re-renders only its last block. The blocks join back into the text (with its line ends
    made "\n", as the parser sees them)."""
    text = NEWLINES.sub("\n", text)
    env: dict[str, object] = {}
    tokens = _markdown()[0].parse(text, env)
    tops = [i for i, t in enumerate(tokens) if t.level == 0 and t.map is not None]
    if not tops or env.get("references"):  # a [link][ref] needs its definition alongside
        return [Block(text)] if text else []
    lines = text.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    cuts = [0] + [tokens[i].map[0] for i in tops[1:]] + [len(lines)]  # type: ignore[index]
    ends = tops[1:] + [len(tokens)]
    return [
        Block(
            "".join(lines[cuts[n] : cuts[n + 1]]),
            rule=tokens[top].type == "hr",
            own_spacing=_sets_own_spacing(tokens[top : ends[n]]),
        )
        for n, top in enumerate(tops)
    ]


def _sets_own_spacing(block: list[Token]) -> bool:
    """Whether Rich's render of a top-level block sets its blank-line flag before it reads it:
    the first element to close or stand alone in it is kept by a parent that renders its
    children itself (a list item, quote, table). Else the flag left by the block before says
    whether a blank line comes first."""
    open_types: list[str] = []
    for token in _flattened(block):
        inline_tags = _markdown()[1]
        if token.type in INLINE_TYPES or (token.tag in inline_tags and token.type not in CODE):
            continue  # text and styles: no element
        if token.nesting == 1:
            open_types.append(token.type)
            continue
        if token.nesting == -1:
            open_types.pop()
        return bool(open_types) and open_types[-1] in KEEPS_CHILDREN
    return False


def _flattened(tokens: list[Token]) -> Iterator[Token]:
    """Tokens as Rich walks them: inline tokens replaced by their children."""
    for token in tokens:
        if token.children and token.tag != "img" and token.type != "fence":
            yield from _flattened(token.children)
        else:
            yield token


class RenderedMarkdown:
    """Rich's Markdown of a piece of a reply, rendered once per width: Textual renders a
    widget's content twice per change (for its height, then its lines), and a finished reply
    takes over what its live pieces already rendered."""

    def __init__(self, piece: Block) -> None:
        self.piece = piece
        self._key: tuple[int, str] = (-1, "")  # the width and code theme rendered for
        self._segments: list[Segment] = []

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = (options.max_width, _CODE_THEME[0])
        if key != self._key:
            from rich.markdown import Markdown

            markdown = Markdown(self.piece.text, code_theme=key[1])
            self._segments = list(console.render(markdown, options))
            self._key = key
        yield from self._segments


# The pygments style of code blocks in replies: the theme's (rigtui.ui.themes.follow_theme).
# One per process, as there is one terminal and one theme.
_CODE_THEME = ["monokai"]


def set_code_theme(name: str) -> None:
    _CODE_THEME[0] = name


class RenderedReply:
    """A reply's pieces one after another, spaced as Rich's Markdown spaces its blocks: the
    same lines as Markdown of the whole text."""

    def __init__(self, pieces: list[RenderedMarkdown]) -> None:
        self.pieces = pieces

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        blocks = [rendered.piece for rendered in self.pieces]
        for index, rendered in enumerate(self.pieces):
            if spaced(blocks, index):
                yield Segment.line()
            yield rendered


def reply_pieces(blocks: list[Block], *, live: bool, group_chars: int = GROUP_CHARS) -> list[Block]:
    """How a reply is cut into rendered pieces: its blocks joined into groups of at least
    `group_chars` characters, so most replies are one piece. While a reply streams, its last
    group stays one piece per block: a delta re-renders only the last block, and a group is
    joined once complete (one render of about `group_chars`, never one of the whole reply)."""
    groups: list[list[Block]] = [[]]
    size = 0
    for block in blocks:
        if size >= group_chars:
            groups.append([])
            size = 0
        groups[-1].append(block)
        size += len(block.text)
    pieces = [_joined(group) for group in groups[:-1]]
    if live:
        return pieces + groups[-1]
    return pieces + ([_joined(groups[-1])] if groups[-1] else [])


def _joined(group: list[Block]) -> Block:
    if len(group) == 1:
        return group[0]
    text = "".join(block.text for block in group)
    return Block(text, rule=group[-1].rule, own_spacing=group[0].own_spacing)


def spaced(blocks: list[Block], index: int) -> bool:
    """Whether a blank line goes before a piece: Rich leaves one between blocks, but none
    after a rule, and a list, table or quote renders its own."""
    return index > 0 and not blocks[index - 1].rule and not blocks[index].own_spacing


def _one_line(text: str, width: int = 100) -> str:
    """The first line with words in it, shortened to `width` characters."""
    line = next((ln.strip().lstrip("#").strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"

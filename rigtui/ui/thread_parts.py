"""Thread widgets for what the message box adds: a user message with the chips of what its
`@mentions` attached, and a compaction the user can expand to read the summary that is sent
in place of the older turns (which stay above it in the thread, as they were)."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalGroup
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from rigtui import protocol as ev
from rigtui.display import chip_text


def chips(attachments: list[ev.Attachment]) -> Text:
    """`@ src/app.py 2 KB  @ Parser.parse src/p.py:10-40`: one chip per attachment."""
    line = Text()
    for item in attachments:
        if line:
            line.append("  ")
        line.append(f" @ {chip_text(item)} ", style="reverse")
    return line


def user_message(text: str, attachments: list[ev.Attachment]) -> Widget:
    words = Static(text, markup=False)
    if not attachments:
        words.add_class("user")
        return words
    group = VerticalGroup(words, Static(chips(attachments), classes="chips"), classes="user")
    return group


def compaction_title(event: ev.ThreadCompacted) -> str:
    """Short enough for a narrow pane: the rest is in the body."""
    return f"⇣ {event.replaced_messages} earlier messages compacted"


def compaction_body(event: ev.ThreadCompacted) -> str:
    why = "asked for with /compact" if event.reason == "asked" else "the window was filling"
    return (
        f"Sent in their place from here on ({why}; ~{event.tokens_before:,} → "
        f"~{event.tokens_after:,} tokens). The messages themselves stay above.\n\n{event.summary}"
    )


def compaction(event: ev.ThreadCompacted) -> Widget:
    """Collapsed to its title; Enter (or a click) shows the summary."""
    body = Static(compaction_body(event), markup=False, classes="summary")
    return Collapsible(body, title=compaction_title(event), collapsed=True, classes="compacted")

"""Every action of the workbench, declared once: its keys, its footer label, what the key map
(`?`) says about it and where it works, and its entry in the command palette (ctrl+p). The
app's BINDINGS, the key map and the palette are all generated from this table; the keys that
belong to one pane (the diff review, the checks panel, the thread list, the file tree) are
read from those widgets' own BINDINGS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.widget import Widget


@dataclass(frozen=True)
class Action:
    action: str  # a Textual action string ("focus_pane('tree')"); "" for a key Textual owns
    does: str  # what the key map says it does
    keys: str = ""  # Textual's key names, comma-separated; "" for a palette-only action
    shown_keys: str = ""  # how the key map writes the keys (default: from `keys`)
    label: str = ""  # the footer's label; "" keeps it out of the footer
    where: str = "anywhere"
    priority: bool = False
    command: str = ""  # the palette's title; "" keeps it out of the palette
    command_help: str = ""


ACTIONS: tuple[Action, ...] = (
    Action("", "move focus between panes", shown_keys="Tab / Shift+Tab"),
    Action("focus_pane('tree')", "focus the file tree", "ctrl+e", label="Tree", priority=True,
           command="Focus file tree", command_help="Move focus to the file tree"),
    Action("focus_pane('thread')", "focus the message box", "ctrl+t", label="Thread",
           priority=True, command="Focus thread", command_help="Move focus to the message box"),
    Action("focus_pane('right')", "focus the diff / code pane", "ctrl+g", label="Diff",
           priority=True, command="Focus diff pane",
           command_help="Move focus to the diff/code pane"),
    Action("toggle_tree", "show or hide the file tree (in tmux, ctrl+b is its prefix)",
           "ctrl+b,f3", shown_keys="f3 or ctrl+b", priority=True, command="Toggle file tree",
           command_help="Show or hide the file tree"),
    Action("toggle_zoom", "zoom: the focused pane takes the whole width, and back", "z",
           where="outside the message box", command="Zoom pane",
           command_help="The focused pane takes the whole width (z again: back)"),
    Action("copy", "copy the hunk, path, selection or reply to the clipboard (OSC 52)", "Y",
           where="outside the message box", command="Copy",
           command_help="The focused hunk, path, selection or reply, to the clipboard"),
    Action("copy_reply", "copy the newest reply", command="Copy newest reply",
           command_help="The model's newest reply in this thread, to the clipboard"),
    Action("copy_code_block", "copy the newest reply's last code block",
           command="Copy code block",
           command_help="The last code block of the model's newest reply, to the clipboard"),
    Action("new_thread", "new thread", "ctrl+n", label="New thread", priority=True,
           command="New thread", command_help="Start a new thread in this project"),
    Action("toggle_thread_list", "show the thread list and focus it", "ctrl+l",
           label="Threads", priority=True, command="Switch thread",
           command_help="Show the thread list"),
    Action("rename_thread", "rename the current thread", "f2", command="Rename thread",
           command_help="Rename the current thread"),
    Action("delete_thread", "delete the current thread", command="Delete thread",
           command_help="Delete the current thread"),
    Action("fork_thread", "a new thread from a message of this one", command="Fork thread",
           command_help="A new thread from a message of this one"),
    Action("switch_model", "another model profile for this thread", command="Switch model",
           command_help="Another model profile for this thread"),
    Action("compact_thread", "summarise the thread's older turns now (/compact)",
           command="Compact thread",
           command_help="Summarise older turns; the summary is sent in their place"),
    Action("search_threads", "find threads by what they say", command="Search threads",
           command_help="Find threads by what they say"),
    Action("search", "search symbols and text, jump to file:line", "ctrl+f", label="Search",
           priority=True, where="anywhere", command="Search",
           command_help="Symbols and text in the code index"),
    Action("search", "search symbols and text (outside the message box)", "slash",
           shown_keys="/"),
    Action("", "complete @file, @symbol or /command: ↑ ↓ choose, Tab or Enter take it, Esc"
           " closes", shown_keys="@ or /", where="message box"),
    Action("run_checks", "show the checks and run them now", "ctrl+r", label="Checks",
           priority=True, command="Run checks",
           command_help="Show the checks panel and run every check"),
    Action("confirm_checks", "save the detected checks", command="Confirm suggested checks",
           command_help="Save the detected checks to .rigtui.toml"),
    Action("cancel_turn", "stop the model's reply (the thread stays consistent)", "ctrl+c",
           shown_keys="Esc / ctrl+c", where="while it runs", priority=True,
           command="Cancel reply", command_help="Stop the model's reply in this thread"),
    Action("escape", "close the file or checks, back to the diff pane", "escape",
           shown_keys="Esc", where="code view, checks"),
    Action("close_file", "close the code view", command="Close file",
           command_help="Close the code view"),
    Action("show_diff", "back to the diff pane", command="Show diff pane",
           command_help="Back to the diff pane"),
    Action("review_pending", "reopen a change set waiting for review",
           command="Review pending change set",
           command_help="Reopen a change set waiting for review"),
    Action("review_patch_file", "review and apply a patch file",
           command="Review a patch file",
           command_help="Review and apply a patch file, hunk by hunk"),
    Action("undo_change_set", "undo the last change set", "ctrl+z", priority=True,
           command="Undo last change set",
           command_help="Restore the files the last change set changed"),
    Action("redo_change_set", "redo the change set undone last", "ctrl+y", priority=True,
           command="Redo change set", command_help="Re-apply the change set undone last"),
    Action("show_task_board", "the isolated tasks: state, time, tokens, checks; Enter opens",
           "f6", priority=True, command="Task board",
           command_help="Isolated tasks: open one's thread or review its change set"),
    Action("start_isolated_task", "run a task in a workspace of its own",
           command="New isolated task",
           command_help="Run a task in a workspace of its own; review its changes after"),
    Action("open_artifact", "open a file the model's commands made", command="Open an artifact",
           command_help="A file the model's commands created or changed"),
    Action("show_mcp_servers", "the MCP servers: state, tools, prompts, last error",
           command="MCP servers",
           command_help="Each server's state, tools, prompts and last error"),
    Action("", "command palette: every action, themes", shown_keys="ctrl+p"),
    Action("show_keys", "this key map", "question_mark,f1", shown_keys="? / f1", label="Keys",
           where="outside the message box", command="Show keys", command_help="The key map"),
    Action("", "quit", shown_keys="ctrl+q"),
)  # fmt: skip


def panes() -> tuple[tuple[str, type, str], ...]:
    """Panes whose own keys the key map lists, and the palette while the pane is open. Looked
    up when asked: the review's module (its renderer, pygments) is not needed to paint."""
    from rigtui.ui.checks_panel import ChecksPanel
    from rigtui.ui.diff_review import DiffReview
    from rigtui.ui.file_tree import ProjectTree
    from rigtui.ui.thread_pane import ThreadList

    return (
        ("diff review", DiffReview, "Review"),
        ("checks panel", ChecksPanel, "Checks"),
        ("thread list", ThreadList, ""),
        ("file tree", ProjectTree, ""),
    )


def bindings() -> list[BindingType]:
    """The app's BINDINGS, from the table."""
    out: list[BindingType] = []
    for a in ACTIONS:
        if a.action and a.keys:
            out.append(
                Binding(
                    a.keys, a.action, a.label or a.does, show=bool(a.label),
                    priority=a.priority, tooltip=a.command_help,
                )
            )  # fmt: skip
    return out


def _keys_text(keys: str) -> str:
    names = {"question_mark": "?", "slash": "/", "left_square_bracket": "[",
             "right_square_bracket": "]", "delete": "Delete", "enter": "Enter",
             "escape": "Esc", "down": "↓", "up": "↑"}  # fmt: skip
    return " / ".join(names.get(k, k) for k in keys.split(","))


def key_rows() -> list[tuple[str, str, str]]:
    """(keys, what they do, where) for the key map: the app's actions, then each pane's."""
    rows: list[tuple[str, str, str]] = []
    for a in ACTIONS:
        if a.keys or a.shown_keys:
            rows.append((a.shown_keys or _keys_text(a.keys), a.does, a.where))
    for where, widget, _ in panes():
        for binding in pane_bindings(widget):
            rows.append((_keys_text(binding.key), binding.description.lower(), where))
    return rows


def pane_bindings(widget: type) -> Iterable[Binding]:
    for binding in getattr(widget, "BINDINGS", []):
        if isinstance(binding, tuple):
            binding = Binding(*binding)
        if isinstance(binding, Binding) and binding.description:
            yield binding


def commands() -> list[tuple[str, str, str]]:
    """(title, help, action) for the palette, in the table's order."""
    return [(a.command, a.command_help, a.action) for a in ACTIONS if a.command and a.action]


def pane_commands(app: App[int], pane: Widget | None) -> Iterable[SystemCommand]:
    """Palette entries for the keys of a pane that is showing (`Review: Accept all`)."""
    prefix = next((p for _, widget, p in panes() if p and isinstance(pane, widget)), "")
    if pane is None or not prefix:
        return
    for binding in pane_bindings(type(pane)):
        key = app.get_key_display(Binding(binding.key.split(",")[0], ""))
        yield SystemCommand(
            f"{prefix}: {binding.description}",
            f"key {key}",
            partial(pane.run_action, binding.action),
        )

"""The status bar: the project, the current thread, the model (with the thread's tokens and
cost), the index, the sandbox and the patch policy, in one line that builds itself from the
events it is shown and shortens itself on a narrow terminal (a warning is never shortened)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from textual.widgets import Static

from rigtui import protocol as ev
from rigtui.config import Settings
from rigtui.display import safe_name
from rigtui.session import model_status


@dataclass
class StatusFacts:
    project: str
    thread: str = "-"
    profile: str | None = None
    index: str = "off"
    sandbox: str = "none"
    usage: ev.UsageUpdated | None = None
    mcp: str = ""  # " │ mcp: 1/2" (servers up, of those enabled) once one is configured


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, settings: Settings, project: str, **kwargs: object) -> None:
        # Never markup: a project folder or a thread title may hold `[/]` (a MarkupError).
        super().__init__(markup=False, **kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.facts = StatusFacts(project, index="starting" if settings.index.enabled else "off")
        self._shown = ""
        self.redraw()  # composed with its text: the first frame draws it once

    def show(self, **facts: object) -> None:
        """Set some facts (thread, profile, sandbox, usage...) and redraw."""
        for name, value in facts.items():
            setattr(self.facts, name, value)
        self.redraw()

    def take(self, event: ev.Event) -> None:
        """The index's progress: what the bar says about it."""
        match event:
            case ev.IndexProgress(done=done, total=total):
                self.facts.index = f"indexing {done}/{total}"
            case ev.IndexReady(files=files):
                self.facts.index = f"{files} files, up to date"
            case ev.IndexUpdated(paths=paths):
                stamp = time.strftime("%H:%M:%S")
                self.facts.index = f"up to date ({len(paths)} file(s) at {stamp})"
            case ev.McpServerChanged(up=up, total=total):
                self.facts.mcp = f" │ mcp: {up}/{total}" if total else ""
            case _:
                return
        self.redraw()

    def text(self, width: int) -> str:
        f = self.facts
        trust = self.settings.trust
        status = model_status(self.settings, f.profile)
        model = status.model if status.configured else "no model"
        patches = self.settings.approval.patches
        sandbox = f.sandbox
        if (u := f.usage) is not None:
            approx = "~" if u.estimated else ""  # the server reported no usage
            tokens = f"{approx}{u.thread_input_tokens}↑ {u.thread_output_tokens}↓"
            ttft = u.time_to_first_token
            model += f" {tokens}" + (f" ttft {ttft:.1f}s" if isinstance(ttft, float) else "")
            model += f" ${u.thread_cost:.4f}" if isinstance(u.thread_cost, float) else ""
        untrusted = trust is not None and bool(trust.ignored)
        project, thread = safe_name(f.project), safe_name(f.thread)  # no raw ESC or newline
        text = (
            f"{project} │ {thread} │ model: {model} │ index: {f.index} │ "
            f"sandbox: {sandbox} │ patches: {patches}"
        )
        text += f.mcp + (" │ untrusted settings ignored" if untrusted else "")
        if len(text) > width - 2:  # narrow terminals: the same facts, shorter
            if "no isolation" not in sandbox:  # a warning is never shortened away
                sandbox = sandbox.split(" ")[0]
            text = f"{thread} │ {model} │ {f.index} │ {sandbox} │ {patches}"
            text += f.mcp.replace("mcp: ", "mcp ") + (" │ untrusted" if untrusted else "")
        return text

    def redraw(self) -> None:
        """Show the facts, if that changes the line. Its size never depends on the text (one
        line, the terminal's width): no layout, only this bar drawn again."""
        text = self.text(self.app.size.width)
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)

    def on_resize(self) -> None:
        self.redraw()

"""Telling a user who looked away, and the clipboard over SSH: both are escape sequences the
workbench writes to its terminal (rigtui.ui.osc says which and how tmux passes them).

`Notifier.attention(title, body)` is the one call for "this needs you": a task that needs
review, asks for approval, failed or ended. It rings only while the terminal is not focused
(Textual hears focus in/out from terminals that report it, tmux with `focus-events on`), as
`[ui] notify` says: "off", "bell" (BEL: tmux marks the window and passes it on) or "osc"
(BEL, then OSC 9 and OSC 777 desktop notifications)."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import App

from rigtui.ui import osc

COPY_MAX = 100_000  # bytes: terminals and tmux refuse longer OSC 52 payloads


class Terminal:
    """Writes escape sequences to the app's terminal (nothing when headless)."""

    def __init__(self, app: App[object], env: Mapping[str, str] | None = None) -> None:
        self.app, self.env = app, env

    def write(self, text: str) -> None:
        # Textual has a public bell and OSC 52, but no public way to write another sequence,
        # nor one wrapped for tmux: its driver's write is what its own bell() uses.
        driver = self.app._driver
        if driver is not None:
            driver.write(text)

    def copy(self, text: str, what: str) -> bool:
        """Put `text` on the clipboard of the terminal the user sits at (OSC 52, through SSH
        and tmux), and say so; False (and why) when it is empty or too long."""
        if not text:
            self.app.notify(f"nothing to copy: {what} is empty", severity="warning")
            return False
        size = len(text.encode("utf-8"))
        if size > COPY_MAX:
            self.app.notify(
                f"{what} is {size:,} bytes: too long for the terminal's clipboard"
                f" (at most {COPY_MAX:,})",
                severity="warning",
            )
            return False
        self.app.copy_to_clipboard(text)  # OSC 52, and what Textual's own paste offers
        if osc.in_tmux(self.env):
            self.write(osc.tmux_passthrough(osc.osc52(text)))
        lines = text.count("\n") + (not text.endswith("\n"))
        self.app.notify(f"copied {what} ({lines} line{'s' * (lines != 1)}) to the clipboard")
        return True


class Notifier:
    """`attention(title, body)`: ring and notify when the user is elsewhere."""

    def __init__(self, app: App[object], mode: str, env: Mapping[str, str] | None = None) -> None:
        self.app, self.mode = app, mode
        self.terminal = Terminal(app, env)
        self.env = env

    def attention(self, title: str, body: str = "") -> bool:
        """True when the user was told (the terminal is not focused and `mode` is not off)."""
        if self.mode == "off" or self.app.app_focus:
            return False
        out = osc.BEL
        if self.mode == "osc":
            out += osc.for_terminal(osc.osc9(title, body), self.env)
            out += osc.for_terminal(osc.osc777(title, body), self.env)
        self.terminal.write(out)
        return True

"""Terminal escape sequences that work over SSH: OSC 52 (set the clipboard of the terminal the
user sits at, wherever the program runs), OSC 9 and OSC 777 (a desktop notification) and BEL.

Inside tmux (`$TMUX` set) tmux reads every sequence a program writes. It turns BEL into its
own bell (the window is marked and, by `bell-action`, the bell reaches the terminal), and it
takes OSC 52 only with `set-clipboard on` (it then keeps a paste buffer and sets the outer
terminal's clipboard). It drops OSC 9/777. So inside tmux each OSC is written twice: plainly,
for tmux itself, and wrapped in tmux's DCS passthrough (`ESC P tmux; ... ESC \\`, every ESC
inside doubled), which tmux hands unchanged to the outer terminal when `allow-passthrough on`
(tmux 3.3+). A terminal or tmux without the setting ignores what it does not take."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
TITLE_MAX, BODY_MAX = 60, 200


def in_tmux(env: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if env is None else env).get("TMUX"))


def plain(text: str, limit: int) -> str:
    """Text fit for an OSC field: control characters (ESC, BEL, newlines, C1) become spaces,
    so a thread title or a model's words can neither end the sequence nor start another;
    `;` (OSC 777's field separator) becomes `,`."""
    cleaned = "".join(" " if not c.isprintable() else c for c in text).replace(";", ",")
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def osc52(text: str) -> str:
    """Set the clipboard ("c") to `text`."""
    return f"{ESC}]52;c;{base64.b64encode(text.encode('utf-8')).decode('ascii')}{BEL}"


def osc9(title: str, body: str) -> str:
    """iTerm2, WezTerm, kitty, foot, Windows Terminal, Ghostty: a notification (one message)."""
    text = plain(f"{title}: {body}" if body else title, TITLE_MAX + BODY_MAX)
    return f"{ESC}]9;{text}{BEL}"


def osc777(title: str, body: str) -> str:
    """rxvt-unicode, VTE terminals (GNOME Terminal, Tilix), WezTerm: title and body."""
    return f"{ESC}]777;notify;{plain(title, TITLE_MAX)};{plain(body, BODY_MAX)}{BEL}"


def tmux_passthrough(sequence: str) -> str:
    """`sequence` for tmux to hand to the outer terminal (needs `allow-passthrough on`)."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def for_terminal(sequence: str, env: Mapping[str, str] | None = None) -> str:
    """What to write for an OSC sequence: itself, and inside tmux its passthrough form too."""
    return sequence + tmux_passthrough(sequence) if in_tmux(env) else sequence

"""The workbench starts without the cyclic garbage collector.

Starting allocates a few hundred thousand objects (Textual, rigtui, the first frame), nearly
all of them kept for the whole run; with the collector on, the interpreter scans them over
and over (a full collection alone is ~40 ms of a ~300 ms start). So the collector is paused
from the command line's start to the first frame, and then everything alive is frozen
(`gc.freeze`: kept out of every later collection, which also shortens the full collections
during a session) before it runs again. What the start left as cyclic garbage (a few thousand
objects, measured) stays allocated: a one-off cost, not a leak that grows."""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop the collector until `first_painted` (or `resume`); does nothing if it is off."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def first_painted() -> None:
    """The first frame is on screen: keep what the start made out of collections, resume."""
    if _paused:
        gc.freeze()
        resume()


def resume() -> None:
    """Turn the collector back on if `pause` turned it off (a start that failed, an exit)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()

"""What the workbench does before its first frame, counted: the start bench/startup.py times
(`rigtui PROJECT` on a 2,000-file project in a 120x40 pseudo-terminal, beside a minimal
Textual app), with Textual's passes counted from the app's start to the first paint.

    python bench/first_frame.py [--files 2000]

Counts do not move with the machine's load the way times do: a pass removed shows here on a
busy machine. Counted: screen layouts, compositor refreshes (each draws what changed),
widget drawings (render_lines calls), style applications (a widget, or one of its parts),
widgets mounted, and Python function calls (cProfile's count: the work itself). The counting
slows the start down; bench/startup.py gives the times.

Counted on the development machine (Textual 8.2.8), before the first-frame work (commit
4f7a22f) and after it; Textual sends the first screen three resizes to the size it has and
styles every widget twice, the second time as the screen first resumes:

                            before   after   minimal
    layouts                      5       2         3
    compositor refreshes         6       3         4
    widget drawings             68      45         6
    style applications         100      46        12
    widgets mounted             20      17         5
    function calls (k)         395     284        49

With the header drawn by one widget (rigtui.ui.title_bar) and the parsed CSS kept between
runs (rigtui.ui.css_cache): widget drawings 36, style applications 43, widgets mounted 14,
function calls 219k (282k before; the same layouts and refreshes).

What is left is Textual's own work for the widgets on screen: their CSS read (~25 ms), each
styled once with its parts (a Tree has 11, an Input 4), the first frame drawn (the file tree
~8 ms of it) and drawn again once each widget has its size (Textual's virtual size).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import (  # noqa: E402  (bench/startup.py: the same start, timed)
    MINIMAL_APP,
    RIGTUI_APP,
    compile_rigtui,
    make_project,
    time_to_first_paint,
)

COUNTERS = """
import cProfile as _cProfile, json as _json, os as _os

_COUNTS = {}
_PROFILE = _cProfile.Profile()


def _counted(cls, name, label):
    original = getattr(cls, name)

    def counted(self, *args, **kwargs):
        _COUNTS[label] = _COUNTS.get(label, 0) + 1
        return original(self, *args, **kwargs)

    setattr(cls, name, counted)


def _count_passes():
    from textual.app import App
    from textual.css.stylesheet import Stylesheet
    from textual.dom import DOMNode
    from textual.screen import Screen
    from textual.widget import Widget

    _counted(Screen, "_refresh_layout", "layouts")
    _counted(Screen, "_compositor_refresh", "compositor refreshes")
    _counted(Widget, "render_lines", "widget drawings")
    _counted(Stylesheet, "apply", "style applications")
    _counted(DOMNode, "_post_mount", "widgets mounted")
    run = App._process_messages

    async def process_messages(self, *args, **kwargs):
        _PROFILE.enable()  # the app's start: its message loop
        return await run(self, *args, **kwargs)

    App._process_messages = process_messages


def _painted():
    _PROFILE.disable()
    calls = sum(entry.callcount for entry in _PROFILE.getstats())
    with open(_os.environ["RIGTUI_PASS_COUNTS"], "w") as fh:
        _json.dump({**_COUNTS, "function calls (k)": round(calls / 1000)}, fh)


_count_passes()
"""

ROWS = (
    "layouts",
    "compositor refreshes",
    "widget drawings",
    "style applications",
    "widgets mounted",
    "function calls (k)",
)


def counted(app: str, line: str) -> str:
    """One of bench/startup.py's apps, writing its counts as it reaches `line`: its first
    paint."""
    (found,) = [text for text in app.splitlines() if text.strip() == line]
    indent = found[: len(found) - len(found.lstrip())]
    return COUNTERS + app.replace(found, f"{indent}_painted()\n{found}", 1)


def counts(argv: list[str], env: dict[str, str], out: Path) -> dict[str, int]:
    time_to_first_paint(argv, {**env, "RIGTUI_PASS_COUNTS": str(out)})
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    compile_rigtui()
    rigtui = counted(RIGTUI_APP, "self.first = time.time(), time.process_time()")
    minimal = counted(MINIMAL_APP, 'with open(os.environ["RIGTUI_FIRST_PAINT_FILE"], "w") as fh:')
    with tempfile.TemporaryDirectory() as tmp:
        project, home, out = Path(tmp) / "project", Path(tmp) / "home", Path(tmp) / "counts"
        make_project(project, args.files)
        env = {**os.environ, "RIGTUI_HOME": str(home)}
        env.pop("COLUMNS", None)
        env.pop("LINES", None)
        time_to_first_paint([sys.executable, "-c", RIGTUI_APP, str(project)], env)  # the store
        ours = counts([sys.executable, "-c", rigtui, str(project)], env, out)
        floor = counts([sys.executable, "-c", minimal], env, out)
    print(
        f"project: {args.files} files, 120x40 pseudo-terminal; the app's start to its first paint"
    )
    print(f"{'':24s} {'rigtui':>8s} {'minimal':>8s}")
    for row in ROWS:
        print(f"{row:24s} {ours.get(row, 0):8d} {floor.get(row, 0):8d}")


if __name__ == "__main__":
    main()

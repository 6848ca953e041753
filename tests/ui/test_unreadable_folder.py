"""A project with a folder the user cannot read: the workbench starts, watches and indexes the
rest, and a folder that becomes unreadable while it runs leaves the index with a notice. Run
in a child process where file permissions hold (see tests/support/permissions.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.permissions import run_python

PROBE = """
import asyncio, os, sys
from pathlib import Path
from rigtui.config import load_settings
from rigtui.protocol import Notice
from rigtui.ui.app import RigtuiApp
from rigtui.ui.router import SessionEvent
from tests.support.pilot import settle_until
from tests.support.recorder import EventRecorder

async def main() -> None:
    root = Path(sys.argv[1])
    settings = load_settings(root)
    settings.sandbox.kind = "local"
    app = RigtuiApp(root, settings)
    heard = []

    def hook(message):  # every event the app is given, from the start: nothing is missed
        if isinstance(message, SessionEvent):
            heard.append(message.event)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        runtime = (await app.opened_session()).runtime
        await runtime.started.wait()
        await runtime.index_ready.wait()
        await settle_until(pilot, lambda: app.status.facts.index.endswith("up to date"))
        print("state:", app.status.facts.index)
        notice = lambda: [e.text for e in heard if isinstance(e, Notice) and "folder" in e.text]
        await settle_until(pilot, lambda: bool(notice()))
        print("at start:", notice())
        told = EventRecorder(app).next(Notice, lambda e: "later" in e.text)
        os.chmod(root / "later", 0)
        await told
        print("notice:", notice()[1:])
        print("later_function:", runtime.index.find_symbol("later_function"))
    print("closed")

asyncio.run(main())
"""


def test_the_workbench_skips_a_folder_it_cannot_read(tmp_path: Path, rigtui_home: Path) -> None:
    root = tmp_path / "project"
    for rel, text in {
        "a.py": "def hello(): pass\n",
        "locked/b.py": "def secret(): pass\n",
        "later/c.py": "def later_function(): pass\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "locked").chmod(0)
    try:
        result = run_python("-c", PROBE, str(root))
    finally:
        (root / "locked").chmod(0o755)
        (root / "later").chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines() == [
        "state: 2 files, up to date",
        "at start: ['locked: the folder cannot be read (permission denied), so its files are"
        " not indexed (check its permissions, or add it to .rigtuiignore)']",
        "notice: ['later: the folder cannot be read (permission denied), so its files are not"
        " indexed (check its permissions, or add it to .rigtuiignore)']",
        "later_function: []",
        "closed",
    ]

"""The workbench on a project whose `.rigtui.toml` asks for settings that need trust: a
one-time question showing exactly what it asks for; yes applies and remembers them, no keeps
them ignored (said in a notice) and is remembered too; untrusted checks never run on their own."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from rigtui.paths import user_config_file
from rigtui.protocol import CheckFinished, CheckQueued
from rigtui.trust import lookup
from rigtui.ui.app import RigtuiApp
from rigtui.ui.trust_screen import TrustScreen
from tests.support.pilot import settle_until
from tests.support.recorder import recorder

ASKS = (
    '[approval]\npatches = "auto-apply"\n'
    '[checks]\nmark = { command = "touch mark-ran", paths = ["*.txt"] }\n'
)


async def question(app: RigtuiApp, pilot) -> TrustScreen:
    await settle_until(pilot, lambda: isinstance(app.screen, TrustScreen))
    assert isinstance(app.screen, TrustScreen)
    return app.screen


async def test_yes_applies_what_the_file_asks_for_and_is_remembered(
    make_app, demo_project: Path
) -> None:
    (demo_project / ".rigtui.toml").write_text(ASKS)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await question(app, pilot)
        assert app.session is None  # asked before the session starts
        shown = str(screen.query_one("#asks Static", Static).render())
        assert shown.splitlines() == [
            'approval.patches = "auto-apply"',
            'checks.mark = { command = "touch mark-ran", paths = ["*.txt"] }',
        ]
        await pilot.press("y")
        await (await app.opened_session()).runtime.started.wait()
        assert app.settings.approval.patches == "auto-apply"
        assert app.session is not None and app.session.settings is app.settings
        assert app.session_required().runtime.checks is not None
        assert [c.trusted for c in app.session_required().runtime.checks.checks] == [True]
        finished = recorder(app).next(CheckFinished)
        (demo_project / "notes.txt").write_text("a change\n")
        assert (await finished).check == "mark"  # type: ignore[attr-defined]
        assert (demo_project / "mark-ran").exists()
    entry = lookup(demo_project)
    assert entry is not None and entry.trusted

    again = make_app()  # the same file: not asked again
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not isinstance(again.screen, TrustScreen)
        assert again.settings.approval.patches == "auto-apply"


async def test_no_keeps_them_ignored_says_so_and_is_not_asked_again(
    make_app, demo_project: Path
) -> None:
    (demo_project / ".rigtui.toml").write_text(ASKS)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await question(app, pilot)
        await pilot.press("n")
        await (await app.opened_session()).runtime.started.wait()
        assert app.settings.approval.patches == "review"
        (notice,) = [n.message for n in app._notifications if "asks for" in n.message]
        assert 'approval.patches = "auto-apply"' in notice
        assert "this project is not trusted (run `rigtui trust" in notice
        assert str(app.query_one("#status", Static).render()).endswith(" │ untrusted")
    entry = lookup(demo_project)
    assert entry is not None and not entry.trusted

    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not isinstance(again.screen, TrustScreen)
        assert any("asks for" in n.message for n in again._notifications)

    (demo_project / ".rigtui.toml").write_text(ASKS + "# changed\n")
    changed = make_app()  # a new version of the file: asked again
    async with changed.run_test(size=(120, 40)) as pilot:
        await question(changed, pilot)


async def test_an_untrusted_projects_checks_do_not_follow_changes(
    make_app, demo_project: Path
) -> None:
    user_config_file().write_text('[checks]\nmine = { command = "touch mine-ran", paths = ["*.txt"] }\n')  # fmt: skip
    (demo_project / ".rigtui.toml").write_text(
        '[checks]\ntheirs = { command = "touch theirs-ran", paths = ["*.txt"] }\n'
    )
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await question(app, pilot)
        await pilot.press("n")
        await (await app.opened_session()).runtime.started.wait()
        seen = recorder(app)
        finished = seen.next(CheckFinished)
        (demo_project / "notes.txt").write_text("a change\n")
        # A change queues every check it triggers at once: when the trusted one has finished,
        # the untrusted one would have been queued too.
        assert (await finished).check == "mine"  # type: ignore[attr-defined]
        assert [e.check for e in seen.of(CheckQueued)] == ["mine"]
        assert not (demo_project / "theirs-ran").exists()

        ran = recorder(app).next(CheckFinished, lambda e: e.check == "theirs")
        await pilot.press("ctrl+r")  # the user asks: it runs
        await ran
        assert (demo_project / "theirs-ran").exists()

"""The collector is off while the workbench starts and back on from its first frame."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from rigtui.ui import gc_pause


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    yield
    gc_pause.resume()
    gc.unfreeze()
    gc.enable()


def test_paused_until_the_first_frame_then_frozen_and_on() -> None:
    gc_pause.pause()
    assert not gc.isenabled()
    gc_pause.first_painted()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # what the start made is out of later collections
    gc_pause.first_painted()  # a second frame changes nothing
    assert gc.isenabled()


def test_a_failed_start_turns_it_back_on_without_freezing() -> None:
    gc.unfreeze()
    gc_pause.pause()
    gc_pause.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    gc_pause.pause()
    gc_pause.first_painted()
    gc_pause.resume()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_start_refused_before_the_terminal_turns_it_back_on(demo_project, capsys) -> None:
    from rigtui.cli import main

    assert main([str(demo_project), "--theme", "no-such-theme"]) == 2
    assert "unknown theme" in capsys.readouterr().err
    assert gc.isenabled()


async def test_the_workbench_turns_it_back_on_once_painted(make_app) -> None:
    gc_pause.pause()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await (await app.opened_session()).runtime.index_ready.wait()  # the start done
        await pilot.pause()
        assert gc.isenabled()

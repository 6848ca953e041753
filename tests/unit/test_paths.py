"""rigtui's user folders on Linux are read from the XDG variables directly: they must be
where platformdirs (used on other platforms) puts them."""

from __future__ import annotations

import sys

import platformdirs
import pytest

from rigtui.paths import user_dir

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the XDG reading is Linux's")


@pytest.mark.parametrize("kind", ["data", "config", "cache"])
@pytest.mark.parametrize("xdg", [None, "", "  ", "/elsewhere/base"])
def test_user_dirs_match_platformdirs(
    kind: str, xdg: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = {"data": "XDG_DATA_HOME", "config": "XDG_CONFIG_HOME", "cache": "XDG_CACHE_HOME"}
    if xdg is None:
        monkeypatch.delenv(variable[kind], raising=False)
    else:
        monkeypatch.setenv(variable[kind], xdg)
    expected = getattr(platformdirs, f"user_{kind}_dir")("rigtui")
    assert str(user_dir(kind)) == expected

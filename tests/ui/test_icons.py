"""The file tree's icons: `[ui] icons = "ascii"` (and "auto" where the terminal is not UTF-8)
gives one-column ASCII icons, since emoji widths break the alignment over SSH and in tmux."""

from __future__ import annotations

import pytest
from textual.widgets import DirectoryTree

from rigtui.config import load_settings
from rigtui.errors import SettingsError
from rigtui.ui.file_tree import ProjectTree, ascii_icons, utf8_terminal
from tests.support.pilot import settle_until


@pytest.mark.parametrize(
    ("env", "utf8"),
    [
        ({"LANG": "C.UTF-8"}, True),
        ({"LANG": "en_GB.utf8"}, True),
        ({"LC_ALL": "de_DE.UTF-8@euro", "LANG": "C"}, True),
        ({"LC_ALL": "POSIX", "LANG": "en_US.UTF-8"}, False),  # LC_ALL wins
        ({"LC_CTYPE": "en_US.ISO-8859-1"}, False),
        ({}, False),
        ({"LANG": "C.UTF-8", "TERM": "linux"}, False),  # the Linux console has no emoji
    ],
)
def test_auto_means_ascii_unless_the_locale_is_utf8(env: dict[str, str], utf8: bool) -> None:
    assert utf8_terminal(env) is utf8
    assert ascii_icons("auto", env) is (not utf8)
    assert ascii_icons("ascii", {"LANG": "C.UTF-8"}) and not ascii_icons("emoji", {})


def test_a_wrong_icons_value_is_named_with_what_is_allowed(tmp_path) -> None:
    (tmp_path / ".rigtui.toml").write_text('[ui]\nicons = "nerdfont"\n')
    with pytest.raises(SettingsError, match="icons"):
        load_settings(tmp_path)


@pytest.mark.parametrize("icons", ["ascii", "emoji"])
async def test_the_tree_draws_the_icons_asked_for(make_app, icons: str) -> None:
    app = make_app()
    app.settings.ui.icons = icons
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(ProjectTree)
        await settle_until(pilot, lambda: len(tree.root.children) > 0)
        await pilot.pause()
        nodes = list(tree.root.children)
        labels = [str(tree.render_label(n, tree.rich_style, tree.rich_style)) for n in nodes]
        folders = [label for label, n in zip(labels, nodes, strict=True) if n.allow_expand]
        files = [label for label, n in zip(labels, nodes, strict=True) if not n.allow_expand]
        if icons == "ascii":
            assert all(label.startswith("+ ") for label in folders)
            assert all(label.startswith("  ") for label in files)
            assert all(label.isascii() for label in labels)  # demo names are ASCII
        else:
            assert all(label.startswith(DirectoryTree.ICON_NODE) for label in folders)
            assert all(label.startswith(DirectoryTree.ICON_FILE) for label in files)

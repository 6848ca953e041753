"""The file tree keeps the lines it drew across a resize (Textual's Tree drops them on every
one) and draws them again at a new width."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.geometry import Region

from rigtui.ui.file_tree import ProjectTree
from tests.support.pilot import settle_until


class TreeOnly(App[None]):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def compose(self) -> ComposeResult:
        yield ProjectTree(self.root, "ascii")


async def test_a_resize_draws_the_tree_at_its_new_width(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "README.md").write_text("hello\n")
    app = TreeOnly(tmp_path)
    async with app.run_test(size=(60, 10)) as pilot:
        tree = app.query_one(ProjectTree)
        await settle_until(pilot, lambda: len(tree.root.children) == 2)
        await pilot.pause()
        wide = [tree.render_line(y) for y in range(3)]
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        narrow = [tree.render_line(y) for y in range(3)]
        assert [line.cell_length for line in wide] == [60] * 3
        assert [line.cell_length for line in narrow] == [40] * 3
        assert [line.text.rstrip() for line in narrow] == [line.text.rstrip() for line in wide]
        assert "+ src" in narrow[1].text and "README.md" in narrow[2].text
        await pilot.resize_terminal(60, 10)  # back: the lines drawn at 60 columns again
        await pilot.pause()
        assert [tree.render_line(y).cell_length for y in range(3)] == [60] * 3


async def test_the_tree_draws_in_the_style_it_has_at_the_time(tmp_path: Path) -> None:
    """Its style, worked out once per drawing, follows the focus (a tint when focused)."""
    (tmp_path / "README.md").write_text("hello\n")
    app = TreeOnly(tmp_path)
    async with app.run_test(size=(40, 6)) as pilot:
        tree = app.query_one(ProjectTree)
        await settle_until(pilot, lambda: len(tree.root.children) == 1)
        backgrounds = []
        for focused in (True, False):
            app.set_focus(tree if focused else None)
            await pilot.pause()
            (blank,) = tree.render_lines(Region(0, 4, 40, 1))  # under the two names
            assert {segment.style.bgcolor for segment in blank} == {tree.rich_style.bgcolor}
            backgrounds.append(tree.rich_style.bgcolor)
        assert backgrounds[0] != backgrounds[1]

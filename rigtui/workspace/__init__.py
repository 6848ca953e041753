"""Isolated workspaces: where an isolated task works, away from the live project.

    ws = create(project, home)        # a git worktree at HEAD plus the uncommitted state, or a
                                      # copy (reflinked where the file system can); base recorded
    ... the task edits ws.root, its commands write there ...
    changes = collect(ws)             # what it changed against the snapshot it started from
    remove(ws)                        # the worktree or copies go

`rebase(project, changes)` turns those changes into one unified diff against the project as it
is now: three-way (rigtui.edits.merge) where the project moved on meanwhile, a conflicting
region kept as a visible conflict (markers), never applied silently."""

from rigtui.workspace.rebase import Rebased, rebase
from rigtui.workspace.snapshot import FileChange, Workspace, collect, create, remove

__all__ = ["FileChange", "Rebased", "Workspace", "collect", "create", "rebase", "remove"]

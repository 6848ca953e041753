"""Ops: plain requests that flow down from a front end into the session (DESIGN.md rule 2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    thread_id: str


@dataclass(frozen=True)
class SendMessage(Op):
    text: str


@dataclass(frozen=True)
class Cancel(Op):
    pass


@dataclass(frozen=True)
class RenameThread(Op):
    title: str


@dataclass(frozen=True)
class DeleteThread(Op):
    pass

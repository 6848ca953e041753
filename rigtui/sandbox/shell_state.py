"""What one analysis found, and where a command may be (folders, variables) at one point of
it. A folder is only ever added to the possible ones, never swapped (a `cd` can fail), except
on the right of `&&`, where it succeeded: `Outcome` keeps the state after success and after
failure apart for that."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from rigtui.sandbox.shell_words import Value

MAX_VALUES = 16  # values one variable may hold before it counts as unknown


@dataclass
class Findings:
    outside: list[str] = field(default_factory=list)  # paths as written, outside the project
    person: list[str] = field(default_factory=list)  # why only a person can approve it
    commands: list[list[str]] = field(default_factory=list)  # argv of every command run
    unreadable: bool = False  # some command's words are not known (no prefix can allow it)

    def add_person(self, reason: str) -> None:
        if reason not in self.person:
            self.person.append(reason)

    def add_outside(self, path: str) -> None:
        if path not in self.outside:
            self.outside.append(path)


@dataclass(frozen=True)
class State:
    """Where the command may be and what its variables may hold at one point."""

    cwds: frozenset[str]
    variables: Mapping[str, tuple[Value, ...]]
    seen: frozenset[str]  # every folder it may have been in (where popd can go back to)

    def merge(self, other: State) -> State:
        variables = {}
        for name in self.variables.keys() & other.variables.keys():
            values = tuple(dict.fromkeys(self.variables[name] + other.variables[name]))
            if len(values) <= MAX_VALUES:
                variables[name] = values
        return State(self.cwds | other.cwds, variables, self.seen | other.seen)

    def set(self, name: str, values: tuple[Value, ...] | None) -> State:
        variables = dict(self.variables)
        variables.pop(name, None)
        if values is not None and len(values) <= MAX_VALUES:
            variables[name] = values
        return replace(self, variables=variables)


@dataclass(frozen=True)
class Outcome:
    ok: State  # after the statement succeeded
    failed: State  # after it failed

    @property
    def after(self) -> State:
        return self.ok if self.ok == self.failed else self.ok.merge(self.failed)

    @staticmethod
    def same(state: State) -> Outcome:
        return Outcome(state, state)

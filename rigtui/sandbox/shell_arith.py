"""Arithmetic, as far as approval cares: bash evaluates a variable's value in arithmetic as an
expression (`x='a[$(cmd)]'; echo $((x))` runs cmd; dash does not, but `/bin/sh` is bash on
some systems), so a variable read there must hold a known integer. Variables it assigns hold
integers afterwards."""

from __future__ import annotations

import re
from collections.abc import Mapping

import tree_sitter as ts

from rigtui.sandbox.shell_tree import quoted, substitution_ids, text_of, walk
from rigtui.sandbox.shell_words import Value

_NUMBERS = {"?", "#", "$", "!"}  # special parameters that are numbers
_COMPARISONS = ("==", "!=", "<=", ">=")


def read_reason(name: str, where: str, variables: Mapping[str, tuple[Value, ...]]) -> str:
    """Why reading `name` in the arithmetic `where` needs a person ('' when it holds a known
    integer)."""
    values = variables.get(name)
    if name in _NUMBERS or (
        values is not None and all(re.fullmatch(r"-?\d+", v.text) for v in values)
    ):
        return ""
    return (
        f"{quoted(name)} in arithmetic {quoted(where)}: bash evaluates the variable's value as an"
        " expression, which can run commands"
    )


def arithmetic(
    node: ts.Node, variables: Mapping[str, tuple[Value, ...]], skip: set[int] | None = None
) -> tuple[set[str], list[str]]:
    """(the variables `node` assigns, why it needs a person) for an arithmetic node, without
    the subtrees in `skip` (a loop body) and substitutions (those are reported anyway)."""
    where = text_of(node)
    assigned: set[str] = set()
    reasons: list[str] = []
    for child in walk(node, (skip or set()) | substitution_ids(node)):
        parent = child.parent
        if child.type in ("simple_expansion", "expansion"):
            names = [c for c in child.named_children
                     if c.type in ("variable_name", "special_variable_name")]  # fmt: skip
            if len(child.named_children) != 1 or not names:
                reasons.append(f"{quoted(text_of(child))} in arithmetic cannot be read")
            elif reason := read_reason(text_of(names[0]), where, variables):
                reasons.append(reason)
            continue
        if child.type not in ("variable_name", "word") or parent is None:
            continue
        name = text_of(child)
        if parent.type in ("simple_expansion", "expansion") or not re.fullmatch(
            r"[A-Za-z_]\w*", name
        ):
            continue
        operator = parent.child_by_field_name("operator")
        op = text_of(operator) if operator is not None else ""
        if parent.type == "variable_assignment" and parent.child_by_field_name("name") == child:
            assigned.add(name)
            continue
        if parent.type == "binary_expression" and parent.child_by_field_name("left") == child:
            if op.endswith("=") and op not in _COMPARISONS:
                assigned.add(name)
                if op == "=":
                    continue
        if parent.type in ("postfix_expression", "unary_expression") and any(
            c.type in ("++", "--") for c in parent.children
        ):
            assigned.add(name)
        if reason := read_reason(name, where, variables):
            reasons.append(reason)
    return assigned, reasons

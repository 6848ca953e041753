"""The protocol package loads its event modules on first use, and stays complete: every name
it lists resolves, and a stored event of any type reads back as its class in a process that
has touched no event yet."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import rigtui.protocol as protocol
from rigtui.protocol.base import _REGISTRY, Event


def _fresh_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_importing_the_package_loads_no_event_module() -> None:
    code = "import sys, rigtui.protocol\nprint(sorted(m for m in sys.modules if m.startswith('rigtui.protocol.')))"
    assert _fresh_python(code) == "[]"


def test_a_name_loads_only_the_module_that_defines_it() -> None:
    code = (
        "import sys\nfrom rigtui.protocol import Notice\n"
        "print(Notice.__module__, 'rigtui.protocol.tools' in sys.modules)"
    )
    assert _fresh_python(code) == "rigtui.protocol.threads False"


def test_the_type_checkers_imports_and_the_lazy_table_agree() -> None:
    tree = ast.parse(Path(protocol.__file__).read_text())
    checked: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                checked[imp.module.rsplit(".", 1)[1]] = {a.name for a in imp.names}
    assert checked == {module: set(names) for module, names in protocol._MODULES.items()}


def test_every_listed_name_resolves_to_its_definition() -> None:
    for name in protocol.__all__:
        value = getattr(protocol, name)
        module = sys.modules[f"rigtui.protocol.{protocol._HOME[name]}"]
        assert getattr(module, name) is value
    assert set(protocol.__all__) <= set(dir(protocol))


def test_every_event_module_is_listed() -> None:
    protocol.load_all()
    listed = set(protocol.__all__)
    for cls in _REGISTRY.values():
        assert cls.__name__ in listed


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        protocol.NoSuchEvent  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchEvent" in str(exc)
    else:
        raise AssertionError("no error")


def test_any_stored_event_reads_back_in_a_process_that_touched_none() -> None:
    protocol.load_all()
    stored = []
    for cls in _REGISTRY.values():
        fields = {
            f.name: None for f in dataclasses.fields(cls) if f.name not in ("thread_id", "at")
        }
        stored.append({"type": cls.__name__, "thread_id": "t", "at": 1.0, **fields})
    code = (
        "import json, sys\nfrom rigtui.protocol.base import from_dict\n"
        f"events = [from_dict(d) for d in json.loads({json.dumps(json.dumps(stored))})]\n"
        "print(json.dumps([type(e).__name__ for e in events]))"
    )
    assert json.loads(_fresh_python(code)) == [d["type"] for d in stored]
    assert protocol.Event is Event

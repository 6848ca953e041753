"""House rules that code review alone would miss: the core never imports Textual, and every
runtime dependency is under a permissive licence."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import rigtui

PACKAGE = Path(rigtui.__file__).parent


def _core_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts[:1]]


def test_no_core_module_imports_textual() -> None:
    offenders = []
    for path in _core_modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "textual"]
    assert offenders == []


def test_importing_the_core_does_not_load_textual() -> None:
    modules = sorted(
        ".".join(("rigtui", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for p in _core_modules()
        if p.name != "__main__.py"
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


GPL = re.compile(r"\b(A|L)?GPL|General Public License", re.IGNORECASE)


def _requirements(dist: metadata.Distribution) -> list[str]:
    names = []
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        names.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
    return names


def _licence_text(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    parts = [meta.get("License-Expression") or "", meta.get("License") or ""]
    parts += [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return " | ".join(p.splitlines()[0] if p else "" for p in parts)


def test_runtime_dependencies_are_permissively_licensed() -> None:
    seen: dict[str, str] = {}
    queue = _requirements(metadata.distribution("rigtui"))
    while queue:
        name = queue.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional platform marker dependency not installed here
        seen[key] = _licence_text(dist)
        queue.extend(_requirements(dist))
    assert "textual" in seen and "openai" in seen
    copyleft = {name: text for name, text in seen.items() if GPL.search(text)}
    assert copyleft == {}

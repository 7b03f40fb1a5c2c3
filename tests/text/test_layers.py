"""The text utilities sit below every layer: ``text/`` imports nothing of defectio but the
errors, and the coders read text through it, never through ``ingest/``."""

from __future__ import annotations

import ast
from pathlib import Path

import defectio.coding
import defectio.text


def _defectio_imports(root: Path) -> set[str]:
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(f"{path.name}: {node.module}")
            elif isinstance(node, ast.Import):
                found.update(f"{path.name}: {alias.name}" for alias in node.names)
    return {item for item in found if item.split(": ")[1].startswith("defectio")}


def test_text_imports_nothing_of_defectio_but_the_errors() -> None:
    found = _defectio_imports(Path(defectio.text.__file__).parent)
    assert {item for item in found if not item.endswith(": defectio.errors")} == set()


def test_the_coders_do_not_import_ingest() -> None:
    found = _defectio_imports(Path(defectio.coding.__file__).parent)
    assert {item for item in found if ": defectio.ingest" in item} == set()

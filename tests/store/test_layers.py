"""The store sits below the core: it imports no core module but the model, the codebook and
the errors (the joins of store and core live in ``workflow.py`` and ``service.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

import defectio.store

ALLOWED = {"defectio.model", "defectio.codebook", "defectio.errors"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_store_imports_only_the_model_codebook_and_errors_of_defectio() -> None:
    root = Path(defectio.store.__file__).parent
    outside = {
        f"{path.relative_to(root)}: {module}"
        for path in root.rglob("*.py")
        for module in _imports(path)
        if module.startswith("defectio")
        and not module.startswith("defectio.store")
        and module not in ALLOWED
    }
    assert outside == set()

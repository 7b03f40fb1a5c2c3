"""The text utilities sit below every layer: ``text/`` imports nothing of defectio but the
errors, and the coders read text through it, never through ``ingest/``."""

from __future__ import annotations

from pathlib import Path

import defectio.coding
import defectio.text
from tests._imports import module_imports


def _defectio_imports(root: Path) -> set[str]:
    return {
        f"{path.name}: {module}"
        for path in root.rglob("*.py")
        for module in module_imports(path)
        if module.startswith("defectio")
    }


def test_text_imports_nothing_of_defectio_but_the_errors() -> None:
    found = _defectio_imports(Path(defectio.text.__file__).parent)
    assert {item for item in found if not item.endswith(": defectio.errors")} == set()


def test_the_coders_do_not_import_ingest() -> None:
    found = _defectio_imports(Path(defectio.coding.__file__).parent)
    assert {item for item in found if ": defectio.ingest" in item} == set()

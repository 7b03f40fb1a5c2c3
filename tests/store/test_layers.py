"""The store sits below the core: it imports no core module but the model, the codebook and
the errors (the joins of store and core live in ``workflow.py`` and ``service.py``)."""

from __future__ import annotations

from pathlib import Path

import defectio.store
from tests._imports import module_imports

ALLOWED = {"defectio.model", "defectio.codebook", "defectio.errors"}


def test_the_store_imports_only_the_model_codebook_and_errors_of_defectio() -> None:
    root = Path(defectio.store.__file__).parent
    outside = {
        f"{path.relative_to(root)}: {module}"
        for path in root.rglob("*.py")
        for module in module_imports(path)
        if module.startswith("defectio")
        and not module.startswith("defectio.store")
        and module not in ALLOWED
    }
    assert outside == set()

"""defectio: turn the testimony of people who left violent extremist groups into evidence.

The public API; names are re-exported here only.
"""

from __future__ import annotations

__version__ = "0.1.0"

from defectio.codebook import Code, Codebook, Family, load_codebook
from defectio.counter import counter
from defectio.model import (
    Annotation,
    AnnotationStatus,
    Case,
    Corpus,
    Gender,
    Identity,
    PartialDate,
    Passage,
    Region,
    Role,
    Source,
    StatusAfter,
    Voice,
)
from defectio.reference import Reference, load_reference
from defectio.store.repo import Store

__all__ = [
    "Annotation",
    "AnnotationStatus",
    "Case",
    "Code",
    "Codebook",
    "Corpus",
    "Family",
    "Gender",
    "Identity",
    "PartialDate",
    "Passage",
    "Reference",
    "Region",
    "Role",
    "Source",
    "StatusAfter",
    "Store",
    "Voice",
    "__version__",
    "counter",
    "load_codebook",
    "load_reference",
]

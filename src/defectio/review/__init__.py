"""Review of coding: how far people and the machine agree, and where they do not.

Pure functions over a ``Corpus`` and a ``Codebook``; the command line and the web app read the
store and pass what they read in.
"""

from __future__ import annotations

from defectio.review.agreement import (
    MACHINE,
    AgreementReport,
    CodeAgreement,
    Disagreement,
    PairAgreement,
    agreement,
    cohen_kappa,
    judgements,
    krippendorff_alpha_nominal,
)

__all__ = [
    "MACHINE",
    "AgreementReport",
    "CodeAgreement",
    "Disagreement",
    "PairAgreement",
    "agreement",
    "cohen_kappa",
    "judgements",
    "krippendorff_alpha_nominal",
]

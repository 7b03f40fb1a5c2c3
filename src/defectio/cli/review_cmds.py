"""Commands for reviewing the coding: agreement between people and the machine."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from defectio.cli.app import console, fail_cleanly, open_store
from defectio.review.agreement import AgreementReport
from defectio.service import store_agreement

JSON_ITEMS = 50
GUIDE = (
    "Reading: kappa and alpha run from 1 (full agreement) through 0 (no better than chance); "
    "0.8 or more is good, 0.667-0.8 allows tentative conclusions, below 0.667 do not rely on "
    "the coding (Krippendorff)."
)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@fail_cleanly
def agreement(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help=f"Print one JSON object (the first {JSON_ITEMS} disagreements)."
        ),
    ] = False,
) -> None:
    """How far the coders agree. Each person who coded is one coder and the latest machine run
    another; a unit is a passage x code. Cohen's kappa for each pair of coders (over the units
    both judged), Krippendorff's alpha per code (nominal) and overall, and the units where
    coders disagree and nobody has settled it yet. 1 is full agreement, 0 chance; 0.8 or more
    is good, 0.667-0.8 tentative."""
    with open_store(create=False) as store:
        report = store_agreement(store)
    if as_json:
        print(json.dumps(report.to_dict(limit=JSON_ITEMS), ensure_ascii=False))
        return
    _print(report)


def _print(report: AgreementReport) -> None:
    if len(report.coders) < 2:
        who = f"only one coder ({escape(report.coders[0])})" if report.coders else "no coders yet"
        console.print(
            f"Nothing to compare: {who}. Agreement needs two coders on the same passages: "
            "import or review codes and run `defectio code`."
        )
        return
    console.print(f"coders: {escape(', '.join(report.coders))}", highlight=False)
    pairs = Table(title="Cohen's kappa, each pair of coders", show_edge=False)
    for col, justify in (
        ("coder a", "left"),
        ("coder b", "left"),
        ("units", "right"),
        ("observed", "right"),
        ("kappa", "right"),
    ):
        pairs.add_column(col, justify=justify)  # type: ignore[arg-type]
    for p in report.pairs:
        pairs.add_row(
            escape(p.coder_a), escape(p.coder_b), str(p.n), _fmt(p.observed), _fmt(p.kappa)
        )
    console.print(pairs)
    codes = Table(title="Krippendorff's alpha (nominal), each code", show_edge=False)
    for col, justify in (
        ("code", "left"),
        ("label", "left"),
        ("alpha", "right"),
        ("units", "right"),
        ("coders", "right"),
    ):
        codes.add_column(col, justify=justify)  # type: ignore[arg-type]
    for c in report.codes:
        codes.add_row(c.code, escape(c.label), _fmt(c.alpha), str(c.n_units), str(c.n_coders))
    console.print(codes)
    console.print(f"alpha over all codes: {_fmt(report.alpha_overall)}")
    console.print(f"open disagreements: {len(report.disagreements)}")
    console.print(GUIDE, highlight=False)

"""The first analyst brief: who left, when, and which narratives their testimony carries.

Every number is computed from the corpus; the HTML is one self-contained file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape

from defectio.analysis.counts import Basis, case_counts, code_counts
from defectio.codebook import Codebook
from defectio.model import Corpus
from defectio.report.charts import column_chart, horizontal_bars


def brief_context(
    corpus: Corpus, codebook: Codebook, *, coder: str | None = None, title: str | None = None
) -> dict[str, Any]:
    """Everything the brief shows, computed from the corpus (pure; no I/O)."""
    counts = case_counts(corpus.cases)
    combined = code_counts(corpus, codebook, Basis.COMBINED)
    people = {c.code: c for c in code_counts(corpus, codebook, Basis.PEOPLE)}
    machine = {c.code: c for c in code_counts(corpus, codebook, Basis.MACHINE)}
    n = counts["cases"]
    rows: list[dict[str, Any]] = [
        {
            "code": c.code,
            "label": c.label,
            "family": c.family,
            "cases": c.cases,
            "share": c.share(n),
            "people": people[c.code].cases,
            "machine": machine[c.code].cases,
            "unreviewed": c.unreviewed_cases,
        }
        for c in combined
    ]
    exit_rows = sorted((r for r in rows if r["family"] == "exit"), key=lambda r: -r["cases"])
    families = {f.value: label for f, label in codebook.families.items()}
    chart_rows = sorted(rows, key=lambda r: -r["cases"])
    has_machine = any(r["machine"] for r in rows)
    has_people = any(r["people"] for r in rows)
    prevalence_svg = horizontal_bars(
        [r["label"] for r in chart_rows],
        [r["people"] if has_people else r["cases"] for r in chart_rows],
        secondary=[r["machine"] for r in chart_rows] if has_machine and has_people else None,
        legend=("coded by people", f"machine ({coder})") if has_machine and has_people else None,
        title="Cases carrying each code",
        xlabel="cases",
    )
    years = counts["by_year_left"]
    timeline_svg = column_chart(
        list(years), list(years.values()), title="Cases by year of leaving", ylabel="cases"
    )
    return {
        "title": title or f"Why they left: {n} cases coded with {codebook.name}",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "codebook": codebook,
        "families": families,
        "coder": coder,
        "counts": counts,
        "n_passages": len(corpus.passages),
        "rows": rows,
        "exit_rows": exit_rows,
        "unreviewed_total": sum(r["unreviewed"] for r in rows),
        "prevalence_svg": prevalence_svg,
        "timeline_svg": timeline_svg,
    }


def render_html(context: dict[str, Any]) -> str:
    env = Environment(autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    source = (resources.files("defectio") / "report/templates/brief.html").read_text("utf-8")
    return env.from_string(source).render(**context)

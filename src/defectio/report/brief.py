"""The analyst brief: who left, when, why, in their own words, and what to do about it.

``brief_context`` computes everything the brief shows from the corpus and codebook (pure; no
I/O); ``defectio.report.render`` turns it into HTML, Markdown or PDF.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from defectio.analysis.consistency import consistency
from defectio.analysis.context import context_rates
from defectio.analysis.cooccurrence import pathways
from defectio.analysis.counts import Basis, case_counts
from defectio.analysis.prevalence import prevalence
from defectio.analysis.study import compare_with_study
from defectio.analysis.tables import UNKNOWN, case_table, code_matrix, filter_corpus
from defectio.analysis.timeline import departures_by_month, departures_by_year, timeline
from defectio.codebook import Codebook, Family
from defectio.model import Corpus
from defectio.report import findings
from defectio.report.charts import demographics_chart, prevalence_chart, timeline_chart
from defectio.report.quotes import choose_quotes
from defectio.report.render import render_html

__all__ = ["BriefOptions", "brief_context", "render_html"]

GENDER_NAMES = {"m": "men", "f": "women", "x": "other", UNKNOWN: "unknown"}


@dataclass(frozen=True)
class BriefOptions:
    """What the issuer sets: title, organisation and contact line, and the selection."""

    title: str | None = None
    org: str | None = None
    contact: str | None = None
    since: int | None = None
    region: str | None = None
    coder: str | None = None
    quotes: tuple[int, ...] = (3, 2)  # quotes for the 1st, 2nd, ... narrative; last repeats


def brief_context(
    corpus: Corpus,
    codebook: Codebook,
    *,
    coder: str | None = None,
    title: str | None = None,
    options: BriefOptions | None = None,
    figures: Sequence[Mapping[str, str]] | None = None,
    foreign_fighters: Sequence[Mapping[str, str]] | None = None,
    counted: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the brief shows, computed from the corpus. ``figures`` (the 2015 study's)
    adds the comparison with the study; ``foreign_fighters`` adds the context rates;
    ``counted`` is the corpus's prevalence table when it is already at hand (unfiltered)."""
    opts = options or BriefOptions(title=title, coder=coder)
    filtered = opts.since is not None or opts.region is not None
    corpus = filter_corpus(corpus, since=opts.since, region=opts.region)
    n = len(corpus.cases)
    table = counted if counted is not None and not filtered else prevalence(corpus, codebook)
    matrix = code_matrix(corpus, codebook)
    exits = findings.narrative_rows(table, codebook, Family.EXIT)
    joins = findings.narrative_rows(table, codebook, Family.JOIN)
    stances = findings.narrative_rows(table, codebook, Family.STANCE)
    stance = findings.stance_picture(matrix.carries, codebook, stances)
    paths = pathways(corpus, codebook)
    counters = findings.counter_themes(codebook, paths, joins)
    time = _timeline(corpus)
    quotes = choose_quotes(corpus, [e["code"] for e in exits])
    for rank, row in enumerate(exits):
        limit = opts.quotes[min(rank, len(opts.quotes) - 1)]
        row["quotes"] = quotes.get(row["code"], [])[:limit]
    counts = case_counts(corpus.cases)
    cases = case_table(corpus.cases)
    countries = sorted(set(cases["country"]) - {UNKNOWN})
    women = int((cases["gender"] == "f").sum())
    period = _period(time["years"])
    unreviewed = int(table["unreviewed"].sum())
    total_counts = int(table["cases"].sum())
    study = None
    if figures and opts.since is None and opts.region is None:
        study = compare_with_study(corpus, codebook, figures).to_dict("records")
    return {
        "title": opts.title or f"Why they leave: the testimony of {n} former members",
        "subtitle": f"{codebook.name} · cases that left {period}" + _filters(opts),
        "generated": datetime.now(UTC).strftime("%d %B %Y"),
        "org": opts.org,
        "contact": opts.contact,
        "codebook": codebook,
        "families": {f.value: label for f, label in codebook.families.items()},
        "coder": opts.coder,
        "counts": counts,
        "n": n,
        "n_passages": len(corpus.passages),
        "women": women,
        "women_share": women / n if n else float("nan"),
        "countries": countries,
        "bluf": findings.bottom_line(n, exits, time["latest"], stance, period),
        "exits": exits,
        "joins": joins,
        "stance": stance,
        "counters": counters,
        "pathways": _top_pathways(paths, codebook),
        "timeline": time,
        "context": _context(corpus, foreign_fighters),
        "consistency": _consistency(corpus, codebook),
        "recommendations": findings.recommendations(
            n, exits, counters, stance, list(corpus.cases), time["projection"], unreviewed
        ),
        "study": study,
        "methods": _methods(corpus, table, unreviewed, total_counts),
        "rows": table.to_dict("records"),
        "unreviewed_total": unreviewed,
        "prevalence_svg": _prevalence_svg(table, codebook),
        "timeline_svg": _timeline_svg(time),
        "demographics_svg": _demographics_svg(cases),
        "footer_line": _footer(opts, codebook),
        "pct": findings.pct,
        "rate": findings.rate,
        "interval": findings.interval,
    }


def _footer(opts: BriefOptions, codebook: Codebook) -> str:
    issuer = opts.org or "defectio"
    contact = f" · {opts.contact}" if opts.contact else ""
    return f"Issued by {issuer}{contact} · codebook {codebook.ref} · defectio"


def _filters(opts: BriefOptions) -> str:
    parts = []
    if opts.since is not None:
        parts.append(f"left in {opts.since} or later")
    if opts.region is not None:
        parts.append(f"region {opts.region}")
    return (" · " + ", ".join(parts)) if parts else ""


def _period(years: pd.DataFrame) -> str:
    if years.empty:
        return "dates unknown"
    first, last = int(years["year"].min()), int(years["year"].max())
    return str(first) if first == last else f"{first}–{last}"


def _timeline(corpus: Corpus) -> dict[str, Any]:
    measures = timeline(corpus)
    by = {r["measure"]: r for r in measures.to_dict("records")}
    years = departures_by_year(corpus)
    latest_year = int(years["year"].max()) if not years.empty else None
    latest = by.get("latest_year_share")
    projection = by.get("projection_rest_of_year")
    return {
        "years": years,
        "months": departures_by_month(corpus),
        "latest": {**latest, "year": latest_year} if latest else None,
        "summer": by.get("summer_share"),
        "trend": by.get("trend_rate_ratio"),
        "projection": {**projection, "year": latest_year} if projection else None,
    }


def _top_pathways(paths: pd.DataFrame, codebook: Codebook) -> list[dict[str, Any]]:
    """For each join code with cases, the exit code most of its cases left for."""
    out = []
    for join, part in paths.groupby("join", sort=False):
        best = part.sort_values(["cases", "lift"], ascending=False).iloc[0]
        if best["join_cases"] and best["cases"]:
            out.append(
                {
                    "join": codebook.by_id[str(join)].label,
                    "exit": codebook.by_id[str(best["exit"])].label,
                    "join_cases": int(best["join_cases"]),
                    "cases": int(best["cases"]),
                    "share": float(best["share"]),
                    "lift": float(best["lift"]),
                }
            )
    return out


def _context(
    corpus: Corpus, foreign_fighters: Sequence[Mapping[str, str]] | None
) -> dict[str, Any] | None:
    if not foreign_fighters:
        return None
    table = context_rates(corpus, foreign_fighters)
    rated = table[table["rate"].notna()]
    return {
        "rows": rated.head(8).to_dict("records"),
        "without": table.loc[table["rate"].isna(), "country"].tolist(),
        "per": table.attrs.get("per", 1000),
    }


def _consistency(corpus: Corpus, codebook: Codebook) -> dict[str, Any]:
    table = consistency(corpus, codebook)
    least = table.sort_values("mean_similarity", kind="stable").head(3)
    return {
        "mean": table.attrs["mean_similarity"],
        "profiled": table.attrs["profiled"],
        "no_code": table.attrs["no_code"],
        "outliers": table[table["outlier"]].to_dict("records"),
        "least": least.to_dict("records"),
        "labels": {c.id: c.label for c in codebook.codes},
    }


def _methods(
    corpus: Corpus, table: pd.DataFrame, unreviewed: int, total_counts: int
) -> dict[str, Any]:
    used = {p.source_id for p in corpus.passages if p.source_id}
    used |= {s for v in corpus.case_sources.values() for s in v}
    outlets = {s.outlet for s in corpus.sources if s.source_id in used and s.outlet}
    outlets |= {c.went_public_via for c in corpus.cases if c.went_public_via}
    year_only = sum(1 for c in corpus.cases if c.left is not None and not c.left.month)
    return {
        "sources": len(used),
        "outlets": len(outlets),
        "unreviewed": unreviewed,
        "case_codes": total_counts,
        "unreviewed_share": unreviewed / total_counts if total_counts else 0.0,
        "year_only": year_only,
        "undated": sum(1 for c in corpus.cases if c.left is None),
        "basis": Basis.COMBINED.value,
    }


def prevalence_table_svg(table: pd.DataFrame, codebook: Codebook) -> str:
    """The brief's prevalence chart for a prevalence table (the web dashboard shows it)."""
    return _prevalence_svg(table, codebook)


def timeline_svg(corpus: Corpus) -> str:
    """The brief's timeline chart for a corpus."""
    return _timeline_svg(_timeline(corpus))


def _prevalence_svg(table: pd.DataFrame, codebook: Codebook) -> str:
    order = [f for f in (Family.EXIT, Family.JOIN, Family.STANCE) if codebook.family(f)]
    rows = pd.concat(
        [
            table[table["family"] == f.value].sort_values("cases", ascending=False, kind="stable")
            for f in order
        ]
    )
    n = max(int(table["n"].max()) if len(table) else 0, 1)
    return prevalence_chart(
        rows["label"].tolist(),
        rows["share"].fillna(0).tolist(),
        rows["ci_low"].fillna(0).tolist(),
        rows["ci_high"].fillna(0).tolist(),
        groups=[order.index(Family(f)) for f in rows["family"]],
        group_names=[codebook.families.get(f, f.value).split(":")[0] for f in order],
        unreviewed=(rows["unreviewed"] / n).tolist(),
        title="Cases carrying each code",
    )


def _timeline_svg(time: dict[str, Any]) -> str:
    years, months, proj = time["years"], time["months"], time["projection"]
    return timeline_chart(
        [str(y) for y in years["year"]],
        years["month_known"].tolist(),
        years["year_only"].tolist(),
        months["month"].tolist(),
        months["cases"].tolist(),
        projection=(proj["estimate"], proj["ci_low"], proj["ci_high"]) if proj else None,
        title="Per year",
    )


def _demographics_svg(cases: pd.DataFrame) -> str:
    def panel(title: str, column: str, names: Mapping[str, str] | None = None) -> Any:
        counts = cases[column].value_counts()
        order = sorted(counts.index, key=lambda v: (v == UNKNOWN, -counts[v], v))
        labels = [(names or {}).get(v, v) for v in order]
        return (title, labels, [int(counts[v]) for v in order])

    return demographics_chart(
        [
            panel("Gender", "gender", GENDER_NAMES),
            panel("Region of origin", "region"),
            panel("Status after leaving", "status_after"),
        ]
    )

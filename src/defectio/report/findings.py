"""The brief's words, written from the tables: bottom line, stance, counter-messaging themes and
recommendations. Nothing here holds a number that was not computed."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from defectio.codebook import Codebook, Family
from defectio.model import Case, StatusAfter

LEGAL = (StatusAfter.DETAINED, StatusAfter.PROSECUTED, StatusAfter.SENTENCED)


def pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.0f}%"


def rate(x: float) -> str:
    """A rate per 1,000 with enough digits to be read: 0.04, 1.7, 17.5."""
    if math.isnan(x):
        return "n/a"
    return f"{x:.2f}" if x < 1 else f"{x:.1f}"


def interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "n/a"
    return f"{100 * low:.0f}–{100 * high:.0f}%"


def narrative_rows(table: pd.DataFrame, codebook: Codebook, family: Family) -> list[dict[str, Any]]:
    """A family's codes, most prevalent first, with label, theme and interval."""
    part = table[table["family"] == family.value].sort_values(
        "cases", ascending=False, kind="stable"
    )
    return [
        {
            "code": r.code,
            "label": r.label,
            "theme": codebook.by_id[r.code].theme or codebook.by_id[r.code].definition,
            "cases": int(r.cases),
            "n": int(r.n),
            "share": float(r.share),
            "ci_low": float(r.ci_low),
            "ci_high": float(r.ci_high),
            "unreviewed": int(r.unreviewed),
        }
        for r in part.itertuples()
    ]


def stance_picture(
    carries: pd.DataFrame, codebook: Codebook, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """How many cases carry each stance code, both, or none: the caveat for reintegration.

    A stance code the codebook marks ``counter_gate`` (the speaker still backs the cause) counts
    towards ``gated``; ``not_renounced`` is every case that carries no other stance code."""
    codes = [c.id for c in codebook.family(Family.STANCE)]
    if not codes:
        return {"rows": [], "none": 0, "both": 0, "n": len(carries), "gated": None}
    stance = carries[codes]
    gate = [c.id for c in codebook.family(Family.STANCE) if getattr(c, "counter_gate", False)]
    picture: dict[str, Any] = {
        "rows": rows,
        "none": int((~stance.any(axis=1)).sum()),
        "both": int((stance.sum(axis=1) > 1).sum()),
        "n": len(carries),
        "gated": None,
    }
    if gate:
        others = [c for c in codes if c not in gate]
        picture["gated"] = int(carries[gate].any(axis=1).sum())
        picture["gate_labels"] = [codebook.by_id[c].label for c in gate]
        picture["not_renounced"] = int((~carries[others].any(axis=1)).sum()) if others else None
        picture["renounce_labels"] = [codebook.by_id[c].label for c in others]
    return picture


def counter_themes(
    codebook: Codebook, paths: pd.DataFrame, joins: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """For each join narrative in the codebook's counter map (most common first): the exit
    narratives that answer it, their theme, and how many of the cases who went for that reason
    left for this one."""
    out = []
    for join in joins:
        answers = codebook.answers_for(join["code"])
        if not answers:
            continue
        mine = paths[paths["join"] == join["code"]].set_index("exit")
        items: list[dict[str, Any]] = [
            {
                "code": code,
                "label": codebook.by_id[code].label,
                "theme": codebook.by_id[code].theme or codebook.by_id[code].definition,
                "cases": int(mine.loc[code, "cases"]) if code in mine.index else 0,
                "share": float(mine.loc[code, "share"]) if code in mine.index else math.nan,
            }
            for code in answers
        ]
        items.sort(key=lambda a: -a["cases"])
        out.append({**join, "answers": items})
    return out


def bottom_line(
    n: int,
    exits: list[dict[str, Any]],
    latest: dict[str, Any] | None,
    stance: dict[str, Any],
    period: str,
) -> str:
    if not n:
        return "No cases match this brief's selection."
    parts = [f"{n} people who left and spoke publicly ({period})"]
    top = [e for e in exits if e["cases"]][:2]
    if top:
        reasons = " and ".join(f"{e['label']} ({pct(e['share'])})" for e in top)
        parts.append(f"most often cite {reasons} as why they left")
    text = " ".join(parts) + "."
    if latest is not None:
        text += (
            f" {pct(latest['estimate'])} left in {latest['year']}"
            f" (95% interval {interval(latest['ci_low'], latest['ci_high'])})."
        )
    if stance.get("gated") is not None:
        text += (
            f" {stance['gated']} still voice the cause ("
            + ", ".join(f"“{label}”" for label in stance["gate_labels"])
            + ")"
        )
        if stance.get("not_renounced") is not None:
            text += f" and {stance['not_renounced']} have not renounced it on the record"
        text += ": a caveat for reintegration and for choosing messengers."
    elif stance["rows"]:
        named = "; ".join(f"{r['cases']} carry “{r['label']}”" for r in stance["rows"])
        text += f" Stance after leaving is mixed: {named}; {stance['none']} state none."
    return text


def recommendations(
    n: int,
    exits: list[dict[str, Any]],
    counters: list[dict[str, Any]],
    stance: dict[str, Any],
    cases: list[Case],
    projection: dict[str, Any] | None,
    unreviewed: int,
) -> list[str]:
    """What the data suggests doing, each with the figure it rests on."""
    out = []
    if exits and exits[0]["cases"]:
        top = exits[0]
        out.append(
            f"Lead counter-messaging with testimony on {top['label']}: {top['cases']} "
            f"of {n} cases ({pct(top['share'])}) left for it, more than for any other reason."
        )
    for counter in counters[:2]:
        best = next((a for a in counter["answers"] if a["cases"]), None)
        if counter["cases"] and best is not None:
            out.append(
                f"Answer the pull of “{counter['label']}” ({counter['cases']} cases) with "
                f"{best['label']} accounts: {best['cases']} of those {counter['cases']} "
                f"cases left for that reason."
            )
    if stance["rows"]:
        out.append(
            "Vet each messenger's stance before amplifying them: "
            + "; ".join(f"{r['cases']} cases carry “{r['label']}”" for r in stance["rows"])
            + f"; {stance['both']} carry both and {stance['none']} record no stance."
        )
    legal = sum(c.status_after in LEGAL for c in cases)
    if legal:
        out.append(
            f"{legal} of {n} cases were detained, prosecuted or sentenced after leaving; legal "
            "exposure keeps defectors silent, so offer safe, lawful channels for testimony."
        )
    if projection is not None:
        out.append(
            f"Plan for about {projection['estimate']:.0f} more departures in the rest of "
            f"{projection['year']} (95% prediction interval {projection['ci_low']:.0f}–"
            f"{projection['ci_high']:.0f}) if the trend holds; keep collecting testimony."
        )
    if unreviewed:
        out.append(
            f"Review the {unreviewed} case-code counts that rest only on machine suggestions "
            "before citing these figures outside the team."
        )
    return out

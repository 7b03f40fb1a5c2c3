"""Charts as inline SVG (matplotlib), so a brief opens offline with no script or font fetched."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

_STYLE: dict[Any, Any] = {
    "svg.fonttype": "path",  # text as paths: no font needed to view the chart
    "svg.hashsalt": "defectio",  # stable ids, so the same data gives the same file
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
INK = "#1f3a5f"
MUTED = "#9db4cf"


_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _to_svg(fig: Figure, prefix: str = "") -> str:
    """The figure as an <svg> element; ids (and references to them) get ``prefix`` so that
    several charts can sit in one document without their ids clashing."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    return _ID.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg) if prefix else svg


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str,
    secondary: Sequence[float] | None = None,
    legend: tuple[str, str] | None = None,
) -> str:
    """Horizontal bars, largest on top; an optional second series drawn beside each bar."""
    with plt.rc_context(_STYLE):
        height = 0.5 + 0.32 * len(labels)
        fig, ax = plt.subplots(figsize=(6.2, height))
        ys = list(range(len(labels)))[::-1]
        if secondary is None:
            ax.barh(ys, values, color=INK, height=0.6)
        else:
            ax.barh(
                [y + 0.2 for y in ys],
                values,
                color=INK,
                height=0.4,
                label=legend[0] if legend else None,
            )
            ax.barh(
                [y - 0.2 for y in ys],
                secondary,
                color=MUTED,
                height=0.4,
                label=legend[1] if legend else None,
            )
            if legend:
                ax.legend(frameon=False, loc="lower right")
        ax.set_yticks(ys, labels)
        ax.set_xlabel(xlabel)
        ax.set_title(title, loc="left", fontweight="bold")
        return _to_svg(fig, "hbar-")


def column_chart(labels: Sequence[str], values: Sequence[float], *, title: str, ylabel: str) -> str:
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 2.4))
        ax.bar(range(len(labels)), values, color=INK, width=0.6)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left", fontweight="bold")
        return _to_svg(fig, "col-")


def strip_ids(svg: str) -> str:
    """Drop matplotlib's generated clip-path ids (for comparing two charts)."""
    return re.sub(r'id="[^"]+"', "", svg)


FAMILY_COLOURS = ("#1f3a5f", "#b5651d", "#4f7f4f", "#6b4f8f")
PROJECTED = "#d9a441"


def prevalence_chart(
    labels: Sequence[str],
    shares: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    groups: Sequence[int],
    group_names: Sequence[str],
    unreviewed: Sequence[float] | None = None,
    title: str,
) -> str:
    """Share of cases per code with its 95% interval; one colour per group (code family), the
    part resting only on unreviewed machine codes drawn lighter."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.6, 0.45 + 0.24 * len(labels)))
        ys = list(range(len(labels)))[::-1]
        colours = [FAMILY_COLOURS[g % len(FAMILY_COLOURS)] for g in groups]
        pct = [100 * s for s in shares]
        ax.barh(ys, pct, color=colours, height=0.62)
        if unreviewed is not None and any(unreviewed):
            reviewed = [p - 100 * u for p, u in zip(pct, unreviewed, strict=True)]
            ax.barh(
                ys,
                [100 * u for u in unreviewed],
                left=reviewed,
                color="white",
                alpha=0.55,
                height=0.62,
                hatch="////",
                edgecolor="none",
                label="unreviewed machine codes",
            )

        err = [
            [max(0.0, p - 100 * lo) for p, lo in zip(pct, lows, strict=True)],
            [max(0.0, 100 * hi - p) for p, hi in zip(pct, highs, strict=True)],
        ]
        ax.errorbar(pct, ys, xerr=err, fmt="none", ecolor="#333333", elinewidth=0.8, capsize=2)
        ax.set_yticks(ys, labels)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of cases (bar: 95% interval)")
        for g, name in enumerate(group_names):
            ax.plot([], [], "s", color=FAMILY_COLOURS[g % len(FAMILY_COLOURS)], label=name)
        handles, names = ax.get_legend_handles_labels()
        ax.legend(handles, names, frameon=False, loc="lower right", fontsize=7)
        ax.set_title(title, loc="left", fontweight="bold")
        return _to_svg(fig, "prev-")


def timeline_chart(
    years: Sequence[str],
    month_known: Sequence[int],
    year_only: Sequence[int],
    months: Sequence[str],
    month_counts: Sequence[int],
    *,
    projection: tuple[float, float, float] | None,
    title: str,
) -> str:
    """Left: cases per year (dated to the month / to the year only), with the projection for
    the rest of the latest year and its 95% interval. Right: cases per month, where dated."""
    with plt.rc_context(_STYLE):
        fig, (left, right) = plt.subplots(
            1, 2, figsize=(6.6, 2.3), gridspec_kw={"width_ratios": [1, 2.4]}
        )
        xs = list(range(len(years)))
        left.bar(xs, month_known, color=INK, width=0.6, label="month known")
        left.bar(xs, year_only, bottom=month_known, color=MUTED, width=0.6, label="year only")
        if projection is not None and xs:
            expected, low, high = projection
            top = month_known[-1] + year_only[-1]
            left.bar(
                [xs[-1]],
                [expected],
                bottom=[top],
                color=PROJECTED,
                width=0.6,
                alpha=0.8,
                label="projected",
            )
            left.errorbar(
                [xs[-1]],
                [top + expected],
                yerr=[[expected - low], [high - expected]],
                fmt="none",
                ecolor="#333333",
                elinewidth=0.8,
                capsize=2,
            )
        left.set_xticks(xs, years)
        left.set_ylabel("cases")
        left.legend(frameon=False, fontsize=6.5, loc="upper left")
        left.set_title(title, loc="left", fontweight="bold")
        mx = list(range(len(months)))
        right.bar(mx, month_counts, color=INK, width=0.7)
        step = max(1, len(months) // 8)
        right.set_xticks(mx[::step], [m for m in months][::step], fontsize=7)
        right.set_title("Per month (cases dated to the month)", loc="left", fontweight="bold")
        right.yaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout()
        return _to_svg(fig, "time-")


def demographics_chart(panels: Sequence[tuple[str, Sequence[str], Sequence[int]]]) -> str:
    """Small horizontal bar panels side by side, one per attribute (title, labels, cases)."""
    with plt.rc_context(_STYLE):
        tallest = max((len(labels) for _, labels, _ in panels), default=1)
        fig, axes = plt.subplots(1, len(panels), figsize=(6.6, 0.55 + 0.2 * tallest))
        for ax, (title, labels, values) in zip(
            axes if len(panels) > 1 else [axes], panels, strict=True
        ):
            ys = [tallest - 1 - i for i in range(len(labels))]  # top-aligned across panels
            ax.barh(ys, values, color=INK, height=0.6)
            ax.set_yticks(ys, labels, fontsize=7)
            for y, v in zip(ys, values, strict=True):
                ax.text(v, y, f" {v}", va="center", fontsize=7)
            ax.set_title(title, loc="left", fontweight="bold", fontsize=8.5)
            ax.set_xticks([])
            ax.spines["bottom"].set_visible(False)
            ax.set_ylim(-0.6, tallest - 0.4)
        fig.tight_layout()
        return _to_svg(fig, "demo-")

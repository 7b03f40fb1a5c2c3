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


def _to_svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


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
        return _to_svg(fig)


def column_chart(labels: Sequence[str], values: Sequence[float], *, title: str, ylabel: str) -> str:
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.2, 2.4))
        ax.bar(range(len(labels)), values, color=INK, width=0.6)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left", fontweight="bold")
        return _to_svg(fig)


def strip_ids(svg: str) -> str:
    """Drop matplotlib's generated clip-path ids (for comparing two charts)."""
    return re.sub(r'id="[^"]+"', "", svg)

"""Render a brief's context as self-contained HTML, as Markdown for pasting, or as PDF."""

from __future__ import annotations

import warnings
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from defectio.errors import ReportError

FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".pdf": "pdf"}


def css_string(value: object) -> Markup:
    """Text safe inside a double-quoted CSS string in a <style> element."""
    text = str(value)
    out = "".join(ch if ch.isalnum() or ch in " .,;:@·-_()/'" else f"\\{ord(ch):x} " for ch in text)
    return Markup(out)


def _template(name: str, *, autoescape: bool) -> Any:
    env = Environment(
        autoescape=select_autoescape(["html"]) if autoescape else False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    source = (resources.files("defectio") / "report/templates" / name).read_text("utf-8")
    return env.from_string(source)


def render_html(context: dict[str, Any]) -> str:
    """One self-contained HTML file: inline CSS and SVG, no script, no external request."""
    return str(_template("brief.html", autoescape=True).render(**context))


def render_markdown(context: dict[str, Any]) -> str:
    """The brief as Markdown, for pasting into other documents (tables instead of charts)."""
    return str(_template("brief.md", autoescape=False).render(**context))


def render_pdf(context: dict[str, Any]) -> bytes:
    """The HTML brief laid out on A4 pages by WeasyPrint."""
    try:
        with warnings.catch_warnings():
            # Without libharfbuzz-subset WeasyPrint embeds whole fonts and warns at import.
            warnings.filterwarnings("ignore", message=".*HarfBuzz", category=DeprecationWarning)
            from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise ReportError(f"PDF needs WeasyPrint and Pango ({exc}); write .html or .md") from None
    pdf = HTML(string=render_html(context)).write_pdf()
    if not isinstance(pdf, bytes):
        raise ReportError("WeasyPrint returned no PDF")
    return pdf


def format_for(suffix: str) -> str:
    """The format a file name asks for: .html, .md or .pdf."""
    try:
        return FORMATS[suffix.lower()]
    except KeyError:
        raise ReportError(
            f"cannot write a brief as '{suffix or '(no suffix)'}'; use .html, .md or .pdf"
        ) from None

"""`defectio brief` and `defectio demo` write the bulletin in every format."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from defectio.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_brief_writes_html_markdown_and_pdf_with_issuer_and_filters(
    tmp_path: Path, reference_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    _run("--db", db, "import", str(reference_path))
    for name in ("b.html", "b.md", "b.pdf"):
        _run(
            "--db",
            db,
            "brief",
            "--out",
            str(tmp_path / name),
            "--org",
            "Bureau of Analysis",
            "--contact",
            "desk@example.org",
        )
    html = (tmp_path / "b.html").read_text("utf-8")
    assert "Bureau of Analysis" in html and "desk@example.org" in html
    assert "Against the 2015 study" in html  # the store uses the reference's codebook
    assert "Bureau of Analysis" in (tmp_path / "b.md").read_text("utf-8")
    assert 2 <= len(PdfReader(tmp_path / "b.pdf").pages) <= 4
    _run(
        "--db",
        db,
        "brief",
        "--out",
        str(tmp_path / "w.html"),
        "--since",
        "2015",
        "--region",
        "Western Europe",
    )
    narrow = (tmp_path / "w.html").read_text("utf-8")
    assert "left in 2015 or later, region Western Europe" in narrow
    result = runner.invoke(app, ["--db", db, "brief", "--out", "x.html", "--region", "Atlantis"])
    assert result.exit_code == 1 and "unknown region 'Atlantis'" in result.output


def test_demo_writes_the_brief_as_html_and_pdf(tmp_path: Path) -> None:
    out = _run("demo", "--out", str(tmp_path / "out"))
    assert "brief.pdf" in out
    html = (tmp_path / "out" / "brief.html").read_text("utf-8")
    for section in (
        "bluf",
        "key-findings",
        "narratives",
        "stance",
        "timeline",
        "counter-messaging",
        "recommendations",
        "study",
        "methods",
    ):
        assert f'id="{section}"' in html
    assert "coder ensemble" in html  # the coder version is named in the methods
    reader = PdfReader(io.BytesIO((tmp_path / "out" / "brief.pdf").read_bytes()))
    assert 2 <= len(reader.pages) <= 4
    stats = json.loads(_run("--db", str(tmp_path / "out" / "defectio.db"), "stats", "--json"))
    assert stats["cases"] == 37

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from defectio.codebook import Codebook
from defectio.reference import load_reference
from defectio.report.brief import BriefOptions, brief_context, render_html
from defectio.report.quotes import choose_quotes, shorten
from defectio.report.render import ReportError, format_for, render_markdown, render_pdf

SECTIONS = (
    "bluf",
    "key-findings",
    "narratives",
    "stance",
    "timeline",
    "counter-messaging",
    "recommendations",
    "study",
    "methods",
)


@pytest.fixture(scope="module")
def context(codebook: Codebook) -> dict[str, object]:
    ref = load_reference()
    options = BriefOptions(org="State Homeland Security Bureau", contact="Desk 4 · +1 555 0100")
    return brief_context(
        ref.corpus,
        codebook,
        options=options,
        figures=ref.figures,
        foreign_fighters=ref.foreign_fighters,
    )


@pytest.fixture(scope="module")
def html(context: dict[str, object]) -> str:
    return render_html(context)


def test_the_brief_is_self_contained_and_computed_from_the_corpus(html: str) -> None:
    assert html.count("<svg") == 3  # prevalence, timeline, demographics
    assert "<script" not in html and "@import" not in html
    assert not re.search(r"url\((?!#)", html), "only in-document url(#id) references are allowed"
    assert not re.search(r"""src=["']?(https?:)?//""", html)
    # The only links out are the quotes' sources.
    for tag in re.findall(r"<a [^>]*href=[\"']?https?://[^>]*>", html):
        assert 'class="source"' in tag, tag
    assert ">37</b><span>cases · 103 passages" in html
    assert ">5</b><span>women (14%)" in html


def test_the_brief_has_every_section_and_the_issuer(html: str) -> None:
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert "Bottom line up front" in html
    assert "State Homeland Security Bureau" in html and "Desk 4" in html
    assert "Against “Religious duty”" in html  # counter map, from the codebook


def test_narratives_show_prevalence_interval_and_two_or_three_linked_quotes(
    context: dict[str, object],
) -> None:
    exits = context["exits"]
    assert isinstance(exits, list)
    top = exits[0]
    assert (top["label"], top["cases"], top["n"]) == ("Brutality", 23, 37)
    assert top["ci_low"] == pytest.approx(0.4608, abs=1e-3)
    for row in exits:
        assert 2 <= len(row["quotes"]) <= 3, row["code"]
        for quote in row["quotes"]:
            assert quote.url and quote.url.startswith("http")
            assert quote.outlet and quote.alias


def test_quotes_prefer_first_hand_accepted_passages_from_different_cases(
    codebook: Codebook,
) -> None:
    corpus = load_reference().corpus
    quotes = choose_quotes(corpus, [c.id for c in codebook.family("exit")], per_code=3)
    all_ids = [q.passage_id for qs in quotes.values() for q in qs]
    assert len(all_ids) == len(set(all_ids)), "a passage is quoted once"
    for code, chosen in quotes.items():
        assert len({q.case_id for q in chosen}) == len(chosen), code
    assert all(q.first_hand for q in quotes["brutality"])  # 27 passages: enough first-hand ones


def test_element_ids_are_unique_across_the_inline_charts(html: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_the_brief_names_cases_by_alias_only(html: str) -> None:
    assert "legal_name" not in html


def test_shorten_keeps_whole_sentences() -> None:
    text = "One two three. " * 40
    short = shorten(text, 60)
    assert short.endswith("[…]") and len(short) <= 66 and "One two three. One" in short


def test_markdown_brief_is_plain_text_with_tables_and_links(context: dict[str, object]) -> None:
    md = render_markdown(context)
    assert md.startswith("# Why they leave")
    assert "| Narrative | Cases | Share | 95% interval | Unreviewed |" in md
    assert "](https://" in md and "<svg" not in md
    assert "## Against the 2015 study" in md


def test_the_pdf_has_two_to_four_pages_and_three_charts(context: dict[str, object]) -> None:
    reader = PdfReader(io.BytesIO(render_pdf(context)))
    assert 2 <= len(reader.pages) <= 4
    text = "\n".join(page.extract_text() for page in reader.pages)
    for n in (1, 2, 3):
        assert f"Figure {n}." in text
    assert "Bottom line up front" in text and "Methods and caveats" in text
    # Charts are vector drawings: the pages with figures carry many path operations.
    drawn = [
        page.get_contents().get_data().count(b" re\n")
        + page.get_contents().get_data().count(b" l\n")
        for page in reader.pages
    ]
    assert sum(d > 50 for d in drawn) >= 2


def test_the_output_format_comes_from_the_suffix() -> None:
    assert (format_for(".PDF"), format_for(".md"), format_for(".html")) == (
        "pdf",
        "markdown",
        "html",
    )
    with pytest.raises(ReportError, match=r"cannot write a brief as '\.docx'"):
        format_for(".docx")


def test_filters_narrow_the_brief_and_drop_the_study_comparison(codebook: Codebook) -> None:
    ref = load_reference()
    context = brief_context(
        ref.corpus,
        codebook,
        options=BriefOptions(since=2015, region="Middle East & North Africa"),
        figures=ref.figures,
    )
    assert context["study"] is None
    assert 0 < context["n"] < 13
    assert "left in 2015 or later" in str(context["subtitle"])

from __future__ import annotations

import re

from defectio.codebook import Codebook
from defectio.reference import load_reference
from defectio.report.brief import brief_context, render_html


def test_the_brief_is_self_contained_and_computed_from_the_corpus(codebook: Codebook) -> None:
    corpus = load_reference().corpus
    html = render_html(brief_context(corpus, codebook))
    assert html.count("<svg") == 2
    # No script, stylesheet, font or image is fetched from anywhere.
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html), "only in-document url(#id) references are allowed"
    assert "<strong>37</strong> cases" in html and "<strong>103</strong> passages" in html


def test_the_brief_names_cases_by_alias_only(codebook: Codebook) -> None:
    corpus = load_reference().corpus
    html = render_html(brief_context(corpus, codebook))
    assert "legal_name" not in html

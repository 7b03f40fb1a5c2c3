"""The retrain button in Debian's chromium: a reviewer finds it on the review page, a coder
does not, and the retrain page renders under the Content-Security-Policy with no errors."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Shots, Watched, loads, sign_in

pytestmark = pytest.mark.integration


def test_a_reviewer_finds_the_retrain_button_and_its_page(watched: Watched, shots: Shots) -> None:
    page = watched.page
    sign_in(page, "reviewer")
    page.goto("/review")
    assert page.locator("button#retrain").is_visible()
    shots(page, "review-with-retrain")
    with loads(page):
        page.click("form.retrain a[href='/review/retrain']")
    assert page.url.endswith("/review/retrain")
    assert "No retrained coder is waiting" in page.inner_text("main")
    assert page.locator("button#retrain").is_visible()
    shots(page, "retrain")
    assert watched.errors == [] and watched.failed == [] and watched.csp_refusals() == []


def test_a_coder_sees_no_retrain_button(watched: Watched) -> None:
    page = watched.page
    sign_in(page, "coder")
    page.goto("/review")
    assert page.locator("button#retrain").count() == 0

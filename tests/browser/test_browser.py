"""The team web app in Debian's chromium (Playwright, headless), against the real server:
signing in, the review queue with its keyboard shortcuts, the brief's downloads, and the
Content-Security-Policy holding on every page (no refusals, no script errors, charts drawn).
Each test saves a full-page screenshot of every page it visits (see conftest.Shots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer, Shots, Watched, loads, sign_in

pytestmark = pytest.mark.integration


def number(watched: Watched, selector: str) -> int:
    return int(watched.page.inner_text(selector).strip().replace(",", ""))


def session_cookies(watched: Watched) -> list[dict[str, object]]:
    return [dict(c) for c in watched.page.context.cookies() if c["name"] == "defectio_session"]


def test_sign_in_through_the_form(live_server: LiveServer, watched: Watched, shots: Shots) -> None:
    page = watched.page
    page.goto("/")
    assert page.url == f"{live_server.url}/sign-in?next=%2F"  # not signed in: sent to the form
    shots(page, "sign-in")

    sign_in(page, "coder", "not the password")
    message = page.locator(".message[role=alert]")
    assert message.inner_text() == "Wrong user name or password."
    assert page.url.startswith(f"{live_server.url}/sign-in")
    assert session_cookies(watched) == []
    shots(page, "sign-in-wrong-password")
    page.goto("/")
    assert "/sign-in" in page.url  # still no session

    sign_in(page, "coder")
    assert page.url == f"{live_server.url}/"
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator(".who").inner_text() == "coder · coder"
    assert page.locator(".message").count() == 0
    cookies = session_cookies(watched)
    assert len(cookies) == 1 and cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"
    assert number(watched, "#n-cases") > 0
    shots(page, "dashboard")

    with loads(page):
        page.click("form.signout button[type=submit]")
    assert "/sign-in" in page.url
    assert session_cookies(watched) == []
    assert watched.errors == []


def open_count(watched: Watched) -> int:
    return number(watched, "#n-open")


def accept_ids(watched: Watched) -> list[str]:
    forms = watched.page.locator(".queue .item form.accept")
    return [str(a) for a in forms.evaluate_all("fs => fs.map(f => f.getAttribute('action'))")]


def test_review_queue_accept_by_click_and_by_key(watched: Watched, shots: Shots) -> None:
    page = watched.page
    sign_in(page, "coder")
    unreviewed = number(watched, "#n-unreviewed")
    assert unreviewed > 2

    page.goto("/review")
    shots(page, "review")
    remaining = open_count(watched)
    first, second, *_ = accept_ids(watched)
    with loads(page):  # the first suggestion: its Accept button
        page.locator(".queue .item").first.locator("form.accept button").click()
    assert page.url.endswith("/review")
    assert open_count(watched) == remaining - 1
    ids = accept_ids(watched)
    assert first not in ids and ids[0] == second
    shots(page, "review-after-click")

    # The keyboard: the first item has focus on load; j moves to the next, a accepts it.
    focused = "document.activeElement.querySelector('form.accept').getAttribute('action')"
    assert page.evaluate(focused) == ids[0]
    page.keyboard.press("j")
    assert page.evaluate(focused) == ids[1]
    with loads(page):
        page.keyboard.press("a")
    assert open_count(watched) == remaining - 2
    after = accept_ids(watched)
    assert ids[1] not in after and after[0] == ids[0]
    shots(page, "review-after-key")

    page.goto("/")
    assert number(watched, "#n-unreviewed") == unreviewed - 2
    shots(page, "dashboard")
    assert watched.errors == []


def test_brief_downloads(watched: Watched, shots: Shots, tmp_path: Path) -> None:
    page = watched.page
    sign_in(page, "viewer")
    cases = number(watched, "#n-cases")
    page.goto("/brief")
    shots(page, "brief")

    with page.expect_download() as got:
        page.click("#brief-html")
    html = got.value
    assert html.suggested_filename == "defectio-brief.html"
    html.save_as(tmp_path / html.suggested_filename)
    text = (tmp_path / html.suggested_filename).read_text("utf-8")
    assert text.lstrip().lower().startswith("<!doctype html")
    assert f"{cases} cases" in text, "the brief counts the store's cases"

    with page.expect_download() as got:
        page.click("#brief-pdf")
    pdf = got.value
    assert pdf.suggested_filename == "defectio-brief.pdf"
    pdf.save_as(tmp_path / pdf.suggested_filename)
    data = (tmp_path / pdf.suggested_filename).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000
    assert watched.errors == []


def test_content_security_policy_holds(watched: Watched, shots: Shots) -> None:
    page = watched.page
    sign_in(page, "reviewer")
    assert page.url.endswith("/")
    shots(page, "dashboard")
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    assert sorted(src for src, _, _ in images) == ["/charts/prevalence.svg", "/charts/timeline.svg"]
    assert all(done and width > 0 for _, done, width in images), images

    for path in ("/cases", "/review", "/agreement", "/codebook", "/brief"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.url.endswith(path)
        shots(page, path.strip("/"))
        if path == "/cases":
            link = page.locator("a[href^='/cases/']").first
            href = link.get_attribute("href")
            with loads(page):
                link.click()
            assert page.url.endswith(str(href))
            shots(page, "case")

    page.goto("/counter")
    page.fill("input[name=claim]", "In the caliphate every Muslim lives in dignity and plenty")
    with loads(page):
        page.click("form[action='/counter'] button[type=submit]")
    assert "claim=" in page.url
    assert page.locator("ol.answers li").count() > 0
    shots(page, "counter")
    page.fill("input[name=claim]", "The library closes at six on Saturdays.")  # no pull in it
    with loads(page):
        page.click("form[action='/counter'] button[type=submit]")
    assert page.locator("p.fallback").inner_text().startswith("No join narrative was read")
    assert page.locator("ol.answers li blockquote").count() == 5
    shots(page, "counter-fallback")

    assert watched.errors == []
    assert watched.csp_refusals() == []
    assert watched.failed == []

    # The check can see a refusal: an inline script added now is refused and reported.
    ran = page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__inlineRan = true'; document.body.appendChild(s);"
        " return window.__inlineRan === true; }"
    )
    assert ran is False
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("script-src" in v for v in watched.csp_refusals())

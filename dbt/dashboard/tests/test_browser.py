"""Headless Chromium (Debian's /usr/bin/chromium via Playwright's driver) loads the dashboard file.

Checks what a person would notice: no console errors, no network request at all (the file is
self-contained), every chart drew data marks with a real size; keeps a screenshot for humans.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from caec_dashboard.backends import DuckDBBackend
from caec_dashboard.build import build
from caec_dashboard.page import CHART_IDS

from .marts_fixture import content_site_marts

CHROMIUM = Path(os.environ.get("CAEC_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[3] / ".out" / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`; .ci/run does it)",
    ),
]


def check_dashboard_in_browser(html: Path, screenshot: Path) -> dict[str, int]:
    """Load ``html`` in headless Chromium; assert no errors/requests and drawn charts. Returns marks per chart."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "request",
                lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
            )
            page.goto(html.resolve().as_uri(), wait_until="load")
            marks = page.evaluate(
                """() => {
                  const out = {};
                  document.querySelectorAll('[data-chart]').forEach(c => {
                    const drawn = [...c.querySelectorAll('[data-value]')].filter(el => {
                      const b = el.getBoundingClientRect();
                      return b.width > 0 && b.height > 0 && el.getAttribute('data-value') !== '';
                    });
                    out[c.getAttribute('data-chart')] = drawn.length;
                  });
                  return out;
                }"""
            )
            assert page.get_attribute("body", "data-charts") == str(len(marks))
            # hovering a mark shows its tooltip (the page's script works)
            page.hover("[data-chart=traffic] [data-value]")
            assert page.is_visible("#tip") and page.inner_text("#tip")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert errors == [], f"console errors: {errors}"
    assert requests == [], f"the dashboard made network requests: {requests}"
    return marks


def test_dashboard_renders_every_chart_with_data(marts_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "dashboard.html"
    build(DuckDBBackend(marts_db), out)
    marks = check_dashboard_in_browser(out, ARTIFACTS / "dashboard-fixture.png")
    assert set(marks) == set(CHART_IDS)
    empty = [chart for chart, n in marks.items() if n == 0]
    assert not empty, f"charts without rendered data: {empty}"
    assert marks["traffic"] == 3 * 21  # three series, one point per day
    assert marks["funnel"] == 4
    assert (ARTIFACTS / "dashboard-fixture.png").stat().st_size > 10_000


def test_a_content_site_dashboard_hides_the_commerce_panels_and_says_why(
    marts_db: Path, tmp_path: Path
) -> None:
    """No product, cart or purchase event: the funnel and top products are not drawn as zeros (issue 17)."""
    out = tmp_path / "content.html"
    build(DuckDBBackend(content_site_marts(marts_db, tmp_path / "content.duckdb")), out)
    marks = check_dashboard_in_browser(out, ARTIFACTS / "dashboard-content-site.png")
    assert set(marks) == set(CHART_IDS) - {"funnel", "top_products"}
    assert not [chart for chart, n in marks.items() if n == 0]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(out.resolve().as_uri(), wait_until="load")
            for panel in ("funnel", "top_products"):
                text = page.inner_text(f"[data-section={panel}]")
                assert "not shown: the data has no product view, add-to-cart or purchase event" in text
        finally:
            browser.close()

"""In Debian's Chromium: an untagged PDF is uploaded, warned about, found in the
media library and cannot be removed while a report uses it; axe at 375 and 1280 px."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.admin.helpers import PASSWORD, make_user, png_bytes
from tests.browser import chromium, serve
from tests.factories import make_item, make_pdf
from tests.web.test_accessibility_browser import WIDTHS, Tab, _check_page


@pytest.mark.slow
def test_officer_is_warned_about_an_untagged_pdf_and_cannot_remove_it_while_used(
    app, session, tmp_path: Path
) -> None:
    make_user(session, "officer@example.org", "editor")
    report = make_item(
        session, kind="report", slug="policy", title="Policy report", files=[]
    )
    pdf = tmp_path / "policy-brief.pdf"
    data = make_pdf("about:blank", pages=2)
    pdf.write_bytes(data)

    with serve(app) as base, chromium(axe=True) as browser:
        context = browser.new_context()
        tab = Tab.of(context)
        page = tab.open(f"{base}/admin/login", 1280)
        page.fill("#email", "officer@example.org")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        assert page.url == f"{base}/admin/"

        page.goto(f"{base}/admin/items/{report.id}/")
        page.set_input_files("#f-file", str(pdf))
        page.click("button:has-text('Save and upload PDF')")
        flashes = page.locator(".flashes").inner_text()
        assert "Accessibility warning: policy-brief.pdf was kept" in flashes
        assert "'about:blank'" in flashes and "not a tagged PDF" in flashes
        assert "accessibility statement" in flashes
        assert "'Document structure tags for accessibility' turned on" in flashes
        assert "File > Info > Properties > Title" in flashes
        badge = page.locator(".files .pdf-badge")
        assert "no document language" in badge.inner_text()

        for width in WIDTHS:
            tab.open(f"{base}/admin/media/", width)
            _check_page(tab, base, "admin-media-journey", width)
        card = page.locator(".media-card", has_text="policy-brief.pdf")
        text = card.inner_text()
        assert f"File · PDF · {len(data)} Bytes · 2 pages · uploaded " in text
        assert "Used by Policy report (reports/policy, en)" in text
        assert "Accessibility: a placeholder instead of a document title" in text
        assert card.locator(".pdf-badge.pdf-warn").count() == 1

        card.locator("a", has_text="policy-brief.pdf").click()
        entry_url = page.url
        for width in WIDTHS:
            tab.open(entry_url, width)
            _check_page(tab, base, "admin-media-entry", width)
        assert "Word: File > Info > Properties > Title" in page.inner_text(
            ".pdf-advice"
        )
        page.click("button:has-text('Remove')")
        problems = page.locator(".problems").inner_text()
        assert "still used by Policy report (reports/policy, en)" in problems
        used = page.locator(
            "section[aria-labelledby=used-h] a", has_text="Policy report"
        )
        assert used.get_attribute("href") == f"/admin/items/{report.id}/"
        tab.page.set_viewport_size({"width": 375, "height": 667})
        _check_page(tab, base, "admin-media-refused", 375)
        context.close()


@pytest.mark.slow
def test_officer_edits_an_images_alt_text_in_the_library_and_visitors_get_it(
    app, session, store
) -> None:
    make_user(session, "officer@example.org", "editor")
    digest = store.put(png_bytes((64, 40)))
    make_item(
        session,
        slug="first-results",
        title="First results",
        image=f"/media/images/{digest}.png",
        details={"image_alt": "A map"},
    )

    with serve(app) as base, chromium(axe=True) as browser:
        context = browser.new_context()
        tab = Tab.of(context)
        page = tab.open(f"{base}/admin/login", 1280)
        page.fill("#email", "officer@example.org")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        tab.open(f"{base}/admin/media/?show=images", 1280)
        page.locator(".media-card", has_text="First results").locator("h2 a").click()
        for width in WIDTHS:
            tab.open(page.url, width)
            _check_page(tab, base, "admin-media-image", width)
        page.fill("#m-alt", "")
        page.click("button:has-text('Save alt text')")  # the browser asks first
        assert page.locator(".flashes").count() == 0
        page.fill("#m-alt", "Eleven partner regions on a map of the Alps")
        page.click("button:has-text('Save alt text')")
        assert "Alt text saved." in page.locator(".flashes").inner_text()
        visitor = browser.new_context().new_page()
        visitor.goto(f"{base}/press-releases/first-results/")
        alt = visitor.locator(".item-image img").get_attribute("alt")
        assert alt == "Eleven partner regions on a map of the Alps"
        context.close()

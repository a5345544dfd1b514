"""In Debian's Chromium: the register, a deliverable's page, the review queue.

An officer ticks a deliverable in the editor and finds the output on the
deliverable's page; every page of this part is checked by axe at 375 and 1280 px
(no serious or critical finding, no sideways scrolling) and photographed into
test-artifacts/a11y/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from comms.admin import review
from comms.admin.models import User
from comms.catalogue.models import Item
from tests.admin.helpers import PASSWORD, make_user
from tests.browser import artifact, axe_source, chromium, served_demo

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
WIDTHS = {375: 667, 1280: 800}


def _log_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert page.url == f"{base}/admin/"


def _blocking(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def test_register_pages_work_and_pass_axe_at_both_widths(tmp_path: Path) -> None:
    with (
        served_demo(tmp_path, "register-browser-secret", review_required=True) as (
            app,
            base,
        ),
        chromium(axe=True) as browser,
    ):
        state = app.extensions["comms"]
        with state.sessionmaker() as session:
            make_user(session, "admin@example.org", "admin")
            editor = make_user(session, "editor@example.org", "editor")
            news = session.scalars(
                select(Item).where(Item.kind == "press_release", Item.language == "en")
            ).first()
            assert news is not None
            news.status, news.published_at = "draft", None
            session.commit()
            news_id = news.id
            asked = session.get(User, editor.id)
            review.ask(session, asked, news, "publish", None, news.updated_at)
            session.commit()

        page = browser.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        _log_in(page, base, "admin@example.org")
        # Tick a deliverable in the editor; the output shows on its page.
        page.goto(f"{base}/admin/items/{news_id}/")
        page.check("input[name=deliverables][value='D.T3.1.1']")
        page.click(".publish-actions button[name=action][value=save]")
        assert "Saved." in page.locator(".flashes").inner_text()
        assert page.is_checked("input[name=deliverables][value='D.T3.1.1']")
        page.goto(f"{base}/admin/kpi/deliverables/D.T3.1.1/")
        outputs = page.locator("#outputs").inner_text()
        assert "Joint transnational cluster action plan" in outputs
        assert "in review" in outputs  # the ticked press release waits for review
        # A bad code is refused with its reason, in the page.
        page.goto(f"{base}/admin/deliverables/new")
        page.fill("#d-code", "2.1")
        page.fill("#d-title", "Plan")
        page.fill("#d-due", "2027-03-31")
        page.click("button:has-text('Add deliverable')")
        assert "is not a deliverable code" in page.locator(".problems").inner_text()

        pages = {
            "deliverables": "/admin/deliverables/",
            "deliverable-new": "/admin/deliverables/new",
            "work-package": "/admin/deliverables/work-packages/1/",
            "deliverable": "/admin/kpi/deliverables/D.T1.2.1/",
            "review": "/admin/review/",
            "editor-deliverables": f"/admin/items/{news_id}/",
        }
        findings: dict[str, Any] = {}
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, path in pages.items():
                answer = page.goto(base + path)
                assert answer is not None and answer.status == 200, path
                shot = artifact("a11y", f"register-{name}-{width}.png")
                page.screenshot(path=str(shot), full_page=True)
                scroll, inner = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                assert scroll <= inner, (path, width, "scrolls sideways")
                found = _blocking(page)
                findings[f"{name}-{width}"] = found
                assert not found, (path, width, [v["id"] for v in found])
        artifact("a11y", "register-axe.json").write_text(json.dumps(findings))
        page.close()

"""No cached page is ever stale, and a change re-renders only the pages showing it.

Every kind of change (publish, edit, archive, unpublish, a scheduled item coming
due, a video sync, a translation added, a newsletter issue published, a slug
change, a file and an image) is made through the admin, a service or the CLI, on
the host serving the pages and on a second host sharing only the database. Before
it, every public page in every language is rendered and cached; after it, each is
asked again and must equal the page rendered from scratch (an app that never
reads its cache), and the pages that do not show the change must not be rendered
again (their answers come from the cache).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, request
from sqlalchemy import select

from comms import cache, create_app
from comms.admin import issues
from comms.admin import service as admin_service
from comms.admin.models import User
from comms.catalogue.models import Item, Newsletter
from comms.config import Settings
from comms.db import init_db
from comms.jobs.queue import stop_jobs
from comms.self_requests import STATIC_COPY, mark
from tests.admin.helpers import log_in_as, make_user, png_bytes, post
from tests.admin.test_items import fields
from tests.factories import make_item, make_pdf, past
from tests.newsletter.helpers import make_issue
from tests.videos.fake_youtube import API_KEY, HANDLE, FakeYouTube, make_videos

LANGS = ["en", "de", "fr", "it", "sl"]
PER_LANGUAGE = [
    "/reports/stresstest/",
    "/reports/policy/",
    "/press-releases/launch/",
    "/videos/cluster-film-0/",
    "/",
    "/reports/",
    "/press-releases/",
    "/videos/",
    "/topics/clusters/",
    "/topics/energy/",
    "/regions/lombardia/",
    "/regions/bayern/",
    "/feed.xml",
    "/feed.atom",
    "/feed.json",
    "/reports/feed.xml",
    "/press-releases/feed.atom",
    "/tags/clusters/feed.json",
    "/tags/energy/feed.xml",
    "/regions/bayern/feed.json",
    "/newsletter/",
    "/newsletter/issue-1/",
]
PAGES = ["/sitemap.xml"] + [f"{p}?lang={lang}" for p in PER_LANGUAGE for lang in LANGS]
# What shows neither reports, videos, events, newsletters, the topic "clusters"
# nor the region "lombardia": only the press release "launch" (energy, bayern).
UNRELATED = [
    f"{p}?lang={lang}"
    for p in (
        "/press-releases/launch/",
        "/press-releases/",
        "/topics/energy/",
        "/regions/bayern/",
        "/press-releases/feed.atom",
        "/tags/energy/feed.xml",
        "/regions/bayern/feed.json",
    )
    for lang in LANGS
]


@dataclass
class Site:
    """The host serving pages, the host making the change, and the reference."""

    reader: Flask
    writer: Flask
    fresh: Flask
    fake: FakeYouTube
    built: list[str]

    def session(self) -> Any:
        """A session of the changing host."""
        return self.writer.extensions["comms"].sessionmaker()

    def admin(self) -> Any:
        """A client of the changing host, logged in as an editor."""
        client = self.writer.test_client()
        with self.session() as session:
            user = session.scalars(select(User)).first()
            log_in_as(client, user)
        return client

    def item(self, kind: str, slug: str, language: str = "en") -> Item:
        """The stored item."""
        with self.session() as session:
            return session.scalars(
                select(Item).where(
                    Item.kind == kind, Item.slug == slug, Item.language == language
                )
            ).one()


def _never_read_cache(app: Flask) -> None:
    """Make ``app`` the reference: every page rendered from scratch."""
    app.extensions[cache.EXTENSION_KEY].get = lambda key: None


def _record_renders(app: Flask, built: list[str]) -> None:
    """Note the path and query of every page ``app`` renders and stores."""
    page_cache = app.extensions[cache.EXTENSION_KEY]
    real = page_cache.put

    def put(*args: Any, **kwargs: Any) -> Any:
        built.append(request.full_path)
        return real(*args, **kwargs)

    page_cache.put = put


@pytest.fixture
def site(settings: Settings, tmp_path, fake: FakeYouTube, request) -> Iterator[Site]:
    """Two hosts on one database (own instance folders), and the reference app."""
    fake.videos[:] = make_videos(1)
    synced = replace(
        settings,
        youtube_api_key=API_KEY,
        youtube_channel=HANDLE,
        youtube_api_endpoint=fake.url,
        youtube_timeout=5.0,
    )
    reader = create_app(synced)
    init_db(reader.extensions["comms"].engine)
    other = create_app(replace(synced, instance_path=tmp_path / "other-host"))
    fresh = create_app(replace(synced, instance_path=tmp_path / "reference"))
    _never_read_cache(fresh)
    built: list[str] = []
    _record_renders(reader, built)
    writer = other if request.param == "other host" else reader
    try:
        yield Site(reader, writer, fresh, fake, built)
    finally:
        for app in (reader, other, fresh):
            stop_jobs(app)
            app.extensions["comms"].engine.dispose()


def _fill(site: Site) -> None:
    """Reports in every language, a press release, a video, newsletter issues."""
    with site.reader.extensions["comms"].sessionmaker() as session:
        make_user(session, "editor@example.org", "editor")
        for language in LANGS:
            make_item(session, kind="report", slug="stresstest", language=language,
                      translation="stresstest", title=f"StressTest {language}",
                      tags=["clusters"], regions=["lombardia"],
                      published_at=past(5))  # fmt: skip
        make_item(session, kind="report", slug="policy", title="Policy report",
                  tags=["clusters"], published_at=past(4))  # fmt: skip
        make_item(session, kind="report", slug="draft-report", title="Draft report",
                  tags=["clusters"], regions=["lombardia"], status="draft",
                  published_at=None)  # fmt: skip
        for language in ("en", "de"):
            make_item(session, slug="launch", language=language, translation="launch",
                      title=f"Launch {language}", tags=["energy"], regions=["bayern"],
                      published_at=past(3))  # fmt: skip
        make_issue(session, slug="issue-1", items=[("report", "stresstest")])
        make_issue(session, slug="issue-2", title="Issue 2: policy",
                   items=[("report", "policy")], status="draft",
                   published_at=None)  # fmt: skip
    result = site.reader.test_cli_runner().invoke(args=["videos", "sync"])
    assert result.exit_code == 0, result.output


def _reference(site: Site, url: str) -> tuple[int, str | None, bytes]:
    response = site.fresh.test_client().get(url, environ_base=mark(STATIC_COPY))
    return response.status_code, response.headers.get("Location"), response.data


def _read_all(site: Site) -> dict[str, tuple[int, str | None, bytes]]:
    answers = {}
    for url in PAGES:  # each a new visitor: no language cookie of the last page
        response = site.reader.test_client().get(url)
        answers[url] = (
            response.status_code,
            response.headers.get("Location"),
            response.data,
        )
    return answers


def _publish(site: Site) -> None:
    draft = site.item("report", "draft-report")
    url = f"/admin/items/{draft.id}/status"
    assert post(site.admin(), url, {"action": "publish"}).status_code == 303


def _edit(site: Site) -> None:
    item = site.item("report", "stresstest", "de")
    admin = site.admin()
    form = fields(admin.get(f"/admin/items/{item.id}/").get_data(as_text=True))
    form.update(title="StressTest überarbeitet", action="save")
    assert post(admin, f"/admin/items/{item.id}/", form).status_code == 303


def _status(action: str) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        item = site.item("report", "policy")
        url = f"/admin/items/{item.id}/status"
        assert post(site.admin(), url, {"action": action}).status_code == 303

    return change


def _rename(site: Site) -> None:
    item = site.item("report", "policy")
    admin = site.admin()
    form = fields(admin.get(f"/admin/items/{item.id}/").get_data(as_text=True))
    form.update(slug="policy-renamed", action="save")
    assert post(admin, f"/admin/items/{item.id}/", form).status_code == 303


def _translate(site: Site) -> None:
    item = site.item("report", "policy")
    admin = site.admin()
    added = post(admin, f"/admin/items/{item.id}/translations", {"language": "fr"})
    assert added.status_code == 303
    copy = site.item("report", "policy", "fr")
    url = f"/admin/items/{copy.id}/status"
    assert post(admin, url, {"action": "publish"}).status_code == 303


def _sync(site: Site) -> None:
    site.fake.videos[0].title = "Cluster film, retitled"
    site.fake.videos[0].views = 99_999
    result = site.writer.test_cli_runner().invoke(args=["videos", "sync"])
    assert result.exit_code == 0, result.output


def _newsletter(site: Site) -> None:
    with site.session() as session:
        letter = session.scalars(
            select(Newsletter).where(Newsletter.slug == "issue-2")
        ).one()
        issues.publish_for_sending(session, None, letter, datetime.now(UTC))


def _file(site: Site) -> None:
    item = site.item("report", "stresstest")
    upload = {"file": (io.BytesIO(make_pdf("Annex")), "annex.pdf"), "language": "en"}
    response = post(site.admin(), f"/admin/items/{item.id}/files", upload,
                    content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303


def _image(site: Site) -> None:
    item = site.item("report", "stresstest", "it")
    upload = {"image": (io.BytesIO(png_bytes((40, 30))), "cover.png"),
              "image_alt": "A chart"}  # fmt: skip
    response = post(site.admin(), f"/admin/items/{item.id}/image", upload,
                    content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 303


CHANGES: dict[str, Callable[[Site], None]] = {
    "publish": _publish,
    "edit": _edit,
    "archive": _status("archive"),
    "unpublish": _status("unpublish"),
    "slug change": _rename,
    "translation added": _translate,
    "video sync": _sync,
    "newsletter issue published": _newsletter,
    "file attached": _file,
    "image set": _image,
}


def _next_second() -> None:
    """Wait for the next second: pages decide what is due by a whole-second clock,
    and a publish at 12:00:00.4 shows from 12:00:01 on (in the cache and out)."""
    time.sleep(1.01 - time.time() % 1)


def _assert_fresh(site: Site, answers: dict[str, tuple[int, str | None, bytes]]):
    stale = [url for url, answer in answers.items() if answer != _reference(site, url)]
    assert stale == [], _difference(site, stale[0], answers[stale[0]])


def _difference(site: Site, url: str, answer: tuple[int, str | None, bytes]) -> str:
    import difflib

    lines = answer[2].decode().splitlines()
    fresh = _reference(site, url)
    diff = difflib.unified_diff(fresh[2].decode().splitlines(), lines, lineterm="")
    return f"{url}: {answer[:2]} vs {fresh[:2]}\n" + "\n".join(list(diff)[:40])


@pytest.mark.parametrize("site", ["same host", "other host"], indirect=True)
@pytest.mark.parametrize("change", list(CHANGES))
def test_no_page_is_stale_after_a_change_and_unrelated_pages_stay_cached(
    site: Site, change: str
) -> None:
    _fill(site)
    before = _read_all(site)
    site.built.clear()
    CHANGES[change](site)
    _next_second()
    after = _read_all(site)
    _assert_fresh(site, after)
    assert after != before
    assert not set(site.built) & set(UNRELATED)


@pytest.mark.parametrize("site", ["same host"], indirect=True)
def test_a_scheduled_item_coming_due_shows_everywhere_without_any_write(
    site: Site,
) -> None:
    _fill(site)
    draft = site.item("report", "draft-report")
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
    with site.session() as session:
        user = session.scalars(select(User)).one()
        admin_service.change_status(session, user, draft.id, "schedule", when=when,
                                    now=datetime.now(UTC),
                                    review_required=False)  # fmt: skip
    listing = site.reader.test_client().get("/reports/?lang=en").data
    assert b"Draft report" not in listing
    _read_all(site)  # every page cached while the item is scheduled
    site.built.clear()
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 1.1)
    after = _read_all(site)
    _assert_fresh(site, after)
    assert b"Draft report" in after["/reports/?lang=en"][2]
    assert b"Draft report" in after["/feed.xml?lang=de"][2]
    assert not set(site.built) & set(UNRELATED)

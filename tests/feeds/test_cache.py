"""The shared page cache on disk: atomic entries, ETags, deps, pruning."""

from __future__ import annotations

from datetime import UTC, datetime

from comms.cache import Deps, PageCache, Rendered, etag_of

BUILT = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=UTC)


DEPS = Deps(3, 100.0, ("item:report:x", "tag:clusters"))


def test_put_then_get_gives_the_same_bytes_type_etag_time_and_deps(tmp_path):
    cache = PageCache(tmp_path / "cache")
    assert cache.get("/feed.xml?lang=en") is None
    stored = cache.put("/feed.xml?lang=en", Rendered(b"<rss/>", "a/b"), BUILT, DEPS)
    found = cache.get("/feed.xml?lang=en")
    assert found == stored
    assert found.body == b"<rss/>"
    assert found.content_type == "a/b"
    assert found.etag == etag_of(b"<rss/>")
    assert found.last_modified == BUILT.replace(microsecond=0)
    assert found.deps == DEPS
    assert cache.get("/feed.atom?lang=en") is None


def test_another_process_reads_what_one_stored(tmp_path):
    body = b"line one\nline two\r\n\n\x00binary"
    stored = PageCache(tmp_path).put("k", Rendered(body, "text/plain"), BUILT, DEPS)
    assert PageCache(tmp_path).get("k") == stored


def test_memory_keeps_only_recent_entries(tmp_path):
    cache = PageCache(tmp_path, memory=2)
    for n in range(3):
        cache.put(f"k{n}", Rendered(b"x%d" % n, "t/t"), BUILT, DEPS)
    for entry in tmp_path.iterdir():
        entry.unlink()
    assert cache.get("k0") is None
    assert cache.get("k2").body == b"x2"
    cache.forget("k2")
    assert cache.get("k2") is None


def test_a_folder_past_its_limit_drops_its_oldest(tmp_path):
    cache = PageCache(tmp_path, max_entries=4)
    for n in range(6):  # written by two processes
        writer = cache if n % 2 else PageCache(tmp_path, max_entries=4)
        writer.put(f"key-{n}", Rendered(b"x", "t/t"), BUILT, DEPS)
    cache.prune()
    left = list(tmp_path.iterdir())
    assert len(left) <= 4
    assert not [p for p in left if p.name.startswith(".tmp")]
    assert PageCache(tmp_path).get("key-5") is not None


def test_a_corrupt_entry_is_a_miss(tmp_path):
    PageCache(tmp_path).put("k", Rendered(b"body", "t/t"), BUILT, DEPS)
    (entry,) = tmp_path.iterdir()
    entry.write_bytes(b"garbage")
    assert PageCache(tmp_path).get("k") is None


def test_catalogue_stamp_equals_the_catalogue_cache_key(app, session):
    from comms.catalogue.stamp import PAGE_STAMPS, cache_key
    from tests.factories import future, make_item, past

    engine = app.extensions["comms"].engine
    moment = past(0)

    def both() -> tuple[str, str]:
        with engine.connect() as connection:
            return PAGE_STAMPS.stamp(connection, moment), cache_key(session, moment)

    empty = both()
    assert empty[0] == empty[1]
    make_item(session, published_at=past(3))
    make_item(session, published_at=future(3))
    one = both()
    assert one[0] == one[1] != empty[0]
    moment = future(4)
    later = both()
    assert later[0] == later[1] != one[0]


def test_the_stamp_reader_equals_the_cache_key_as_items_and_time_change(app, session):
    from comms.cache import StampReader
    from comms.catalogue.stamp import PAGE_STAMPS, cache_key
    from tests.factories import future, make_item, past

    reader = StampReader(app.extensions["comms"].engine, PAGE_STAMPS)
    try:
        make_item(session, published_at=past(3))
        make_item(session, published_at=future(3))
        # forward past the scheduled item, back again (a frozen clock in tests)
        for moment in (past(0), future(4), past(0), future(4)):
            assert reader.stamp(moment) == cache_key(session, moment)
        make_item(session, published_at=past(1))
        assert reader.stamp(past(0)) == cache_key(session, past(0))
    finally:
        reader.close()


def test_a_repeated_conditional_get_sees_a_publish_at_once(client, session):
    from tests.factories import make_item, past

    make_item(session, published_at=past(2))
    etag = client.get("/").headers["ETag"]
    conditional = {"If-None-Match": etag}
    assert client.get("/", headers=conditional).status_code == 304
    assert client.get("/", headers=conditional).status_code == 304  # replayed
    make_item(session, published_at=past(1))
    fresh = client.get("/", headers=conditional)
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != etag


def test_every_feed_304_is_counted_even_when_replayed(app, client, session):
    from sqlalchemy import func, select

    from comms.kpi.models import DailyCount
    from tests.factories import make_item, past

    make_item(session, published_at=past(2))
    etag = client.get("/feed.xml").headers["ETag"]
    for _ in range(3):
        response = client.get("/feed.xml", headers={"If-None-Match": etag})
        assert response.status_code == 304
    fetches = session.scalar(
        select(func.sum(DailyCount.count)).where(DailyCount.metric == "feed_fetch")
    )
    assert fetches == 4  # the first GET and every 304


def test_a_reader_of_another_host_sees_a_change_at_once(app, session):
    """A reader that shares only the database (no folder, no process) with the
    writer: the version row tells it, on the very next snapshot."""
    from sqlalchemy import update

    from comms.cache import StampReader
    from comms.catalogue.stamp import PAGE_STAMPS, SiteState, cache_key
    from tests.factories import make_item, past

    make_item(session, published_at=past(3))
    reader = StampReader(app.extensions["comms"].engine, PAGE_STAMPS)
    try:
        moment = past(0)
        first = reader.stamp(moment)
        assert reader.stamp(moment) == first
        # An edit made with SQL by hand, as by another host.
        with app.extensions["comms"].engine.begin() as connection:
            connection.execute(
                update(SiteState)
                .where(SiteState.name == "catalogue")
                .values(value=SiteState.value + 1)
            )
        assert reader.stamp(moment) == cache_key(session, moment) != first
    finally:
        reader.close()


def test_an_entry_stays_fresh_until_one_of_its_keys_is_stamped(app, session):
    from comms.cache import StampReader
    from comms.catalogue.stamp import PAGE_STAMPS, item_key, kind_key, tag_key
    from tests.factories import make_item, past

    first = make_item(session, kind="report", slug="one", tags=["clusters"])
    reader = StampReader(app.extensions["comms"].engine, PAGE_STAMPS)
    other = StampReader(app.extensions["comms"].engine, PAGE_STAMPS)
    try:
        built = reader.snapshot(past(0))
        page = built.deps([item_key("report", "one")])
        listing = built.deps([kind_key("press_release")])
        topic = built.deps([tag_key("clusters")])
        everything = built.deps([])
        make_item(session, kind="report", slug="two", tags=["energy"])
        # ``other`` starts now: it asks the database about older entries
        for looking in (reader, other):
            now = looking.snapshot(past(0))
            assert now.version > built.version
            assert looking.fresh(page, now)
            assert looking.fresh(listing, now)
            assert looking.fresh(topic, now)
            assert not looking.fresh(everything, now)
        first.title = "Edited"
        session.commit()
        for looking in (reader, other):
            now = looking.snapshot(past(0))
            assert not looking.fresh(page, now)
            assert not looking.fresh(topic, now)  # its card on the topic's page
            assert looking.fresh(listing, now)
    finally:
        reader.close()
        other.close()


def test_an_entry_is_stale_when_a_scheduled_item_of_its_keys_comes_due(app, session):
    from comms.cache import StampReader
    from comms.catalogue.stamp import PAGE_STAMPS, kind_key, tag_key
    from tests.factories import future, make_item, past

    make_item(session, kind="report", tags=["clusters"], published_at=past(2))
    make_item(session, kind="event", tags=["energy"], published_at=future(2))
    reader = StampReader(app.extensions["comms"].engine, PAGE_STAMPS)
    try:
        built = reader.snapshot(past(0))
        reports = built.deps([kind_key("report"), tag_key("clusters")])
        events = built.deps([kind_key("event")])
        energy = built.deps([tag_key("energy")])
        later = reader.snapshot(future(3))  # no write: only the clock moved
        assert later.version == built.version
        assert reader.fresh(reports, later)
        assert not reader.fresh(events, later)
        assert not reader.fresh(energy, later)
        assert not reader.fresh(built.deps([]), later)
    finally:
        reader.close()


def _count_app_runs(app) -> list[str]:
    """Wrap what the replay middleware calls: the paths that reached Flask."""
    ran: list[str] = []
    inner = app.wsgi_app.wsgi_app

    def counted(environ, start_response):
        ran.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app.wsgi_app = counted
    return ran


def test_a_repeated_get_is_replayed_whole_until_the_catalogue_changes(
    app, client, session
):
    from tests.factories import make_item, past

    make_item(session, title="First", published_at=past(2))
    ran = _count_app_runs(app)
    first = client.get("/")
    again = client.get("/")
    assert ran == ["/"]  # the second answer never reached Flask
    assert again.status_code == 200
    assert again.data == first.data
    assert again.headers == first.headers
    make_item(session, title="Second", published_at=past(1))
    fresh = client.get("/")
    assert ran == ["/", "/"]
    assert b"Second" in fresh.data and fresh.headers["ETag"] != first.headers["ETag"]


def test_answers_setting_a_cookie_or_not_from_the_cache_are_not_replayed(
    app, client, session
):
    from tests.factories import make_item

    make_item(session, slug="pr")
    ran = _count_app_runs(app)
    for _ in range(2):
        app.test_client().get("/?lang=de")  # sets the language cookie
        client.get("/healthz")
        client.head("/")
    assert ran == ["/", "/healthz", "/"] * 2


def test_a_replayed_item_page_counts_as_a_view_of_the_replaying_reader(
    app, client, session
):
    from comms.kpi import counting
    from tests.factories import make_item
    from tests.kpi.helpers import counts

    make_item(session, slug="launch")
    ran = _count_app_runs(app)
    bot = {"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}
    reader = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    client.get("/press-releases/launch/", headers=bot)
    client.get("/press-releases/launch/", headers=reader)
    client.get("/press-releases/launch/", headers=reader)
    assert ran == ["/press-releases/launch/"]
    assert counts(session, counting.ITEM_VIEW) == {
        (counting.today(), "press-releases/launch"): 2
    }


def _hooked_page(app, calls):
    """A cached test page whose answer hands the page cache one replay hook."""
    from comms.cache import cached_response, on_replay, request_key

    def view():
        on_replay(lambda environ: calls.append(environ["HTTP_USER_AGENT"]))
        return cached_response(
            request_key([]), lambda: Rendered(b"hooked", "text/plain")
        )

    app.add_url_rule("/hooked", "hooked", view)


def test_a_replay_runs_the_hooks_its_answer_was_handed_with_the_replaying_request(
    app, client, session
):
    calls: list[str] = []
    _hooked_page(app, calls)
    ran = _count_app_runs(app)
    client.get("/hooked", headers={"User-Agent": "first"})
    assert calls == []  # served by the app: nothing replayed yet
    for agent in ("second", "third"):
        answer = client.get("/hooked", headers={"User-Agent": agent})
        assert answer.data == b"hooked"
    assert ran == ["/hooked"]
    assert calls == ["second", "third"]


def test_a_hook_of_an_answer_that_is_not_kept_never_runs(app, client, session):
    from comms.self_requests import STATIC_COPY, mark

    calls: list[str] = []
    _hooked_page(app, calls)
    ran = _count_app_runs(app)
    for _ in range(2):  # a static copy's answers are neither stored nor replayed
        client.get("/hooked", environ_base=mark(STATIC_COPY))
    assert ran == ["/hooked", "/hooked"]
    assert calls == []


def test_the_page_cache_serves_and_replays_with_counting_off(settings):
    """No counting subscribed: the cache stores, answers 304s and replays alone."""
    from dataclasses import replace

    from comms import create_app
    from comms.db import init_db
    from comms.kpi import counting
    from tests.factories import make_item
    from tests.kpi.helpers import counts

    app = create_app(replace(settings, counting=False))
    init_db(app.extensions["comms"].engine)
    try:
        assert counting.BUFFER_KEY not in app.extensions
        with app.extensions["comms"].sessionmaker() as session:
            make_item(session, slug="launch")
            ran = _count_app_runs(app)
            client = app.test_client()
            first = client.get("/press-releases/launch/")
            again = client.get("/press-releases/launch/")
            etag = {"If-None-Match": first.headers["ETag"]}
            for _ in range(2):
                answer = client.get("/press-releases/launch/", headers=etag)
                assert answer.status_code == 304
            assert first.status_code == 200 and again.data == first.data
            assert ran == ["/press-releases/launch/"] * 2  # a page, then its 304
            assert counts(session, counting.ITEM_VIEW) == {}
    finally:
        app.extensions["comms"].engine.dispose()


def test_a_restart_with_another_site_url_serves_no_page_stored_before(
    settings, session
):
    # The same instance folder (its page cache) and database, as a site moved to its
    # real domain and restarted: the pages and feeds stored under the old address
    # were served until the catalogue changed.
    from dataclasses import replace

    from comms import create_app
    from tests.factories import make_item

    make_item(session, title="Moved site")
    session.commit()
    seen = {}
    for address in ("https://old.example.org", "https://new.example.org"):
        app = create_app(replace(settings, site_url=address))
        client = app.test_client()
        try:
            for path in ("/feed.xml", "/"):
                for _ in range(2):  # a page is stored on its second request
                    body = client.get(path).get_data(as_text=True)
                seen[address, path] = body
        finally:
            app.extensions["comms"].engine.dispose()
    for path in ("/feed.xml", "/"):
        assert "https://old.example.org" in seen["https://old.example.org", path]
        assert "https://new.example.org" in seen["https://new.example.org", path]
        assert "https://old.example.org" not in seen["https://new.example.org", path]

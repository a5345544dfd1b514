"""The shared page cache on disk: atomic entries, ETags, pruning of old stamps."""

from __future__ import annotations

from datetime import UTC, datetime

from comms.cache import PageCache, Rendered, etag_of

BUILT = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=UTC)


def test_put_then_get_gives_the_same_bytes_type_etag_and_time(tmp_path):
    cache = PageCache(tmp_path / "cache")
    assert cache.get("1-100", "/feed.xml?lang=en") is None
    stored = cache.put("1-100", "/feed.xml?lang=en", Rendered(b"<rss/>", "a/b"), BUILT)
    found = cache.get("1-100", "/feed.xml?lang=en")
    assert found == stored
    assert found.body == b"<rss/>"
    assert found.content_type == "a/b"
    assert found.etag == etag_of(b"<rss/>")
    assert found.last_modified == BUILT.replace(microsecond=0)
    assert cache.get("1-100", "/feed.atom?lang=en") is None
    assert cache.get("2-100", "/feed.xml?lang=en") is None


def test_another_process_reads_what_one_stored(tmp_path):
    body = b"line one\nline two\r\n\n\x00binary"
    stored = PageCache(tmp_path).put("s", "k", Rendered(body, "text/plain"), BUILT)
    assert PageCache(tmp_path).get("s", "k") == stored


def test_memory_keeps_only_recent_entries_of_the_current_stamp(tmp_path):
    cache = PageCache(tmp_path, memory=2)
    for n in range(3):
        cache.put("s", f"k{n}", Rendered(b"x%d" % n, "t/t"), BUILT)
    for entry in (tmp_path / "s").iterdir():
        entry.unlink()
    assert cache.get("s", "k0") is None
    assert cache.get("s", "k2").body == b"x2"
    cache.put("t", "k2", Rendered(b"new", "t/t"), BUILT)
    assert cache.get("s", "k2") is None


def test_a_new_stamp_prunes_older_stamps(tmp_path):
    cache = PageCache(tmp_path)
    cache.put("1-100", "a", Rendered(b"old", "t/t"), BUILT)
    cache.put("2-100", "a", Rendered(b"new", "t/t"), BUILT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2-100"]
    assert cache.get("1-100", "a") is None
    assert cache.get("2-100", "a").body == b"new"


def test_a_folder_past_its_limit_drops_its_oldest_half(tmp_path):
    cache = PageCache(tmp_path, max_entries=4)
    for n in range(5):  # written by two processes: each within its own limit
        writer = cache if n % 2 else PageCache(tmp_path, max_entries=4)
        writer.put("s", f"key-{n}", Rendered(b"x", "t/t"), BUILT)
    cache.prune(keep="s")
    left = [p for p in (tmp_path / "s").iterdir()]
    assert len(left) == 3
    assert not [p for p in left if p.name.startswith(".tmp")]


def test_a_corrupt_entry_is_a_miss(tmp_path):
    PageCache(tmp_path).put("s", "k", Rendered(b"body", "t/t"), BUILT)
    (entry,) = (tmp_path / "s").iterdir()
    entry.write_bytes(b"garbage")
    assert PageCache(tmp_path).get("s", "k") is None


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


def test_each_process_keeps_at_most_its_limit_removing_its_oldest(tmp_path):
    cache = PageCache(tmp_path, max_entries=3)
    for n in range(5):
        cache.put("s", f"key-{n}", Rendered(b"x%d" % n, "t/t"), BUILT)
    assert len(list((tmp_path / "s").iterdir())) == 3
    fresh = PageCache(tmp_path)  # another process: nothing in its memory
    assert fresh.get("s", "key-1") is None
    assert [fresh.get("s", f"key-{n}").body for n in (2, 3, 4)] == [b"x2", b"x3", b"x4"]
    cache.put("t", "key-0", Rendered(b"new", "t/t"), BUILT)  # a new stamp starts over
    cache.put("t", "key-1", Rendered(b"new", "t/t"), BUILT)
    assert len(list((tmp_path / "t").iterdir())) == 2


class _CountingReader:
    """A StampReader on the app's cache folder whose version reads are counted."""

    def __init__(self, app):
        from comms.cache import StampReader
        from comms.catalogue.stamp import PAGE_STAMPS

        root = app.extensions["comms"].settings.instance_path / "cache"
        self.reader = StampReader(
            app.extensions["comms"].engine, PAGE_STAMPS, PAGE_STAMPS.signal_path(root)
        )
        self.reads = 0
        real = self.reader.version

        def counted() -> int:
            self.reads += 1
            return real()

        self.reader.version = counted  # type: ignore[method-assign]


def test_a_commit_signals_every_reader_sharing_the_cache_folder(app, session):
    from comms.catalogue.stamp import cache_key
    from tests.factories import make_item, past

    make_item(session, published_at=past(3))
    other = _CountingReader(app)  # another worker process: not told in-process
    try:
        moment = past(0)
        first = other.reader.stamp(moment)
        reads = other.reads
        for _ in range(5):  # the signal holds: no database read at all
            assert other.reader.stamp(moment) == first
        assert other.reads == reads
        make_item(session, published_at=past(2))  # committed here, signalled
        assert other.reader.stamp(moment) == cache_key(session, moment) != first
    finally:
        other.reader.close()


def test_a_change_the_signal_misses_is_seen_within_the_recheck_time(
    app, session, monkeypatch
):
    from sqlalchemy import update

    import comms.cache
    from comms.catalogue.stamp import SiteState, cache_key
    from tests.factories import make_item, past

    monkeypatch.setattr(comms.cache, "RECHECK_SECONDS", 0.2)
    make_item(session, published_at=past(3))
    other = _CountingReader(app)
    try:
        moment = past(0)
        before = other.reader.stamp(moment)
        # An edit made with SQL by hand (or by a host with its own cache folder).
        with app.extensions["comms"].engine.begin() as connection:
            connection.execute(
                update(SiteState)
                .where(SiteState.name == "catalogue")
                .values(value=SiteState.value + 1)
            )
        import time

        time.sleep(0.25)
        assert other.reader.stamp(moment) == cache_key(session, moment) != before
    finally:
        other.reader.close()


def test_without_a_signal_file_every_stamp_reads_the_version(app, session):
    from comms.cache import StampReader
    from comms.catalogue.stamp import PAGE_STAMPS, cache_key
    from tests.factories import make_item, past

    make_item(session, published_at=past(3))
    reader = StampReader(app.extensions["comms"].engine, PAGE_STAMPS)  # no signal file
    try:
        moment = past(0)
        first = reader.stamp(moment)
        with app.extensions["comms"].engine.begin() as connection:
            from sqlalchemy import update

            from comms.catalogue.stamp import SiteState

            connection.execute(
                update(SiteState)
                .where(SiteState.name == "catalogue")
                .values(value=SiteState.value + 1)
            )
        assert reader.stamp(moment) == cache_key(session, moment) != first
    finally:
        reader.close()


def test_a_reader_starts_a_missing_signal_and_then_trusts_it(app, session):
    from comms.catalogue.stamp import cache_key
    from tests.factories import make_item, past

    make_item(session, published_at=past(3))
    other = _CountingReader(app)
    other.reader.signal.unlink()  # as after a bulk load: nobody signalled yet
    try:
        moment = past(0)
        first = other.reader.stamp(moment)
        assert other.reader.signal.is_file()
        reads = other.reads
        for _ in range(5):
            assert other.reader.stamp(moment) == first
        assert other.reads == reads
        make_item(session, published_at=past(2))
        assert other.reader.stamp(moment) == cache_key(session, moment) != first
    finally:
        other.reader.close()


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

"""Public catalogue pages: the news page, listings, item pages and downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from comms import cache, kinds
from comms.cache import Rendered, cached_response, page_key
from comms.catalogue import service
from comms.catalogue.covers import MEDIA_TYPE as COVER_TYPE
from comms.catalogue.covers import find_cover
from comms.catalogue.downloads import is_download
from comms.catalogue.export_source import CatalogueSource
from comms.catalogue.images import Picture, item_picture, shown_picture
from comms.catalogue.media import MEDIA_MAX_AGE
from comms.catalogue.models import (
    KIND_PLURALS,
    PLURAL_KINDS,
    Item,
    ItemRegion,
    ItemTag,
)
from comms.catalogue.related import cover_file, related_items
from comms.catalogue.stamp import (
    PAGE_STAMPS,
    item_page_keys,
    kind_key,
    region_key,
    tag_key,
)
from comms.catalogue.urls import register_converter
from comms.context import (
    comms_state,
    get_session,
    interface_language,
    language_despite_query,
    now,
    preferred_languages,
    requested_language,
)
from comms.errors import NotFound
from comms.self_requests import is_visit
from comms.sitemap import in_sitemap
from comms.static_export import register_source

bp = Blueprint("catalogue", __name__)


def _kind_variants() -> list[dict[str, str]]:
    """Every kind's listing (what the sitemap lists)."""
    return [{"plural": kind.plural} for kind in kinds.all_kinds()]


HTML = "text/html; charset=utf-8"
PAGE_VARY = "Accept-Language, Cookie"
PAGE_MAX_AGE = 60


class _Redirect(Exception):
    """Raised while building a page that must redirect instead (never cached)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def _listing(
    kind: str | None, *, topic: str | None = None, region: str | None = None
) -> Response:
    """A listing; ``topic`` or ``region`` make it that topic's or region's page."""
    site = comms_state().site
    query = service.ListingQuery(
        kind=kind or service.parse_kind(request.args.get("kind")),
        tag=topic or request.args.get("tag") or None,
        region=region or request.args.get("region") or None,
        language=interface_language(),
        page=service.parse_page(request.args.get("page")),
        fallbacks=tuple(preferred_languages()[1:]),
        # COMMS_VIDEO_PUBLIC_TYPES governs the news page (and the feeds); the
        # /videos/ listing is the whole video catalogue and shows every type.
        video_types=comms_state().settings.video_public_types if kind is None else None,
    )

    def build() -> Rendered:
        # The news page (and its ?kind= filter) shows every kind: it names no key.
        if topic:
            cache.depends_on(tag_key(topic))
        elif region:
            cache.depends_on(region_key(region))
        elif kind:
            cache.depends_on(kind_key(kind))
        dated = kind is not None and kinds.get(kind).has_dates
        lister = service.list_events if dated else service.list_items
        found = lister(
            get_session(),
            query,
            default_language=site.default_language,
            now=now(),
            page_size=comms_state().settings.page_size,
        )
        page = found.past if isinstance(found, service.EventsPage) else found
        upcoming = found.upcoming if isinstance(found, service.EventsPage) else None
        if not page.items and query.page > 1:
            raise NotFound(f"page {query.page} is past the end of this listing")
        # A topic exists while a public item carries it, a region while site.yml
        # names it or a public item carries it.
        if not page.items and not upcoming:
            if topic:
                raise NotFound(f"no public item is on the topic {topic!r}")
            if region and region not in site.regions:
                raise NotFound(f"no public item is from the region {region!r}")
        html = render_template(
            "catalogue/listing.html",
            page=page,
            upcoming=upcoming,
            query=query,
            kind=kind,
            topic=topic,
            region=region,
        )
        return Rendered(html.encode(), HTML)

    key = page_key(("lang", query.language), ("want", ",".join(query.fallbacks)))
    return cached_response(key, build, max_age=PAGE_MAX_AGE, vary=PAGE_VARY)


@bp.get("/")
@in_sitemap()
def news() -> Response:
    """The news page: the latest public items of every kind."""
    return _listing(None)


@bp.get("/<plural:plural>/")
@in_sitemap(_kind_variants)
def listing(plural: str) -> Response:
    """A listing of one kind, with the same filters as the news page."""
    return _listing(PLURAL_KINDS[plural])


def topic_label(tag: str) -> str:
    """A topic's label in the interface language (site.yml's topics), else its tag
    prettified."""
    return comms_state().site.topic_label(tag, language_despite_query())


def _public_video_types() -> tuple[str, ...]:
    return comms_state().settings.video_public_types


def _topic_variants() -> list[dict[str, str]]:
    """Every topic a public item is on (what the sitemap lists)."""
    tags = service.names_in_use(
        get_session(), ItemTag, now=now(), video_types=_public_video_types()
    )
    return [{"topic": tag} for tag in tags]


def _region_variants() -> list[dict[str, str]]:
    """Every region site.yml names or a public item is from."""
    used = service.names_in_use(
        get_session(), ItemRegion, now=now(), video_types=_public_video_types()
    )
    return [{"region": r} for r in sorted(set(comms_state().site.regions) | set(used))]


@bp.get("/topics/<topic>/")
@in_sitemap(_topic_variants)
def topic(topic: str) -> Response:
    """Everything public on one topic (a tag), as the news page filtered by it."""
    return _listing(None, topic=topic)


@bp.get("/regions/<region>/")
@in_sitemap(_region_variants)
def region(region: str) -> Response:
    """Everything public from one region, as the news page filtered by it."""
    return _listing(None, region=region)


@bp.get("/<plural:plural>/<slug>/")
def item(plural: str, slug: str) -> Response | WerkzeugResponse:
    """One item, in the visitor's language where a version exists."""
    site = comms_state().site
    wanted = preferred_languages()
    explicit = requested_language()

    def build() -> Rendered:
        found = service.get_item_page(
            get_session(),
            PLURAL_KINDS[plural],
            slug,
            wanted=wanted,
            default_language=site.default_language,
            now=now(),
        )
        if explicit and found.item.language != explicit:
            other = next((v for v in found.versions if v.language == explicit), None)
            if other is not None:
                raise _Redirect(
                    url_for(
                        "catalogue.item", plural=plural, slug=other.slug, lang=explicit
                    )
                )
        cache.depends_on(*item_page_keys(found.item))
        related = related_items(
            get_session(), found.item, default_language=site.default_language,
            now=now(), video_types=comms_state().settings.video_public_types,
        )  # fmt: skip
        html = render_template(
            "catalogue/item.html",
            item=found.item,
            versions=found.versions,
            related=related,
        )
        return Rendered(html.encode(), HTML)

    key = page_key(("lang", explicit or ""), ("want", ",".join(wanted)))
    try:
        return cached_response(key, build, max_age=PAGE_MAX_AGE, vary=PAGE_VARY)
    except _Redirect as moved:
        return redirect(moved.location)
    except NotFound:
        languages = [explicit, *wanted] if explicit else wanted
        renamed = _renamed(PLURAL_KINDS[plural], slug, languages)
        if renamed is None:
            raise
        target = url_for("catalogue.item", plural=plural, slug=renamed.slug)
        if explicit:
            target += "?" + urlencode({"lang": explicit})
        return redirect(target, code=308)


def _renamed(
    kind: str, slug: str, wanted: list[str], filename: str | None = None
) -> Item | None:
    """The public item that had this slug before a rename (see find_moved)."""
    return service.find_moved(
        get_session(),
        kind,
        slug,
        wanted=wanted,
        default_language=comms_state().site.default_language,
        now=now(),
        filename=filename,
    )


@bp.route("/reports/<slug>/files/<filename>", methods=["GET", "HEAD"])
def download(slug: str, filename: str) -> Response | WerkzeugResponse:
    """A report's file, counted once per download (see catalogue.downloads)."""
    session = get_session()
    try:
        report_file = service.find_download(session, slug, filename, now=now())
    except NotFound:
        renamed = _renamed("report", slug, preferred_languages(), filename)
        if renamed is None:
            raise
        return redirect(
            url_for("catalogue.download", slug=renamed.slug, filename=filename),
            code=308,
        )
    path = comms_state().store.path_for(report_file.sha256)
    if not path.exists():
        raise NotFound(f"the file {filename!r} is missing from the media store")
    response = send_file(
        path,
        mimetype=report_file.media_type,
        as_attachment=True,
        download_name=report_file.filename,
        conditional=True,
        etag=report_file.sha256,
        # Short: the file stops being public the moment its report does.
        max_age=MEDIA_MAX_AGE,
    )
    counted = is_download(
        request.method, response.status_code, response.headers.get("Content-Range")
    )
    if counted and is_visit(request.environ):
        service.count_download(session, report_file)
    return response


@bp.route("/reports/<slug>/cover.jpg", methods=["GET", "HEAD"])
def cover(slug: str) -> Response:
    """A report's cover (its first PDF's first page), while its page answers."""
    store = comms_state().store
    report_file = cover_file(get_session(), slug, now=now())
    found = find_cover(store, report_file.sha256)
    if found is None:
        raise NotFound(f"the report {slug!r} has no cover")
    return send_file(
        store.path_for(found.key),
        mimetype=COVER_TYPE,
        conditional=True,
        etag=found.key,
        max_age=MEDIA_MAX_AGE,
    )


def card_picture(item: Item) -> Picture | None:
    """The picture cards and item pages show (None: the branded placeholder)."""
    return shown_picture(item, comms_state().store)


def init_app(app: Flask) -> None:
    """Register the public catalogue pages (cached, keyed on the catalogue stamp)."""
    cache.init_app(app, PAGE_STAMPS, now)
    register_source(app, CatalogueSource())
    register_converter(app)
    app.register_blueprint(bp)
    app.jinja_env.globals["KIND_PLURALS"] = KIND_PLURALS
    app.jinja_env.globals["item_kinds"] = kinds.all_kinds
    app.jinja_env.globals["kind_of"] = kinds.get
    app.jinja_env.globals["item_picture"] = item_picture
    app.jinja_env.globals["card_picture"] = card_picture
    app.jinja_env.globals["topic_label"] = topic_label

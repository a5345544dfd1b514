"""Public newsletter pages: archive, web versions, feed, subscribe, confirm, leave."""

from __future__ import annotations

import logging
import smtplib

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from comms import csrf, ratelimit
from comms.cache import Rendered, cached_response, page_key, request_key
from comms.catalogue.views import HTML, PAGE_MAX_AGE, PAGE_VARY
from comms.context import (
    comms_state,
    get_session,
    now,
    preferred_languages,
    requested_language,
)
from comms.errors import ConfigMissing, ValidationFailed
from comms.feeds.build import MEDIA_TYPES
from comms.feeds.views import FEED_MAX_AGE
from comms.i18n import translated
from comms.newsletter import service
from comms.newsletter.feed import render_issue_feed
from comms.newsletter.mail import (
    ConfirmationMailer,
    Envelope,
    SmtpConfig,
    SmtpTransport,
)
from comms.newsletter.models import Subscriber
from comms.newsletter.tokens import (
    TokenExpired,
    TokenInvalid,
    read_confirm_token,
    read_preferences_token,
    read_unsubscribe_token,
)
from comms.sitemap import in_sitemap

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")
log = logging.getLogger(__name__)
ONE_CLICK = "List-Unsubscribe=One-Click"
# How often one client (an IPv4 address or an IPv6 /64) and one mailbox (the
# address without its +tag, any case) may ask for a confirmation mail.
PER_CLIENT = ratelimit.per(5, 10 * 60)
PER_MAILBOX = ratelimit.per(3, 60 * 60)


def _message(title: str, message: str, status: int) -> tuple[str, int]:
    return render_template(
        "newsletter/message.html", title=title, message=translated(message)
    ), status


_INVALID_ADDRESS = " is not a valid e-mail address"


def _form_error(problem: str) -> str:
    """A service's ``field: reason`` problem as a sentence in the visitor's language."""
    field, _sep, reason = problem.partition(": ")
    if field == "email" and reason.endswith(_INVALID_ADDRESS):
        address = reason.removesuffix(_INVALID_ADDRESS)
        return str(
            gettext("%(address)s is not a valid e-mail address", address=address)
        )
    if field == "language" and reason.startswith("choose one of "):
        choices = reason.removeprefix("choose one of ")
        return str(gettext("choose one of %(languages)s", languages=choices))
    return translated(reason)


@bp.get("/")
@in_sitemap()
def archive() -> Response:
    """The archive of published issues, newest first."""
    site = comms_state().site
    wanted = preferred_languages()

    def build() -> Rendered:
        letters = service.archive(
            get_session(),
            wanted=wanted,
            default_language=site.default_language,
            now=now(),
        )
        html = render_template("newsletter/archive.html", letters=letters)
        return Rendered(html.encode(), HTML)

    key = page_key(("want", ",".join(wanted)))
    return cached_response(key, build, max_age=PAGE_MAX_AGE, vary=PAGE_VARY)


@bp.get("/feed.<any(xml, atom, json):fmt>")
def feed(fmt: str) -> Response:
    """The published issues as RSS 2.0, Atom or JSON Feed, in the ``?lang=`` language.

    Only ``?lang=`` chooses the language (never the browser's), so the feed does not
    vary by Accept-Language.
    """
    state = comms_state()
    language = requested_language() or state.site.default_language

    def build() -> Rendered:
        body = render_issue_feed(
            get_session(),
            fmt,
            language=language,
            settings=state.settings,
            site=state.site,
            now=now(),
        )
        return Rendered(body, MEDIA_TYPES[fmt])

    return cached_response(
        request_key([("lang", language)]), build, max_age=FEED_MAX_AGE
    )


@bp.get("/<slug>/")
def issue(slug: str) -> Response:
    """The web version of an issue, in the visitor's language where one exists."""
    site = comms_state().site
    wanted = preferred_languages()

    def build() -> Rendered:
        page = service.issue_page(
            get_session(),
            slug,
            wanted=wanted,
            default_language=site.default_language,
            now=now(),
        )
        return Rendered(
            render_template("newsletter/issue.html", page=page).encode(), HTML
        )

    key = page_key(("want", ",".join(wanted)))
    return cached_response(key, build, max_age=PAGE_MAX_AGE, vary=PAGE_VARY)


def _form(errors: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    choices = service.topic_choices(get_session(), now())
    return render_template(
        "newsletter/subscribe.html",
        errors=errors or [],
        topics=choices,
        form=request.form,
    ), status


def _over_limit(email: str) -> Response | None:
    """A 429 answer when this client or this mailbox asked too often, else None.

    The client's limit is counted first, so requests it is refused do not use up
    a mailbox's allowance.
    """
    limiter = ratelimit.limiter(current_app)
    try:
        verdict = limiter.hit(
            PER_CLIENT, "subscribe-client", ratelimit.request_client()
        )
        if verdict.allowed:
            verdict = limiter.hit(
                PER_MAILBOX, "subscribe-mailbox", service.mailbox_key(email)
            )
    except ratelimit.LimitsUnavailable as exc:
        # Closed rather than open: without its limits the form would mail anyone.
        log.error("newsletter subscription refused: %s", exc)
        page, status = _message(
            gettext("Subscriptions are closed for now"),
            gettext(
                "The site cannot check how often subscriptions were asked for at "
                "the moment, so it cannot take them. Nothing was stored. Please "
                "try again later."
            ),
            503,
        )
        return Response(page, status, headers={"Retry-After": "60"})
    if verdict.allowed:
        return None
    minutes = max(1, -(-verdict.retry_after // 60))
    page, status = _message(
        gettext("Too many requests"),
        gettext(
            "There have been too many subscription requests from your connection "
            "or for this address. Nothing was sent. Please try again in "
            "%(minutes)s min.",
            minutes=minutes,
        ),
        429,
    )
    return Response(page, status, headers={"Retry-After": str(verdict.retry_after)})


@bp.route("/subscribe", methods=["GET", "POST"])
@csrf.protect
def subscribe() -> Response | tuple[str, int]:
    """The subscribe form; a POST starts double opt-in (CSRF-checked)."""
    if request.method == "GET":
        return _form()
    state = comms_state()
    site = state.site
    try:
        wanted = service.checked_request(
            request.form.get("email", ""),
            request.form.get("language", site.default_language),
            languages=site.languages,
            topics=request.form.getlist("topic"),
            regions=request.form.getlist("region"),
            offered_topics=service.topic_choices(get_session(), now()),
            offered_regions=site.regions,
        )
    except ValidationFailed as exc:
        return _form([_form_error(p) for p in exc.problems], 400)
    refused = _over_limit(wanted.email)
    if refused is not None:
        return refused
    settings = state.settings
    try:
        config = SmtpConfig.parse(settings.smtp_url)
        envelope = Envelope.from_settings(
            settings.mail_from, settings.site_url, settings.secret_key
        )
    except ConfigMissing as exc:
        log.error("newsletter subscription refused: %s", exc)
        return _message(
            gettext("Subscriptions are closed for now"),
            gettext(
                "The site cannot send e-mail at the moment, so it cannot take "
                "subscriptions. Nothing was stored. Please try again later."
            ),
            503,
        )
    mailer_env = current_app.jinja_env
    try:
        with SmtpTransport(config, timeout=20) as transport:
            service.subscribe(
                get_session(),
                wanted,
                now=now(),
                send_confirmation=ConfirmationMailer(
                    mailer_env, site, envelope, transport
                ),
            )
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("confirmation mail not sent: %s", type(exc).__name__)
        return _message(
            gettext("The confirmation e-mail could not be sent"),
            gettext(
                "The mail server did not accept the confirmation e-mail for this "
                "address. Nothing was stored. Please check the address, or try "
                "again later."
            ),
            503,
        )
    return render_template("newsletter/check_inbox.html"), 200


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> tuple[str, int]:
    """GET shows one button; the POST confirms the subscription."""
    state = comms_state()
    try:
        claim = read_confirm_token(state.settings.secret_key, token)
        if request.method == "POST":
            service.confirm(get_session(), claim, now=now())
            return render_template("newsletter/confirm.html", done=True), 200
    except TokenInvalid as exc:
        return _message(gettext("This link does not work"), str(exc), 400)
    except TokenExpired as exc:
        return _message(gettext("This link has expired"), str(exc), 400)
    return render_template("newsletter/confirm.html", done=False), 200


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> tuple[str, int]:
    """GET shows one button and changes nothing; any POST unsubscribes at once.

    The POST needs no CSRF token: the signed link is the authority, and RFC 8058
    one-click requests come from mail clients that have no session.
    """
    try:
        key = read_unsubscribe_token(comms_state().settings.secret_key, token)
    except TokenInvalid as exc:
        return _message(gettext("This link does not work"), str(exc), 400)
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        service.unsubscribe(
            get_session(),
            key,
            now=now(),
            method="one-click (mail client)" if one_click else "unsubscribe page",
        )
        return render_template("newsletter/unsubscribe.html", done=True), 200
    return render_template("newsletter/unsubscribe.html", done=False), 200


def _offered(subscriber: Subscriber) -> tuple[list[str], list[str]]:
    """The topics and regions the page offers: the subscribe form's, and the ones
    this subscriber already has (so that they can keep or drop them)."""
    site = comms_state().site
    topics = sorted({*service.topic_choices(get_session(), now()), *subscriber.topics})
    # In the subscribe form's order: by the region's name in site.yml.
    regions = sorted(
        {*site.regions, *subscriber.regions},
        key=lambda slug: ((site.regions.get(slug) or slug).casefold(), slug),
    )
    return topics, regions


def _preferences_form(
    subscriber: Subscriber,
    *,
    errors: list[str] | None = None,
    chosen: dict[str, list[str]] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    topics, regions = _offered(subscriber)
    values = chosen or {
        "language": [subscriber.language],
        "topic": list(subscriber.topics),
        "region": list(subscriber.regions),
    }
    page = render_template(
        "newsletter/preferences.html",
        topics=topics,
        regions=regions,
        values=values,
        errors=errors or [],
        saved=saved,
    )
    response = Response(page, status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # one person's choices
    return response


@bp.route("/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str) -> BaseResponse | tuple[str, int]:
    """A subscriber's language, topics and regions, changed from a link in a mail.

    Like the unsubscribe link, the signed token is the authority (the page takes
    no CSRF token: a forged request would need the secret link). A POST with
    ``action=unsubscribe`` withdraws the subscription.
    """
    state = comms_state()
    try:
        key = read_preferences_token(state.settings.secret_key, token)
    except TokenInvalid as exc:
        return _message(gettext("This link does not work"), str(exc), 400)
    session = get_session()
    subscriber = service.subscriber_by_key(session, key)
    if subscriber is None or subscriber.status != "confirmed":
        return _message(
            gettext("This address is not subscribed"),
            gettext(
                "The address this link was sent to no longer gets the newsletter. "
                "You can subscribe again at any time."
            ),
            404,
        )
    if request.method == "GET":
        return _preferences_form(subscriber, saved=request.args.get("saved") == "1")
    if request.form.get("action") == "unsubscribe":
        service.unsubscribe(session, key, now=now(), method="preferences page")
        return render_template("newsletter/unsubscribe.html", done=True), 200
    topics, regions = _offered(subscriber)
    chosen = {
        "language": [request.form.get("language", "")],
        "topic": request.form.getlist("topic"),
        "region": request.form.getlist("region"),
    }
    try:
        wanted = service.checked_preferences(
            chosen["language"][0],
            languages=state.site.languages,
            topics=chosen["topic"],
            regions=chosen["region"],
            offered_topics=topics,
            offered_regions=regions,
        )
    except ValidationFailed as exc:
        errors = [_form_error(p) for p in exc.problems]
        return _preferences_form(subscriber, errors=errors, chosen=chosen, status=400)
    service.change_preferences(session, subscriber, wanted, now=now())
    target = url_for(
        "newsletter.preferences", token=token, lang=wanted.language, saved="1"
    )
    return redirect(target, code=303)

"""`/admin/kpi`: the figures of a period with SVG charts, and their CSV/JSON export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request, session
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from comms.catalogue import register
from comms.context import comms_state, get_session
from comms.kpi import charts, counting, export, indicators
from comms.kpi import deliverables as deliverable_figures

bp = Blueprint("kpi", __name__, url_prefix="/admin/kpi")
LOGIN_URL = "/admin/login"


def _admin_decorator() -> Callable[..., Any] | None:
    """The admin's own login decorator, when comms/admin/auth.py provides one."""
    try:
        from comms.admin import auth
    except ImportError:
        return None
    found = getattr(auth, "login_required", None)
    return found if callable(found) else None


@bp.before_request
def require_login() -> WerkzeugResponse | None:
    """Officers only: the admin's login check, else a logged-in session."""
    decorator = _admin_decorator()
    if decorator is not None:
        answer = decorator(lambda *_a, **_k: None)()
        return answer if answer is not None else None
    if session.get("user_id"):
        return None
    target = request.full_path.rstrip("?")
    return redirect(f"{LOGIN_URL}?next={quote(target, safe='/')}")


@bp.after_request
def no_store(response: WerkzeugResponse) -> WerkzeugResponse:
    """The figures are for officers only: never kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _period() -> indicators.Period:
    raw = request.args.get("period") or None
    number = None if raw is None else indicators.parse_period_number(raw)
    return indicators.choose_period(
        comms_state().site.reporting_periods,
        number=number,
        start=request.args.get("from") or None,
        end=request.args.get("to") or None,
        today=counting.today(),
    )


@bp.get("/")
def index() -> str:
    """The indicators of the chosen period, with charts."""
    state = comms_state()
    period = _period()
    db = get_session()
    report = indicators.compute(db, period)
    data = indicators.series(db, period, report)
    kind_names = indicators.kind_labels()
    drawn = {
        "outputs": charts.stacked_bars(
            "Outputs published per month, by kind",
            data.months,
            {kind_names[k]: v for k, v in data.outputs_by_kind.items()},
        ),
        "downloads": charts.stacked_bars(
            "Report downloads", data.buckets, {"Downloads": data.downloads}
        ),
        "video_views": charts.lines(
            "Video views over time (YouTube counts)",
            data.video_days,
            {"Views": data.video_views},
        ),
        "subscribers": charts.lines(
            "Subscribers over time",
            data.buckets,
            {
                "Newsletter": data.newsletter_subscribers,
                "Feed readers": data.feed_subscribers,
            },
        ),
        "top_items": charts.horizontal_bars(
            "Most viewed items",
            [t.title for t in data.top_items],
            [t.views for t in data.top_items],
        ),
    }
    return render_template(
        "kpi/index.html",
        report=report,
        # Built by comms.kpi.charts, which escapes every text it draws.
        charts={name: Markup(svg) for name, svg in drawn.items()},  # noqa: S704
        periods=indicators.configured_periods(state.site.reporting_periods),
        query={k: v for k in ("period", "from", "to") if (v := request.args.get(k))},
        earliest=indicators.EARLIEST.isoformat(),
        latest=indicators.LATEST.isoformat(),
    )


@bp.get("/export.<any(csv, json):fmt>")
def download(fmt: str) -> Response:
    """The indicators of the chosen period as a CSV or JSON file."""
    state = comms_state()
    period = _period()
    report = indicators.compute(get_session(), period)
    site_url = state.settings.site_url
    name = f"kpi-{period.start.isoformat()}-{period.end.isoformat()}.{fmt}"
    if fmt == "csv":
        body, mimetype = export.as_csv(report, site_url), "text/csv"
    else:
        body, mimetype = export.as_json(report, site_url), "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/deliverables/<code>/")
def deliverable(code: str) -> str:
    """One deliverable of the register: its outputs, their state and figures."""
    db = get_session()
    found = register.get_deliverable(db, code)
    asked = any(request.args.get(k) for k in ("period", "from", "to"))
    period = _period() if asked else deliverable_figures.ALL_TIME
    now = datetime.now(UTC).replace(microsecond=0)
    shown = deliverable_figures.outputs(db, found, now=now, period=period)
    return render_template(
        "admin/deliverable.html",
        deliverable=found,
        outputs=shown,
        period=period,
        in_review=deliverable_figures.in_review(db, [o.item.id for o in shown]),
        totals={
            "views": sum(o.views for o in shown),
            "downloads": sum(o.downloads for o in shown),
            "video_views": sum(o.video_views or 0 for o in shown),
        },
        periods=indicators.configured_periods(comms_state().site.reporting_periods),
        query={k: v for k in ("period", "from", "to") if (v := request.args.get(k))},
    )

"""The indicators a programme progress report asks for, over a period of UTC days.

A period includes both its first and its last day: an event at 23:30 UTC on the last
day is in, one at 00:00 UTC the next day is out. Outputs are counted once per
translation group (a press release in three languages is one output), at the time
its first language version was published.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, selectinload

from comms import kinds
from comms.catalogue import register
from comms.catalogue.models import KIND_PLURALS, KINDS, Item, Newsletter
from comms.deposits.models import ReportDeposit
from comms.errors import BadRequest
from comms.kpi import counting
from comms.kpi.models import DailyCount, VideoSnapshot

PUBLIC_STATUSES = ("published", "archived")
# The days a period may cover: far enough either way for any programme, and far
# from date.min/date.max, which the day arithmetic of a period would overflow.
EARLIEST = date(1970, 1, 1)
LATEST = date(2199, 12, 31)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PERIOD_NUMBER = re.compile(r"[0-9]{1,4}")
LABELS = {
    "press_releases": "Press releases published",
    "reports": "Reports published",
    "report_downloads": "Report downloads",
    "deposits": "Report versions published in a repository with a DOI",
    "events_held": "Events held",
    "event_participants": "Event participants",
    "videos": "Videos published",
    "video_views": "Video views in the period",
    "video_views_total": "Video views, total at the end of the period",
    "newsletter_issues": "Newsletter issues published",
    "newsletter_subscribers": "Newsletter subscribers at the end of the period",
    "newsletter_sends": "Newsletter messages sent",
    "newsletter_bounces": "Newsletter messages bounced",
    "newsletter_confirmations": "Newsletter subscriptions confirmed",
    "newsletter_unsubscribes": "Newsletter unsubscriptions",
    "feed_fetches": "Feed fetches",
    "feed_subscribers": "Feed subscribers stated by feed readers (latest)",
    "page_views": "Item page views (visits)",
}


def kind_labels() -> dict[str, str]:
    """Each kind's plural name (English, as the KPI report is), registry order."""
    return {kind.name: kind.plural_label for kind in kinds.all_kinds()}


@dataclass(frozen=True)
class Period:
    """A range of whole UTC days, both ends included."""

    start: date
    end: date
    name: str = ""

    @property
    def start_at(self) -> datetime:
        """The first instant of the period (00:00 UTC of the first day)."""
        return datetime.combine(self.start, time(0), tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        """The first instant after the period (00:00 UTC of the day after)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def label(self) -> str:
        """The period as people read it."""
        span = f"{self.start.isoformat()} to {self.end.isoformat()}"
        return f"{self.name} ({span})" if self.name else span


@dataclass(frozen=True)
class Indicator:
    """One figure of the progress report."""

    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Deliverable:
    """An output published in the period that names its deliverable."""

    deliverable: str
    work_package: str
    kind: str
    slug: str
    language: str
    title: str
    published_at: datetime
    path: str
    views: int
    downloads: int


@dataclass(frozen=True)
class RegisterLine:
    """A deliverable of the register and the sums over its outputs."""

    code: str
    title: str
    work_package: str
    due: date
    state: str  # delivered (a public output), overdue or due
    outputs: int
    public_outputs: int
    views: int
    downloads: int
    video_views: int


@dataclass(frozen=True)
class TopItem:
    """An item and how often its page was viewed in the period."""

    title: str
    path: str
    views: int


@dataclass(frozen=True)
class Series:
    """The data behind the charts: one list per series, aligned with its labels."""

    months: list[str]
    outputs_by_kind: dict[str, list[int]]
    buckets: list[str]
    downloads: list[int]
    newsletter_subscribers: list[int]
    feed_subscribers: list[int]
    video_days: list[str]
    video_views: list[int]
    top_items: list[TopItem] = field(default_factory=list)


@dataclass(frozen=True)
class KpiReport:
    """Every indicator of one period, the deliverables and the top items."""

    period: Period
    indicators: tuple[Indicator, ...]
    deliverables: tuple[Deliverable, ...]
    top_items: tuple[TopItem, ...]
    register: tuple[RegisterLine, ...] = ()

    def value(self, key: str) -> int:
        """The value of one indicator."""
        return next(i.value for i in self.indicators if i.key == key)


def parse_date(value: str, name: str) -> date:
    """A date written YYYY-MM-DD between EARLIEST and LATEST; BadRequest otherwise."""
    text = value.strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return in_range(date.fromisoformat(text), name)
    except ValueError:
        raise BadRequest(
            f"{name} must be a date like 2018-05-01; got {value[:40]!r}"
        ) from None


def in_range(day: date, name: str) -> date:
    """``day`` when a period may include it; BadRequest otherwise."""
    if not EARLIEST <= day <= LATEST:
        raise BadRequest(
            f"{name} must be between {EARLIEST.isoformat()} and "
            f"{LATEST.isoformat()}; got {day.isoformat()}"
        )
    return day


def parse_period_number(value: str) -> int:
    """A reporting period's number as written in a query (1 to 9999)."""
    if not _PERIOD_NUMBER.fullmatch(value):
        raise BadRequest(f"period must be a number; got {value[:40]!r}")
    return int(value)


def _as_date(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        return in_range(value.date(), what)
    if isinstance(value, date):
        return in_range(value, what)
    return parse_date(str(value), what)


def configured_periods(raw: tuple[dict[str, Any], ...]) -> list[Period]:
    """The reporting periods of site.yml (``name``, ``start``, ``end``), in order."""
    periods = []
    for n, entry in enumerate(raw, start=1):
        periods.append(
            Period(
                start=_as_date(entry.get("start"), f"reporting period {n} start"),
                end=_as_date(entry.get("end"), f"reporting period {n} end"),
                name=str(entry.get("name") or f"Period {n}"),
            )
        )
    return periods


def choose_period(
    raw_periods: tuple[dict[str, Any], ...],
    *,
    number: int | None,
    start: str | None,
    end: str | None,
    today: date,
) -> Period:
    """The period asked for: a configured one by number, or dates; default: 30 days.

    With only ``start``, the period runs to today; with only ``end``, from 30 days
    before it. With neither and no number, it is the current configured period, else
    the last 30 days.
    """
    periods = configured_periods(raw_periods)
    if number is not None:
        if not 1 <= number <= len(periods):
            raise BadRequest(
                f"period {number} is not configured; site.yml names "
                f"{len(periods)} reporting period{'s' if len(periods) != 1 else ''}"
            )
        return periods[number - 1]
    if start or end:
        last = parse_date(end, "to") if end else today
        first = parse_date(start, "from") if start else last - timedelta(days=29)
        if first > last:
            raise BadRequest(f"from ({first}) is after to ({last})")
        return Period(first, last)
    current = next((p for p in periods if p.start <= today <= p.end), None)
    return current or Period(today - timedelta(days=29), today)


def _first_published(kind: str | None = None) -> Any:
    """Subquery: each translation group's first publication time, by kind."""
    stmt = select(
        Item.kind,
        Item.translation,
        func.min(Item.published_at).label("first"),
    ).where(Item.status.in_(PUBLIC_STATUSES), Item.published_at.is_not(None))
    if kind is not None:
        stmt = stmt.where(Item.kind == kind)
    return stmt.group_by(Item.kind, Item.translation).subquery()


def outputs_published(session: Session, period: Period) -> dict[str, int]:
    """Outputs first published in the period, one per translation group, by kind."""
    groups = _first_published()
    rows = session.execute(
        select(groups.c.kind, func.count())
        .where(groups.c.first >= period.start_at, groups.c.first < period.end_before)
        .group_by(groups.c.kind)
    ).all()
    found = {kind: int(n) for kind, n in rows}
    return {kind: found.get(kind, 0) for kind in KINDS}


def events_held(session: Session, period: Period) -> tuple[int, int]:
    """Events that started in the period, and their participants."""
    starts = func.coalesce(Item.starts_at, Item.published_at)
    rows = session.execute(
        select(Item.translation, func.max(func.coalesce(Item.participants, 0)))
        .where(
            Item.kind == "event",
            Item.status.in_(PUBLIC_STATUSES),
            starts >= period.start_at,
            starts < period.end_before,
        )
        .group_by(Item.translation)
    ).all()
    return len(rows), sum(int(n) for _t, n in rows)


def counted(session: Session, metric: str, period: Period) -> dict[str, int]:
    """A daily counter summed over the period, by key."""
    rows = session.execute(
        select(DailyCount.key, func.sum(DailyCount.count))
        .where(
            DailyCount.metric == metric,
            DailyCount.day >= period.start,
            DailyCount.day <= period.end,
        )
        .group_by(DailyCount.key)
    ).all()
    return {key: int(n) for key, n in rows}


def _daily(session: Session, metric: str, period: Period) -> dict[date, int]:
    rows = session.execute(
        select(DailyCount.day, func.sum(DailyCount.count))
        .where(
            DailyCount.metric == metric,
            DailyCount.day >= period.start,
            DailyCount.day <= period.end,
        )
        .group_by(DailyCount.day)
    ).all()
    return {day: int(n) for day, n in rows}


def latest_stated(session: Session, metric: str, period: Period) -> dict[str, int]:
    """For a max-per-day metric: each key's value on its latest day in the period."""
    latest = (
        select(DailyCount.key, func.max(DailyCount.day).label("day"))
        .where(
            DailyCount.metric == metric,
            DailyCount.day >= period.start,
            DailyCount.day <= period.end,
        )
        .group_by(DailyCount.key)
        .subquery()
    )
    rows = session.execute(
        select(DailyCount.key, DailyCount.count)
        .join(
            latest,
            (DailyCount.key == latest.c.key) & (DailyCount.day == latest.c.day),
        )
        .where(DailyCount.metric == metric)
    ).all()
    return {key: int(n) for key, n in rows}


def video_views_at(session: Session, before: date) -> int:
    """Total views of every video by its latest snapshot taken before ``before``."""
    latest = (
        select(VideoSnapshot.item_id, func.max(VideoSnapshot.day).label("day"))
        .where(VideoSnapshot.day < before)
        .group_by(VideoSnapshot.item_id)
        .subquery()
    )
    total = session.scalar(
        select(func.sum(VideoSnapshot.views)).join(
            latest,
            (VideoSnapshot.item_id == latest.c.item_id)
            & (VideoSnapshot.day == latest.c.day),
        )
    )
    return int(total or 0)


def deposits_published(session: Session, period: Period) -> int:
    """Report versions published in a repository (each has its DOI) in the period."""
    count = 0
    rows = session.scalars(
        select(ReportDeposit.versions).where(ReportDeposit.version_count > 0)
    )
    for versions in rows:
        for version in versions or []:
            try:
                when = datetime.fromisoformat(str(version.get("published_at")))
            except ValueError:
                continue
            if period.start_at <= when < period.end_before:
                count += 1
    return count


def _newsletter_tables(session: Session) -> Any:
    """The newsletter models when that domain and its tables exist, else None."""
    try:
        from comms.newsletter import models
    except ImportError:  # pragma: no cover - the newsletter domain is optional
        return None
    bind = session.get_bind()
    if not inspect(bind).has_table("subscriber"):
        return None
    return models


def _subscriber_spans(session: Session) -> list[tuple[datetime, datetime | None]]:
    models = _newsletter_tables(session)
    if models is None:
        return []
    sub = models.Subscriber
    rows = session.execute(
        select(sub.confirmed_at, sub.unsubscribed_at).where(
            sub.confirmed_at.is_not(None)
        )
    ).all()
    return [(c, u) for c, u in rows]


def subscribers_at(spans: list[tuple[datetime, datetime | None]], at: datetime) -> int:
    """Subscribers confirmed before ``at`` and not unsubscribed by then."""
    return sum(1 for c, u in spans if c < at and (u is None or u >= at))


def _newsletter_flows(session: Session, period: Period) -> dict[str, int]:
    """Sends, bounces, confirmations, unsubscribes: recorded counts, else the tables.

    The newsletter domain may call ``counting.record`` for each event; its own
    tables give the same figures where they hold them (deliveries, subscribers).
    The larger of the two is taken, so neither source is counted twice.
    """
    recorded = {
        "newsletter_sends": counting.NEWSLETTER_SEND,
        "newsletter_bounces": counting.NEWSLETTER_BOUNCE,
        "newsletter_confirmations": counting.NEWSLETTER_CONFIRM,
        "newsletter_unsubscribes": counting.NEWSLETTER_UNSUBSCRIBE,
    }
    flows = {
        key: sum(counted(session, metric, period).values())
        for key, metric in recorded.items()
    }
    models = _newsletter_tables(session)
    if models is None:
        return flows
    sub = models.Subscriber
    in_period = [period.start_at, period.end_before]

    def between(column: Any) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(column.class_)
                .where(column >= in_period[0], column < in_period[1])
            )
            or 0
        )

    flows["newsletter_confirmations"] = max(
        flows["newsletter_confirmations"], between(sub.confirmed_at)
    )
    flows["newsletter_unsubscribes"] = max(
        flows["newsletter_unsubscribes"], between(sub.unsubscribed_at)
    )
    if inspect(session.get_bind()).has_table("newsletter_delivery"):
        delivery = models.Delivery
        sent = session.scalar(
            select(func.count())
            .select_from(delivery)
            .where(
                delivery.status == "sent",
                delivery.sent_at >= in_period[0],
                delivery.sent_at < in_period[1],
            )
        )
        flows["newsletter_sends"] = max(flows["newsletter_sends"], int(sent or 0))
    return flows


def newsletter_issues(session: Session, period: Period) -> int:
    """Newsletter issues first published in the period (one per translation)."""
    groups = (
        select(func.min(Newsletter.published_at).label("first"))
        .where(Newsletter.status.in_(PUBLIC_STATUSES))
        .group_by(Newsletter.translation)
        .subquery()
    )
    return int(
        session.scalar(
            select(func.count()).where(
                groups.c.first >= period.start_at, groups.c.first < period.end_before
            )
        )
        or 0
    )


def _items_by_path(session: Session, paths: list[str]) -> dict[str, Item]:
    wanted: dict[tuple[str, str], str] = {}
    plural_kinds = {plural: kind for kind, plural in KIND_PLURALS.items()}
    for path in paths:
        plural, _, slug = path.partition("/")
        if plural in plural_kinds:
            wanted[(plural_kinds[plural], slug)] = path
    if not wanted:
        return {}
    slugs = {slug for _kind, slug in wanted}
    found: dict[str, Item] = {}
    for item in session.scalars(
        select(Item).where(Item.slug.in_(slugs)).order_by(Item.language)
    ):
        known = wanted.get((item.kind, item.slug))
        if known is not None and known not in found:
            found[known] = item
    return found


def top_items(
    session: Session, views: dict[str, int], limit: int = 10
) -> list[TopItem]:
    """The most viewed item pages, with their titles."""
    ranked = sorted(views.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    items = _items_by_path(session, [path for path, _n in ranked])
    return [
        TopItem(
            title=items[path].display_title if path in items else path,
            path=f"/{path}/",
            views=n,
        )
        for path, n in ranked
    ]


def downloads_by_slug(downloads: dict[str, int]) -> dict[str, int]:
    """Counted downloads (keys ``slug/filename``) summed by the report's slug."""
    per_slug: dict[str, int] = defaultdict(int)
    for key, n in downloads.items():
        per_slug[key.split("/", 1)[0]] += n
    return per_slug


def deliverables(
    session: Session,
    period: Period,
    views: dict[str, int],
    downloads: dict[str, int],
) -> list[Deliverable]:
    """Outputs published in the period of a deliverable, by deliverable.

    An item linked to deliverables of the register gives one row per deliverable;
    a report whose ``deliverable`` code is not in the register, one row with it.
    """
    per_slug = downloads_by_slug(downloads)
    rows = session.scalars(
        select(Item)
        .where(
            Item.status.in_(PUBLIC_STATUSES),
            Item.published_at >= period.start_at,
            Item.published_at < period.end_before,
        )
        .order_by(Item.kind, Item.slug, Item.language)
        .options(selectinload(Item.deliverables))
    )
    result = []
    for item in rows:
        assert item.published_at is not None  # filtered above
        codes = [(d.code, d.work_package.code) for d in item.deliverables]
        own = (item.deliverable or "").strip()
        if own and own not in {code for code, _wp in codes}:
            codes.append((own, item.work_package or ""))
        key = f"{item.plural}/{item.slug}"
        for code, package in codes:
            result.append(
                Deliverable(
                    deliverable=code,
                    work_package=package,
                    kind=item.kind,
                    slug=item.slug,
                    language=item.language,
                    title=item.display_title,
                    published_at=item.published_at,
                    path=f"/{key}/",
                    views=views.get(key, 0),
                    downloads=per_slug.get(item.slug, 0)
                    if kinds.get(item.kind).has_files
                    else 0,
                )
            )
    result.sort(key=lambda d: (d.deliverable, d.kind, d.slug, d.language))
    return result


def summaries(
    session: Session,
    period: Period,
    views: dict[str, int],
    downloads: dict[str, int],
    *,
    today: date,
) -> list[RegisterLine]:
    """One line per deliverable of the register, with its outputs' figures.

    ``views`` and ``downloads`` are the period's counts; a deliverable is
    ``delivered`` when an output is public by the end of the period.
    """
    per_slug = downloads_by_slug(downloads)
    result = []
    for deliverable in register.deliverables(session):
        items = register.outputs(session, deliverable)
        public = [
            i
            for i in items
            if i.status in PUBLIC_STATUSES
            and i.published_at is not None
            and i.published_at < period.end_before
        ]
        if public:
            state = "delivered"
        elif deliverable.due < min(today, period.end):
            state = "overdue"
        else:
            state = "due"
        result.append(
            RegisterLine(
                code=deliverable.code,
                title=deliverable.title,
                work_package=deliverable.work_package.code,
                due=deliverable.due,
                state=state,
                outputs=len(items),
                public_outputs=len(public),
                views=sum(views.get(f"{i.plural}/{i.slug}", 0) for i in public),
                downloads=sum(
                    per_slug.get(i.slug, 0)
                    for i in public
                    if kinds.get(i.kind).has_files
                ),
                video_views=sum(i.view_count or 0 for i in public if i.kind == "video"),
            )
        )
    return result


def compute(session: Session, period: Period) -> KpiReport:
    """Every indicator of ``period``, computed from the database."""
    outputs = outputs_published(session, period)
    held, participants = events_held(session, period)
    views = counted(session, counting.ITEM_VIEW, period)
    downloads = counted(session, counting.DOWNLOAD, period)
    after = period.end + timedelta(days=1)
    views_total = video_views_at(session, after)
    views_before = video_views_at(session, period.start)
    flows = _newsletter_flows(session, period)
    values = {
        "press_releases": outputs["press_release"],
        "reports": outputs["report"],
        "report_downloads": sum(downloads.values()),
        "deposits": deposits_published(session, period),
        "events_held": held,
        "event_participants": participants,
        "videos": outputs["video"],
        "video_views": max(views_total - views_before, 0),
        "video_views_total": views_total,
        "newsletter_issues": newsletter_issues(session, period),
        "newsletter_subscribers": subscribers_at(
            _subscriber_spans(session), period.end_before
        ),
        **flows,
        "feed_fetches": sum(counted(session, counting.FEED_FETCH, period).values()),
        "feed_subscribers": sum(
            latest_stated(session, counting.FEED_SUBSCRIBERS, period).values()
        ),
        "page_views": sum(views.values()),
    }
    return KpiReport(
        period=period,
        indicators=tuple(Indicator(k, LABELS[k], values[k]) for k in LABELS),
        deliverables=tuple(deliverables(session, period, views, downloads)),
        top_items=tuple(top_items(session, views)),
        register=tuple(
            summaries(session, period, views, downloads, today=counting.today())
        ),
    )


def _months(period: Period) -> list[date]:
    months = []
    current = period.start.replace(day=1)
    while current <= period.end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _buckets(period: Period) -> list[tuple[str, date, date]]:
    """Days for a period of up to 62 days, else months: (label, first, last)."""
    if (period.end - period.start).days < 62:
        days = (period.end - period.start).days + 1
        return [
            (d.isoformat(), d, d)
            for d in (period.start + timedelta(days=n) for n in range(days))
        ]
    result = []
    for month in _months(period):
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        result.append(
            (month.strftime("%Y-%m"), max(month, period.start), min(last, period.end))
        )
    return result


def series(session: Session, period: Period, report: KpiReport) -> Series:
    """The chart data of ``period``."""
    months = _months(period)
    groups = _first_published()
    by_month: dict[str, dict[str, int]] = {k: defaultdict(int) for k in KINDS}
    for kind, first in session.execute(
        select(groups.c.kind, groups.c.first).where(
            groups.c.first >= period.start_at, groups.c.first < period.end_before
        )
    ):
        first_at = first if first.tzinfo else first.replace(tzinfo=UTC)
        by_month[kind][first_at.strftime("%Y-%m")] += 1
    labels = [m.strftime("%Y-%m") for m in months]
    buckets = _buckets(period)
    downloads = _daily(session, counting.DOWNLOAD, period)
    feed_by_day: dict[date, dict[str, int]] = defaultdict(dict)
    for day, key, n in session.execute(
        select(DailyCount.day, DailyCount.key, DailyCount.count).where(
            DailyCount.metric == counting.FEED_SUBSCRIBERS,
            DailyCount.day >= period.start,
            DailyCount.day <= period.end,
        )
    ):
        feed_by_day[day][key] = int(n)
    spans = _subscriber_spans(session)
    feed_series = []
    latest: dict[str, int] = {}  # a reader's last stated count holds until it changes
    for _label, first, last in buckets:
        for day in sorted(d for d in feed_by_day if first <= d <= last):
            latest.update(feed_by_day[day])
        feed_series.append(sum(latest.values()))
    video_rows = session.execute(
        select(VideoSnapshot.day, func.sum(VideoSnapshot.views))
        .where(VideoSnapshot.day >= period.start, VideoSnapshot.day <= period.end)
        .group_by(VideoSnapshot.day)
        .order_by(VideoSnapshot.day)
    ).all()
    return Series(
        months=labels,
        outputs_by_kind={
            kind: [by_month[kind].get(label, 0) for label in labels] for kind in KINDS
        },
        buckets=[label for label, _f, _l in buckets],
        downloads=[
            sum(n for d, n in downloads.items() if first <= d <= last)
            for _label, first, last in buckets
        ],
        newsletter_subscribers=[
            subscribers_at(
                spans, datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
            )
            for _label, _first, last in buckets
        ],
        feed_subscribers=feed_series,
        video_days=[day.isoformat() for day, _n in video_rows],
        video_views=[int(n or 0) for _day, n in video_rows],
        top_items=list(report.top_items),
    )

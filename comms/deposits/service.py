"""Deposit a report in Zenodo (or any InvenioRDM): prepare a draft, then publish.

``prepare`` brings the repository's draft in step with the report (metadata and
every PDF) and stops there; ``publish`` makes it public once the officer has
confirmed, and only then gives the report its DOI. The remote ids are committed as
soon as the repository hands them out, so an interrupted deposit resumes the same
draft. A file that changed after publication becomes a new version of the same
record. Every failure leaves the catalogue untouched and is kept as ``last_error``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comms.catalogue.models import Item
from comms.config import Settings
from comms.deposits.errors import (
    DepositRefused,
    RepositoryError,
    RepositoryUnavailable,
    RepositoryValidation,
)
from comms.deposits.invenio import InvenioClient, NotFoundRemote, _field_errors
from comms.deposits.metadata import DepositFile, build_record
from comms.deposits.models import ReportDeposit
from comms.errors import CommsError, NotFound
from comms.site import Site
from comms.storage import MediaStore

T = TypeVar("T")
# How long a deposit or publication may hold its row before another may take it.
CLAIM_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Preview:
    """What a deposit sends, as the officer confirms it."""

    title: str
    creators: tuple[str, ...]
    publication_date: str
    licence: str
    keywords: tuple[str, ...]
    language: str | None
    funding: str | None
    community: str | None
    repository: str
    files: tuple[DepositFile, ...]


@dataclass(frozen=True)
class Prepared:
    """The outcome of ``prepare``: ready to publish, unchanged, or published."""

    deposit: ReportDeposit
    outcome: str  # "ready", "unchanged" (nothing new to deposit), "published"
    new_version: bool = False


def find_report(session: Session, slug: str, language: str | None) -> Item:
    """The report with this slug (in ``language`` when it has several versions)."""
    query = select(Item).where(Item.kind == "report", Item.slug == slug)
    if language:
        query = query.where(Item.language == language)
    found = list(session.scalars(query.order_by(Item.language)))
    if not found:
        raise NotFound(f"no report {slug!r}" + (f" in {language}" if language else ""))
    if len(found) > 1:
        languages = ", ".join(i.language for i in found)
        raise DepositRefused(
            f"report {slug!r} exists in {languages}: choose one with --language"
        )
    return found[0]


def get_deposit(session: Session, item_id: int) -> ReportDeposit | None:
    """The deposit of a report, if one was ever started."""
    return session.scalar(select(ReportDeposit).where(ReportDeposit.item_id == item_id))


def _check_depositable(item: Item, now: datetime) -> None:
    if item.kind != "report":
        raise DepositRefused("only reports are deposited")
    if not item.is_public(now):
        raise DepositRefused(
            f"report {item.slug!r} is not public on the site yet: publish it first"
        )
    if not item.files:
        raise DepositRefused(f"report {item.slug!r} has no PDF file to deposit")


def _files(item: Item) -> tuple[DepositFile, ...]:
    return tuple(DepositFile(f.filename, f.sha256, f.size) for f in item.files)


def page_url(item: Item, settings: Settings) -> str:
    """The report's public page, named in the record as an alternate identifier."""
    return f"{settings.site_url}/{item.plural}/{item.slug}/?lang={item.language}"


def preview(item: Item, site: Site, settings: Settings) -> Preview:
    """What a deposit of ``item`` would send (nothing is sent)."""
    record = build_record(item, site, page_url=page_url(item, settings))
    meta = record["metadata"]
    creators = tuple(
        c["person_or_org"].get("name")
        or f"{c['person_or_org']['family_name']}, {c['person_or_org']['given_name']}"
        for c in meta["creators"]
    )
    money = meta.get("funding") or []
    funding = None
    if money:
        award = money[0].get("award", {}).get("number")
        funding = money[0]["funder"]["name"] + (f", grant {award}" if award else "")
    return Preview(
        title=meta["title"],
        creators=creators,
        publication_date=meta["publication_date"],
        licence=meta["rights"][0]["id"],
        keywords=tuple(s["subject"] for s in meta.get("subjects", [])),
        language=(meta.get("languages") or [{}])[0].get("id"),
        funding=funding,
        community=settings.zenodo_community,
        repository=settings.zenodo_url,
        files=_files(item),
    )


def _doi(record: dict[str, Any]) -> str | None:
    doi = (record.get("pids") or {}).get("doi") or {}
    value = doi.get("identifier")
    return str(value) if value else None


def _html_link(record: dict[str, Any]) -> str | None:
    link = (record.get("links") or {}).get("self_html")
    return str(link) if link else None


class _Run:
    """One prepare or publish: the row, the client, and the failure bookkeeping."""

    def __init__(
        self, session: Session, deposit: ReportDeposit, client: InvenioClient
    ) -> None:
        self.session = session
        self.deposit = deposit
        self.client = client

    def guarded(self, work: Callable[[], T]) -> T:
        """Run ``work`` holding the row's claim; on a failure keep the error, raise.

        The claim is given back either way; a process that dies holding it loses it
        when ``busy_until`` passes.
        """
        try:
            result = work()
        except CommsError as exc:
            self.session.rollback()
            self.deposit.state = "failed"
            self.deposit.last_error = str(exc)
            self.deposit.busy_until = None
            self.session.commit()
            raise
        self.save(busy_until=None)
        return result

    def save(self, **fields: Any) -> None:
        """Set fields on the row and commit them at once (they are the resume point)."""
        for name, value in fields.items():
            setattr(self.deposit, name, value)
        self.session.commit()


def _start(
    session: Session, item: Item, settings: Settings, client: InvenioClient
) -> _Run:
    deposit = get_deposit(session, item.id)
    repository = settings.zenodo_url
    if deposit is None:
        deposit = ReportDeposit(item_id=item.id, repository=repository, state="draft")
        session.add(deposit)
        try:
            session.commit()
        except IntegrityError:  # another deposit of this report made the row first
            session.rollback()
            raise _under_way(item) from None
    if deposit.repository != repository:
        if deposit.published_record_id:
            raise DepositRefused(
                f"report {item.slug!r} is deposited at {deposit.repository}, "
                f"not at {repository} (COMMS_ZENODO_URL)"
            )
        # A draft at another repository (the sandbox, say) is left behind.
        deposit.repository = repository
        deposit.record_id = None
        deposit.draft_doi = None
        deposit.files = {}
        session.commit()
    _claim(session, deposit, item)
    return _Run(session, deposit, client)


def _under_way(item: Item) -> DepositRefused:
    return DepositRefused(
        f"another deposit of report {item.slug!r} is under way: "
        "try again when it has finished"
    )


def _claim(session: Session, deposit: ReportDeposit, item: Item) -> None:
    """Take the row for this run, or refuse when another run holds it."""
    now = datetime.now(UTC)
    claimed = session.execute(
        update(ReportDeposit)
        .where(
            ReportDeposit.id == deposit.id,
            or_(ReportDeposit.busy_until.is_(None), ReportDeposit.busy_until < now),
        )
        .values(busy_until=now + CLAIM_FOR)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise _under_way(item)
    session.refresh(deposit)


def prepare(
    session: Session,
    item: Item,
    site: Site,
    settings: Settings,
    client: InvenioClient,
    store: MediaStore,
    now: datetime,
) -> Prepared:
    """Create or resume the report's draft with its metadata and files."""
    _check_depositable(item, now)
    record = build_record(item, site, page_url=page_url(item, settings))
    run = _start(session, item, settings, client)
    return run.guarded(lambda: _prepare(run, item, record, store, now))


def _prepare(
    run: _Run,
    item: Item,
    record: dict[str, Any],
    store: MediaStore,
    now: datetime,
) -> Prepared:
    deposit, client = run.deposit, run.client
    wanted = {f.filename: f.sha256 for f in item.files}
    new_version = False
    if deposit.record_id and deposit.record_id == deposit.published_record_id:
        if wanted == deposit.published_files:
            run.save(state="published", last_error=None)
            return Prepared(deposit, "unchanged")
        draft = client.new_version(deposit.record_id)
        run.save(record_id=str(draft["id"]), state="draft", files={}, draft_doi=None)
        new_version = True
    elif deposit.record_id:
        try:
            client.get_draft(deposit.record_id)
        except NotFoundRemote:
            adopted = _adopt_if_published(run, item, now)
            if adopted:
                return Prepared(deposit, "published")
            # The draft was discarded on the repository: start it again.
            run.save(record_id=None, files={}, draft_doi=None)
            return _prepare(run, item, record, store, now)
        new_version = deposit.record_id != deposit.published_record_id and bool(
            deposit.published_record_id
        )
    elif deposit.published_record_id:
        draft = client.new_version(deposit.published_record_id)
        run.save(record_id=str(draft["id"]), state="draft", files={}, draft_doi=None)
        new_version = True
    else:
        draft = client.create_draft(record)
        run.save(
            record_id=str(draft["id"]), state="draft", record_url=_html_link(draft)
        )
    record_id = str(deposit.record_id)
    draft = client.update_draft(record_id, record)
    problems = _field_errors(draft)
    if problems:
        raise RepositoryValidation(problems)
    doi = _doi(draft) or _doi(client.reserve_doi(record_id))
    run.save(draft_doi=doi, record_url=_html_link(draft) or deposit.record_url)
    _sync_files(run, record_id, item, store)
    run.save(state="uploaded", files=wanted, last_error=None)
    return Prepared(deposit, "ready", new_version=new_version)


def _sync_files(run: _Run, record_id: str, item: Item, store: MediaStore) -> None:
    """Make the draft's files exactly the report's, uploading only what differs."""
    client = run.client
    wanted = {f.filename: f for f in item.files}
    data = {name: store.read(f.sha256) for name, f in wanted.items()}
    md5 = {name: "md5:" + hashlib.md5(raw).hexdigest() for name, raw in data.items()}  # noqa: S324 - the repository's checksum
    present: set[str] = set()
    for entry in client.list_files(record_id):
        key = str(entry.get("key"))
        complete = entry.get("status") == "completed"
        if key in wanted and complete and entry.get("checksum") == md5[key]:
            present.add(key)
        else:  # half uploaded, changed, or no longer part of the report
            client.delete_file(record_id, key)
    for name in wanted:
        if name in present:
            continue
        entry = client.upload_file(record_id, name, data[name])
        if entry.get("checksum") not in (None, md5[name]):
            raise RepositoryError(
                f"{name}: the repository stored different bytes "
                f"({entry.get('checksum')}, expected {md5[name]}); try again"
            )


def _adopt_if_published(run: _Run, item: Item, now: datetime) -> bool:
    """When the draft turns out published (the answer was lost), record it."""
    record_id = run.deposit.record_id
    if not record_id:
        return False
    try:
        record = run.client.get_record(record_id)
    except NotFoundRemote:
        return False
    if not record.get("is_published"):
        return False
    _published(run, item, record, now)
    return True


def publish(
    session: Session,
    item: Item,
    settings: Settings,
    client: InvenioClient,
    now: datetime,
) -> ReportDeposit:
    """Publish the prepared draft and give the report its DOI."""
    deposit = get_deposit(session, item.id)
    if deposit is None or deposit.state != "uploaded" or not deposit.record_id:
        raise DepositRefused(
            f"report {item.slug!r} has no draft ready to publish: deposit it first"
        )
    _claim(session, deposit, item)
    run = _Run(session, deposit, client)
    run.guarded(lambda: _publish(run, item, now))
    if settings.zenodo_community and deposit.version_count == 1:
        _ask_community(run, settings.zenodo_community)
    return deposit


def _publish(run: _Run, item: Item, now: datetime) -> None:
    record_id = str(run.deposit.record_id)
    try:
        record = run.client.publish(record_id)
    except (RepositoryUnavailable, NotFoundRemote):
        # The publication may have happened with its answer lost: ask.
        if _adopt_if_published(run, item, now):
            return
        raise
    _published(run, item, record, now)


def _published(run: _Run, item: Item, record: dict[str, Any], now: datetime) -> None:
    deposit = run.deposit
    doi = _doi(record) or deposit.draft_doi
    if not doi:
        raise RepositoryError("the repository published the record without a DOI")
    parent = record.get("parent") or {}
    concept = _doi(parent)
    record_id = str(record.get("id") or deposit.record_id)
    version = {
        "record_id": record_id,
        "doi": doi,
        "files": dict(deposit.files),
        "published_at": now.isoformat(),
    }
    item.doi = doi
    run.save(
        state="published",
        published_record_id=record_id,
        record_id=record_id,
        doi=doi,
        concept_doi=concept or deposit.concept_doi,
        draft_doi=None,
        record_url=_html_link(record) or deposit.record_url,
        published_files=dict(deposit.files),
        versions=[*deposit.versions, version],
        version_count=deposit.version_count + 1,
        published_at=now,
        last_error=None,
    )


def _ask_community(run: _Run, community: str) -> None:
    """Ask the community to include the new record; a refusal is kept, not raised."""
    try:
        run.client.add_to_community(str(run.deposit.record_id), community)
    except CommsError as exc:
        run.save(
            last_error=f"published, but the request to community {community!r} "
            f"failed: {exc}"
        )

"""Full-text search of the public catalogue: FTS5 on SQLite, tsvector on PostgreSQL.

The index (``item_fts`` / ``item_search``) is kept up to date by database triggers
(migration 0007). A search ranks every matching public item (title above summary
above body above the text of report PDFs), keeps one language version per
translation group (the visitor's language first), applies the listing filters, and
highlights the page's hits with the database's own snippet function.
"""

from __future__ import annotations

import contextlib
import functools
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import (
    BindParameter,
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, lazyload

from comms.catalogue.models import Item
from comms.catalogue.service import ListingQuery, filter_conditions, visible
from comms.search.query import (
    MARK_END,
    MARK_START,
    ParsedQuery,
    fts5_term,
    highlight,
    parse_query,
    to_fts5,
    to_websearch,
)

# Index tables live outside Base.metadata: the migration owns them.
_index = MetaData()
item_fts = Table(
    "item_fts",
    _index,
    Column("rowid", Integer),
    Column("title", Text),
    Column("summary", Text),
    Column("body", Text),
    Column("files", Text),
)
item_search = Table(
    "item_search",
    _index,
    Column("item_id", Integer, primary_key=True),
    Column("config", REGCONFIG),
    Column("document", TSVECTOR),
)
# Language configurations the PostgreSQL index uses (see comms_search_config()).
PG_CONFIGS = ("english", "german", "french", "italian", "simple")
# FTS5 bm25 column weights: title, summary, body, PDF text.
FTS5_WEIGHTS = (10.0, 4.0, 1.0, 0.5)
SNIPPET_TOKENS = 30
# A word in more items than this is ranked among its newest CANDIDATES matches only
# (after the filters): a 100,000-item catalogue still answers in milliseconds.
CANDIDATES = 1000
HEADLINE_CHARS = 60_000
# How long a count of the items holding a word is trusted (see _TermCounts).
TERM_COUNT_SECONDS = 600.0


@dataclass(frozen=True)
class SearchQuery:
    """What a visitor searched for, with the listing filters."""

    text: str
    filters: ListingQuery


@dataclass(frozen=True)
class Hit:
    """One result: the item, its title and a snippet with matches in <mark>."""

    item: Item
    title: Markup
    snippet: Markup


@dataclass(frozen=True)
class SearchPage:
    """One page of results."""

    hits: list[Hit]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        """True when a page comes before this one."""
        return self.number > 1


def search(
    session: Session,
    query: SearchQuery,
    *,
    default_language: str,
    now: datetime,
    page_size: int,
) -> SearchPage:
    """One page of public items matching ``query``, best first."""
    parsed = parse_query(query.text)
    filters = query.filters
    number = filters.page
    if parsed.empty:
        return SearchPage(hits=[], number=number, has_next=False)
    engine = (
        _Postgres(session, parsed)
        if _is_postgres(session)
        else _Sqlite(session, parsed)
    )
    if not engine.can_match():
        return SearchPage(hits=[], number=number, has_next=False)
    given = _filter_values(filters)
    values = {
        "now": now,
        "language": filters.language,
        "default_language": default_language,
        "limit": page_size + 1,
        "offset": (number - 1) * page_size,
        **{k: v for k, v in given.items() if v},
    }
    ranked = _ranked_statement(
        engine.name, engine.shape, *(bool(v) for v in given.values())
    )
    ids = [int(i) for i in session.scalars(ranked, {**engine.values, **values})]
    shown = ids[:page_size]
    items = {i.id: i for i in session.scalars(_items_statement(), {"ids": shown})}
    marks = engine.snippets(session, shown) if shown else {}
    hits = [
        Hit(
            item=items[i],
            title=highlight(marks.get(i, (None, None))[0] or items[i].display_title),
            snippet=highlight(marks.get(i, (None, None))[1] or ""),
        )
        for i in shown
        if i in items
    ]
    return SearchPage(hits=hits, number=number, has_next=len(ids) > page_size)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _filter_values(filters: ListingQuery) -> dict[str, str | None]:
    return {"kind": filters.kind, "tag": filters.tag, "region": filters.region}


# Every statement below is built once per shape (database, the PostgreSQL
# configurations a query kept, which filters are set) with bind parameters for the
# values: a search then costs its execution, not building and compiling SQL.
@functools.lru_cache(maxsize=256)
def _ranked_statement(
    name: str,
    shape: tuple[str, ...],
    kind: bool,
    tag: bool,
    region: bool,
) -> Select[Any]:
    """Filter, keep the best version per translation group, order and page."""
    preference = case(
        (Item.language == bindparam("language"), 0),
        (Item.language == bindparam("default_language"), 1),
        else_=2,
    )
    conditions = [
        visible(Item, bindparam("now")),
        *filter_conditions(
            bindparam("kind") if kind else None,
            bindparam("tag") if tag else None,
            bindparam("region") if region else None,
        ),
    ]
    engine = _Postgres if name == _Postgres.name else _Sqlite
    found = engine.candidates(shape, conditions).subquery("found")
    ranked = (
        select(
            Item.id.label("id"),
            found.c.score.label("score"),
            Item.published_at.label("published_at"),
            func.row_number()
            .over(
                partition_by=(Item.kind, Item.translation),
                order_by=(preference, found.c.score, Item.id),
            )
            .label("position"),
        )
        .join(found, found.c.id == Item.id)
        .subquery("ranked")
    )
    return (
        select(ranked.c.id)
        .where(ranked.c.position == 1)
        .order_by(ranked.c.score, ranked.c.published_at.desc(), ranked.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@functools.lru_cache(maxsize=1)
def _items_statement() -> Select[Item]:
    # A hit shows no tags, regions or files: load them only if something asks.
    lazy = (lazyload(Item.tags), lazyload(Item.regions), lazyload(Item.files))
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    return select(Item).where(Item.id.in_(ids)).options(*lazy)


def _rank_terms(session: Session, parsed: ParsedQuery) -> str | None:
    """An FTS5 query of the rarer words to rank by, or None to rank by all.

    bm25 gives a word in at least half the items no weight (FTS5 floors its IDF),
    yet counts that word's items on every query: 3 ms for a word in all of 100,000.
    When every alternative of the query holds a rarer word and the rarer words
    occur far less often than the common ones, the common words only filter and
    bm25 ranks by the rarer ones: the same order, without the count, except among
    items the rarer words score exactly alike, which the common words' floored
    weight used to part and the date and id now order.
    """
    total = _term_counts(session, None)
    common = 0
    rare: dict[str, int] = {}
    for terms in parsed.alternatives:
        found = False
        for term in terms:
            if term.excluded:
                continue
            phrase = fts5_term(term)
            count = _term_counts(session, phrase)
            if 2 * count < total:
                rare[phrase] = count
                found = True
            else:
                common += count
        if not found:
            return None
    if not rare or 2 * sum(rare.values()) >= common:
        return None
    return " OR ".join(rare)


class _TermCounts:
    """In how many items each word or phrase occurs, per database and process.

    Counted at most every TERM_COUNT_SECONDS: the figures only choose which words
    rank the matches, never which items match.
    """

    def __init__(self, size: int = 4096) -> None:
        self._by_engine: weakref.WeakKeyDictionary[
            Engine, OrderedDict[str, tuple[int, float]]
        ] = weakref.WeakKeyDictionary()
        self._size = size

    def __call__(self, session: Session, phrase: str | None) -> int:
        """Items holding the FTS5 ``phrase``; all items when ``phrase`` is None."""
        counts = self._by_engine.setdefault(session.get_bind().engine, OrderedDict())
        key = phrase or ""
        clock = time.monotonic()
        known = counts.get(key)
        if known is not None and clock - known[1] < TERM_COUNT_SECONDS:
            with contextlib.suppress(KeyError):  # another thread trimmed it
                counts.move_to_end(key)
            return known[0]
        if phrase is None:
            count = int(session.scalar(_ITEM_COUNT) or 0)
        else:
            count = int(session.scalar(_PHRASE_COUNT, {"phrase": phrase}) or 0)
        counts[key] = (count, clock)
        if len(counts) > self._size:
            with contextlib.suppress(KeyError):
                counts.popitem(last=False)
        return count


_ITEM_COUNT = select(func.count()).select_from(Item)
_PHRASE_COUNT = (
    select(func.count())
    .select_from(item_fts)
    .where(literal_column("item_fts").op("MATCH")(bindparam("phrase")))
)
_term_counts = _TermCounts()


class _Sqlite:
    """FTS5: MATCH over the quoted terms, bm25 with column weights, snippet()."""

    name = "sqlite"

    def __init__(self, session: Session, parsed: ParsedQuery) -> None:
        self.values = {"fts": to_fts5(parsed)}
        self.shape: tuple[str, ...] = ()
        rank = _rank_terms(session, parsed)
        if rank is not None:
            self.values["rank"] = rank
            self.shape = ("rank",)

    @staticmethod
    def _matching(name: str = "fts") -> ColumnElement[bool]:
        return literal_column("item_fts").op("MATCH")(bindparam(name))

    def can_match(self) -> bool:
        """True: every parsed query has an FTS5 form."""
        return True

    @staticmethod
    def candidates(
        shape: tuple[str, ...], conditions: list[ColumnElement[bool]]
    ) -> Select[Any]:
        """The newest matching public items with a score: lower is better.

        FTS5 walks the matches newest first and stops at CANDIDATES, computing
        bm25 only for those, so a word every item holds costs no more than that.
        With the shape ``rank``, bm25 scores the candidates by the query's rarer
        words alone (see _rank_terms).
        """
        score = func.bm25(literal_column("item_fts"), *FTS5_WEIGHTS)
        if not shape:
            return (
                select(item_fts.c.rowid.label("id"), cast(score, Float).label("score"))
                .join(Item, Item.id == item_fts.c.rowid)
                .where(_Sqlite._matching(), *conditions)
                .order_by(item_fts.c.rowid.desc())
                .limit(CANDIDATES)
            )
        matches = (
            func.item_fts(bindparam("fts"))
            .table_valued(column("rowid", Integer))
            .alias("matches")
        )
        newest = (
            select(matches.c.rowid)
            .join(Item, Item.id == matches.c.rowid)
            .where(*conditions)
            .order_by(matches.c.rowid.desc())
            .limit(CANDIDATES)
        )
        # `+ 0`: FTS5 walks the rare words' matches once, checking each against
        # the candidates, instead of one lookup per candidate
        return select(
            item_fts.c.rowid.label("id"), cast(score, Float).label("score")
        ).where(_Sqlite._matching("rank"), (item_fts.c.rowid + 0).in_(newest))

    @staticmethod
    @functools.lru_cache(maxsize=1)
    def _snippets_statement() -> Select[Any]:
        start, end = literal(MARK_START), literal(MARK_END)
        table: ColumnElement[Any] = literal_column("item_fts")
        return select(
            item_fts.c.rowid,
            func.highlight(table, 0, start, end),
            # summary, body, PDF text: the first holding a match is shown
            *(
                func.snippet(table, column, start, end, literal(" … "), SNIPPET_TOKENS)
                for column in (1, 2, 3)
            ),
        ).where(
            _Sqlite._matching(),
            item_fts.c.rowid.in_(bindparam("ids", expanding=True)),
        )

    def snippets(
        self, session: Session, ids: list[int]
    ) -> dict[int, tuple[str | None, str | None]]:
        """Marked title and best fragment of each item in ``ids``."""
        rows = session.execute(self._snippets_statement(), {**self.values, "ids": ids})
        result: dict[int, tuple[str | None, str | None]] = {}
        for rowid, title, *fragments in rows:
            marked = [f for f in fragments if f and MARK_START in f]
            shown = marked[0] if marked else next((f for f in fragments if f), None)
            result[int(rowid)] = (title, shown)
        return result


# Each configuration's form of the query, as text ('' when it dropped every word).
_WEBSEARCH = select(
    *(
        cast(
            func.websearch_to_tsquery(
                cast(literal(config), REGCONFIG), bindparam("q", type_=String)
            ),
            Text,
        )
        for config in PG_CONFIGS
    )
)


class _Postgres:
    """websearch_to_tsquery per language configuration, ts_rank, ts_headline."""

    name = "postgresql"

    def __init__(self, session: Session, parsed: ParsedQuery) -> None:
        row = session.execute(_WEBSEARCH, {"q": to_websearch(parsed)}).one()
        # Configurations whose query kept a lexeme (English drops "the", ...).
        queries = {c: q for c, q in zip(PG_CONFIGS, row, strict=True) if q}
        self.shape = tuple(queries)
        self.values = {f"q_{config}": q for config, q in queries.items()}
        # One tsquery joining every configuration's form of the query finds the
        # candidates with a single GIN scan (each word's posting list read once);
        # each row is then held to the form of its own configuration.
        self.values["anyform"] = " | ".join(
            f"({q})" for q in dict.fromkeys(queries.values())
        )

    @staticmethod
    def _query_for_row(shape: tuple[str, ...]) -> ColumnElement[Any]:
        return case(
            *(
                (
                    item_search.c.config == cast(literal(config), REGCONFIG),
                    cast(bindparam(f"q_{config}", type_=String), TSQUERY),
                )
                for config in shape
            ),
            else_=cast(literal(""), TSQUERY),
        )

    def can_match(self) -> bool:
        """False when every configuration dropped every word (stop words)."""
        return bool(self.shape)

    @staticmethod
    def candidates(
        shape: tuple[str, ...], conditions: list[ColumnElement[bool]]
    ) -> Select[Any]:
        """The newest matching public items with a score: lower is better.

        The GIN index finds the matches; only the newest CANDIDATES are ranked.
        """
        anyform = cast(bindparam("anyform", type_=String), TSQUERY)
        own_form = _Postgres._query_for_row(shape)
        matching = and_(
            item_search.c.document.op("@@")(anyform),
            item_search.c.document.op("@@")(own_form),
        )
        newest = (
            select(item_search.c.item_id)
            .join(Item, Item.id == item_search.c.item_id)
            .where(matching, *conditions)
            # `+ 0`: sort the index's matches, never walk the primary key checking
            # every row's tsvector (the planner's pick for a rare word otherwise)
            .order_by((item_search.c.item_id + 0).desc())
            .limit(CANDIDATES)
            .subquery("newest")
        )
        score = -func.ts_rank(item_search.c.document, own_form)
        return select(
            item_search.c.item_id.label("id"), cast(score, Float).label("score")
        ).join(newest, newest.c.item_id == item_search.c.item_id)

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def _snippets_statement(shape: tuple[str, ...]) -> Select[Any]:
        tsquery = _Postgres._query_for_row(shape)
        marks = f'StartSel="{MARK_START}", StopSel="{MARK_END}"'
        options = (
            f"{marks}, MaxWords=35, MinWords=15, MaxFragments=2, "
            'FragmentDelimiter=" … "'
        )
        files: ColumnElement[Any] = literal_column(
            "coalesce((SELECT string_agg(f.text, ' ') FROM report_file f "
            "WHERE f.item_id = item.id), '')"
        )
        document = func.left(
            func.concat_ws(
                " \n ",
                func.coalesce(Item.override_summary, Item.summary),
                Item.body,
                files,
            ),
            HEADLINE_CHARS,
        )
        title = func.coalesce(Item.override_title, Item.title)
        return (
            select(
                Item.id,
                func.ts_headline(
                    item_search.c.config,
                    title,
                    tsquery,
                    f"{marks}, HighlightAll=true",
                ),
                func.ts_headline(
                    item_search.c.config, _hide_tags(document), tsquery, options
                ),
            )
            .join(item_search, item_search.c.item_id == Item.id)
            .where(Item.id.in_(bindparam("ids", expanding=True)))
        )

    def snippets(
        self, session: Session, ids: list[int]
    ) -> dict[int, tuple[str | None, str | None]]:
        """Marked title and best fragments of each item in ``ids``."""
        rows = session.execute(
            self._snippets_statement(self.shape), {**self.values, "ids": ids}
        )
        return {int(r[0]): (r[1], _show_tags(r[2])) for r in rows}


# ts_headline's fragments drop anything that looks like an HTML tag: hide `<` from
# it behind a printable stand-in (a genuine one shows as `<`, escaped).
_LT_STAND_IN = "\u2039"


def _hide_tags(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.replace(value, "<", _LT_STAND_IN)


def _show_tags(value: str | None) -> str | None:
    return value.replace(_LT_STAND_IN, "<") if value is not None else None

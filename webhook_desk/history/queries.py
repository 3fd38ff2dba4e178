"""Listing deliveries by the History filters, a page at a time by key (never OFFSET).

Pages run newest first on (created_at, id), or in another order of sort_order's; every
filter has an index in models.Delivery that leads with its column and ends with
(created_at, id), so a page costs the same on the first page and the thousandth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, and_, bindparam, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, UTCDateTime
from webhook_desk.db.statement_cache import stored_time
from webhook_desk.history import first_page, payload_text
from webhook_desk.history.delivery_rows import delivery_dict
from webhook_desk.history.driver_reads import remember_compiled, run_compiled
from webhook_desk.history.filters import EQUALITIES, Filters, code_ranges, text_values
from webhook_desk.history.filters import STATUSES as STATUSES  # re-exported for the window
from webhook_desk.history.filters import parse_time as parse_time
from webhook_desk.history.filters import parse_until as parse_until
from webhook_desk.history.sort_order import NEWEST_FIRST, Sort, parse_sort

_COLUMNS = {
    "study": Delivery.study_id,
    "subject": Delivery.subject_id,
    "registration_id": Delivery.registration_id,
    "event": Delivery.event_code,
}


def conditions(filters: Filters, session: Session | None = None) -> list:
    """WHERE conditions for `filters` (Filters.conditions); the payload text needs the
    `session`.

    Every value is a bind parameter named as in `Filters.bind_values`, so a page statement
    can be compiled once per shape and run again with new values (see page_rows).
    """
    found = []
    for name in EQUALITIES:
        if getattr(filters, name) not in (None, ""):
            found.append(_COLUMNS[name] == bindparam(name, getattr(filters, name)))
    if filters.checked_status():
        found.append(Delivery.status == bindparam("status", filters.status))
    if filters.include_codes:
        found.append(or_(*code_conditions(filters.include_codes, "include")))
    if filters.exclude_codes:
        excluded = or_(*code_conditions(filters.exclude_codes, "exclude"))
        found.append(or_(Delivery.response_code.is_(None), ~excluded))
    if filters.since:
        found.append(Delivery.created_at >= bindparam("since", filters.since, UTCDateTime))
    if filters.until:
        found.append(Delivery.created_at < bindparam("until", filters.until, UTCDateTime))
    if filters.has_text():
        assert session is not None, "a text filter is a condition of a session's database"
        found.append(payload_text.condition(session, filters.text or ""))
    return found


def code_conditions(text: str, prefix: str = "code") -> list:
    """'2xx,404' -> conditions on response_code: a class of codes or one code each."""
    found = []
    for name, (low, high) in code_ranges(text, prefix).items():
        if low == high:
            found.append(Delivery.response_code == bindparam(name, low))
        else:
            found.append(
                Delivery.response_code.between(bindparam(name, low), bindparam(name + "_hi", high))
            )
    return found


@dataclass(frozen=True)
class Page:
    rows: list[Delivery]
    next_key: tuple[datetime, int] | None  # pass as after_key for the next page; None: the end


def list_deliveries(
    session: Session,
    filters: Filters | None = None,
    limit: int = 100,
    after_key: tuple | None = None,
    options: list | None = None,
    sort: Sort = NEWEST_FIRST,
) -> Page:
    """One page of deliveries in `sort`'s order (newest first), after `after_key` (the key of
    the last row of the previous page).

    `options`: loader options such as selectinload(Delivery.attempts) for the whole page.
    """
    query = select(Delivery).where(*(filters or Filters()).conditions(session))
    if options:
        query = query.options(*options)
    query = query.order_by(*sort.order_by())
    rows: list[Delivery] = []
    for segment in sort.after(after_key) if after_key is not None else [[]]:
        rows += session.scalars(query.where(*segment).limit(limit + 1 - len(rows)))
        if len(rows) > limit:
            break
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    return Page(rows, tuple(getattr(last, c.key) for c in sort.columns()) if last else None)


def page_keys(
    session: Session, filters: Filters, every: int, sort: Sort = NEWEST_FIRST
) -> tuple[list, int]:
    """(the key of every `every`-th matching row in `sort`'s order, how many match).

    Bookmarks for a lazy table: page n starts at keys[n] and is fetched by key, so any page
    of a million rows costs what the first does. One pass over the sort column's index.
    """
    number = func.row_number().over(order_by=sort.order_by())
    ranked = (
        select(*sort.columns(), number.label("n")).where(*filters.conditions(session)).subquery()
    )
    key = [ranked.c[c.key] for c in sort.columns()]
    keys = session.execute(
        select(*key).where(ranked.c.n % every == 1 % every).order_by(ranked.c.n)
    ).all()
    return [tuple(k) for k in keys], count(session, filters)


def position(session: Session, filters: Filters, sort: Sort, delivery_id: int) -> int | None:
    """Which row (from 0) a delivery is in `sort`'s order, None if the filters leave it out:
    for keeping it selected when the order changes. Counts the rows from it on, by index."""
    conditions = filters.conditions(session)
    key = session.execute(
        select(*sort.columns()).where(Delivery.id == delivery_id, *conditions)
    ).first()
    if key is None:
        return None
    query = select(func.count()).select_from(Delivery).where(*conditions)
    from_it = sum(session.scalar(query.where(*s)) or 0 for s in sort.after(tuple(key), True))
    return count(session, filters) - from_it


def newer_than(session: Session, filters: Filters, key: tuple[datetime, int]) -> int:
    """How many matching deliveries sort before `key` (arrived since it was the newest)."""
    created, last_id = key
    query = select(func.count()).select_from(Delivery)
    query = query.where(
        *filters.conditions(session),
        or_(
            Delivery.created_at > created,
            and_(Delivery.created_at == created, Delivery.id > last_id),
        ),
    )
    return session.scalar(query) or 0


# What a page shows of each delivery, as plain rows rather than ORM objects: building a
# hundred objects (or even parsing their timestamps) cost several times the query itself.
# Times stay as the database returns them (text on SQLite); `stored_time` reads one.
ROW_COLUMNS = {
    "id": Delivery.id,
    "delivery_id": Delivery.uuid,
    "registration_id": Delivery.registration_id,
    "event": Delivery.event_code,
    "event_version": Delivery.event_version,
    "status": Delivery.status,
    "response_code": Delivery.response_code,
    "attempts": Delivery.attempt_count,
    "created_at": Delivery.created_at,
    "last_sent_at": Delivery.last_sent_at,
    "next_attempt_at": Delivery.next_attempt_at,
    "target_url": Delivery.target_url,
    "study_id": Delivery.study_id,
    "subject_id": Delivery.subject_id,
    "error": Delivery.error,
    "duration_ms": Delivery.duration_ms,
    "is_validation": Delivery.is_validation,
    "resent_from_id": Delivery.resent_from_id,
    "source": Delivery.source,
}
TIME_COLUMNS = ("created_at", "last_sent_at", "next_attempt_at")
_ROW_SELECT = [
    (type_coerce(column, String) if name in TIME_COLUMNS else column).label(name)
    for name, column in ROW_COLUMNS.items()
]


ROW_NAMES = list(ROW_COLUMNS)
_ROW_NAME = {column.key: name for name, column in ROW_COLUMNS.items()}  # by ORM attribute
_PAGE = select(*_ROW_SELECT)
_PAGE_SQL: dict = {}  # compiled page statements by shape


@dataclass(frozen=True)
class RowPage:
    rows: list[tuple]  # values in ROW_NAMES order (tuples: even a namedtuple per row showed)
    next_key: tuple | None


def page_rows(
    session: Session,
    filters: Filters | None = None,
    limit: int = 100,
    after_key: tuple | None = None,
    first_key: tuple | None = None,
    sort: Sort = NEWEST_FIRST,
) -> RowPage:
    """A page of plain rows in `sort`'s order: after `after_key`, or starting at `first_key`
    (a bookmark); keys as `sort.columns()` make them.

    The History table asks for pages all the time, so its statements are compiled once per
    shape (which filters, which order, which key) and run again with new values straight on
    the driver: building and compiling a statement each time cost as much as the query.
    """
    filters = filters or Filters()
    key = after_key or first_key
    segments = sort.after(key, inclusive=first_key is not None) if key else [[]]
    rows: list[tuple] = []
    for n, segment in enumerate(segments):
        rows += _page_segment(
            session, filters, sort, key, (first_key is not None, n), segment, limit + 1 - len(rows)
        )
        if len(rows) > limit:
            break
    more = len(rows) > limit
    rows = rows[:limit]
    return RowPage(rows, row_key(rows[-1], sort) if more and rows else None)


def _page_segment(session, filters, sort, key, part, segment, limit) -> list[tuple]:
    """The rows of one segment of a page (see Sort.after), by its compiled statement."""
    dialect = session.connection().dialect
    text = filters.has_text() and payload_text.text_shape(session, filters.text or "")
    nulls = key and tuple(v is None for v in key)
    shape = (dialect.name, filters.shape(), text, sort, nulls, part)
    compiled = _PAGE_SQL.get(shape)
    if compiled is None:
        query = _PAGE.where(*filters.conditions(session), *segment).order_by(*sort.order_by())
        compiled = _PAGE_SQL[shape] = query.limit(bindparam("page_limit")).compile(dialect=dialect)
    values = filters.bind_values()
    values["page_limit"] = limit
    if key:
        values.update(sort.key_values(key))
    if text:
        values.update(text_values(dialect.name, filters.text or ""))
    return run_compiled(session, compiled, values)


def row_key(row: tuple, sort: Sort = NEWEST_FIRST) -> tuple:
    """A page row's key in `sort`'s order (times as aware datetimes, as bookmarks hold them)."""
    key = []
    for column in sort.columns():
        name = _ROW_NAME[column.key]
        value = row[ROW_NAMES.index(name)]
        key.append(stored_time(value) if name in TIME_COLUMNS else value)
    return tuple(key)


def row_as_dict(row) -> dict:
    """A page row with as_dict's keys; times as aware datetimes."""
    found = dict(zip(ROW_NAMES, row, strict=True))
    for name in TIME_COLUMNS:
        found[name] = stored_time(found[name])
    found["is_validation"] = bool(found["is_validation"])
    return found


# What --json shows of each delivery (delivery_rows.NAMES): the page's columns and erased_at.
JSON_COLUMNS = {**ROW_COLUMNS, "erased_at": Delivery.erased_at}
_JSON_PAGE = select(*JSON_COLUMNS.values())


def first_dicts(
    session: Session, filters: Filters, limit: int, sort_text: str | None = None
) -> list[dict]:
    """The first `limit` matching deliveries in the order `sort_text` names (parse_sort;
    newest first if none), as as_dict shapes them: the `history` verb.

    On SQLite the compiled statement is kept, so that the next process with this filter
    shape and order runs it without SQLAlchemy (history/first_page.py).
    """
    sort = parse_sort(sort_text) if sort_text else NEWEST_FIRST
    dialect = session.connection().dialect
    text = filters.has_text() and payload_text.text_shape(session, filters.text or "")
    query = _JSON_PAGE.where(*filters.conditions(session)).order_by(*sort.order_by())
    compiled = query.limit(bindparam("page_limit")).compile(dialect=dialect)
    values = first_page.values_of(filters, limit, dialect.name)
    shape = first_page.shape(filters, text, sort_text)
    remember_compiled(first_page.STATEMENT, shape, compiled, values)
    return first_page.dicts(run_compiled(session, compiled, values))


def iter_matching(session: Session, filters: Filters, page_size: int = 1000):
    """Every matching delivery, page by page (for bulk work such as resend)."""
    key = None
    while True:
        page = list_deliveries(session, filters, page_size, key)
        yield from page.rows
        if page.next_key is None:
            return
        key = page.next_key


def count(session: Session, filters: Filters | None = None) -> int:
    """How many deliveries match (the History tab's live count)."""
    query = select(func.count()).select_from(Delivery)
    return session.scalar(query.where(*(filters or Filters()).conditions(session))) or 0


def as_dict(d: Delivery) -> dict:
    """A delivery for --json and the GUI: snake_case keys, times as ISO 8601 UTC."""
    return delivery_dict({name: getattr(d, c.key) for name, c in JSON_COLUMNS.items()})

"""Listing deliveries by the History filters, a page at a time by key (never OFFSET).

Pages run newest first on (created_at, id); every filter has an index in models.Delivery
that leads with its column and ends with (created_at, id), so a page costs the same on the
first page and the thousandth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, and_, bindparam, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, UTCDateTime
from webhook_desk.history import newest, payload_text
from webhook_desk.history.delivery_rows import delivery_dict, stored_time
from webhook_desk.history.driver_reads import remember_compiled, run_compiled
from webhook_desk.history.filters import EQUALITIES, Filters, code_ranges, text_values
from webhook_desk.history.filters import STATUSES as STATUSES  # re-exported for the window
from webhook_desk.history.filters import parse_time as parse_time
from webhook_desk.history.filters import parse_until as parse_until

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
    after_key: tuple[datetime, int] | None = None,
    options: list | None = None,
) -> Page:
    """One page of deliveries, newest first, after `after_key` (the last row of the previous).

    `options`: loader options such as selectinload(Delivery.attempts) for the whole page.
    """
    query = select(Delivery).where(*(filters or Filters()).conditions(session))
    if options:
        query = query.options(*options)
    if after_key is not None:
        created, last_id = after_key
        query = query.where(*_before(created, last_id, inclusive=False))
    query = query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, (rows[-1].created_at, rows[-1].id) if more and rows else None)


def page_keys(session: Session, filters: Filters, every: int) -> tuple[list, int]:
    """(the key of every `every`-th matching row from the newest, how many match).

    Bookmarks for a lazy table: page n starts at keys[n] and is fetched by key, so any page
    of a million rows costs what the first does. One pass over the filter's index.
    """
    number = func.row_number().over(order_by=(Delivery.created_at.desc(), Delivery.id.desc()))
    ranked = (
        select(Delivery.created_at, Delivery.id, number.label("n"))
        .where(*filters.conditions(session))
        .subquery()
    )
    keys = session.execute(
        select(ranked.c.created_at, ranked.c.id)
        .where(ranked.c.n % every == 1 % every)
        .order_by(ranked.c.n)
    ).all()
    return [tuple(k) for k in keys], count(session, filters)


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


def _before(created: datetime, last_id: int, inclusive: bool) -> list:
    """Rows after the key (created, id) in newest-first order. The plain `created <=` bound
    lets the index seek straight to the key instead of filtering every row before it."""
    created_at = bindparam("key_created", created, UTCDateTime)
    key_id = bindparam("key_id", last_id, Integer)
    same_time = Delivery.id <= key_id if inclusive else Delivery.id < key_id
    return [Delivery.created_at <= created_at, or_(Delivery.created_at < created_at, same_time)]


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
_ID, _CREATED = ROW_NAMES.index("id"), ROW_NAMES.index("created_at")
_PAGE = select(*_ROW_SELECT).order_by(Delivery.created_at.desc(), Delivery.id.desc())
_PAGE_SQL: dict = {}  # compiled page statements by shape


@dataclass(frozen=True)
class RowPage:
    rows: list[tuple]  # values in ROW_NAMES order (tuples: even a namedtuple per row showed)
    next_key: tuple[datetime, int] | None


def page_rows(
    session: Session,
    filters: Filters | None = None,
    limit: int = 100,
    after_key: tuple[datetime, int] | None = None,
    first_key: tuple[datetime, int] | None = None,
) -> RowPage:
    """A page of plain rows: after `after_key`, or starting at `first_key` (a bookmark).

    The History table asks for pages all the time, so its statement is compiled once per
    shape (which filters, which key) and run again with new values straight on the driver:
    building and compiling a statement each time cost as much as the query (0.17 ms).
    """
    filters = filters or Filters()
    key = after_key or first_key
    dialect = session.connection().dialect
    text = filters.has_text() and payload_text.text_shape(session, filters.text or "")
    shape = (dialect.name, filters.shape(), text, after_key is not None, first_key is not None)
    compiled = _PAGE_SQL.get(shape)
    if compiled is None:
        query = _PAGE.where(*filters.conditions(session))
        if key is not None:
            query = query.where(*_before(*key, inclusive=first_key is not None))
        compiled = _PAGE_SQL[shape] = query.limit(bindparam("page_limit")).compile(dialect=dialect)
    values = filters.bind_values()
    values["page_limit"] = limit + 1
    if key is not None:
        values.update(key_created=key[0], key_id=key[1])
    if text:
        values.update(text_values(dialect.name, filters.text or ""))
    rows = run_compiled(session, compiled, values)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more and rows else None
    created = stored_time(last[_CREATED]) if last else None
    return RowPage(rows, (created, last[_ID]) if last and created else None)


def row_as_dict(row) -> dict:
    """A page row with as_dict's keys; times as aware datetimes."""
    found = dict(zip(ROW_NAMES, row, strict=True))
    for name in TIME_COLUMNS:
        found[name] = stored_time(found[name])
    found["is_validation"] = bool(found["is_validation"])
    return found


# What --json shows of each delivery (delivery_rows.NAMES): the page's columns and erased_at.
JSON_COLUMNS = {**ROW_COLUMNS, "erased_at": Delivery.erased_at}
_NEWEST = select(*JSON_COLUMNS.values()).order_by(Delivery.created_at.desc(), Delivery.id.desc())


def newest_dicts(session: Session, filters: Filters, limit: int) -> list[dict]:
    """The newest `limit` matching deliveries as as_dict shapes them (the `history` verb).

    On SQLite the compiled statement is kept, so that the next process with this filter
    shape runs it without SQLAlchemy (history/newest.py).
    """
    dialect = session.connection().dialect
    text = filters.has_text() and payload_text.text_shape(session, filters.text or "")
    query = _NEWEST.where(*filters.conditions(session)).limit(bindparam("page_limit"))
    compiled = query.compile(dialect=dialect)
    values = newest.values_of(filters, limit, dialect.name)
    remember_compiled(newest.STATEMENT, newest.shape(filters, text), compiled, values)
    return newest.dicts(run_compiled(session, compiled, values))


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

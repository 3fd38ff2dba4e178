"""Listing deliveries by the History filters, a page at a time by key (never OFFSET).

Pages run newest first on (created_at, id), or in another order of sort_order's; every
filter has an index in models.Delivery that leads with its column and ends with
(created_at, id), so a page costs the same on the first page and the thousandth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import String, and_, bindparam, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, UTCDateTime
from webhook_desk.errors import InvalidInput
from webhook_desk.history import payload_text
from webhook_desk.history.driver_reads import run_compiled
from webhook_desk.history.sort_order import NEWEST_FIRST, Sort
from webhook_desk.vocabulary import DeliveryStatus

STATUSES = tuple(s.value for s in DeliveryStatus)
_CODE = re.compile(r"^([1-5])(\d\d|xx)$", re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    study: str | None = None
    subject: str | None = None
    registration_id: int | None = None
    event: str | None = None
    status: str | None = None
    include_codes: str | None = None  # "2xx,404"
    exclude_codes: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None  # within payloads

    def conditions(self, session: Session | None = None) -> list:
        """WHERE conditions for these filters; the payload text needs the `session`.

        Every value is a bind parameter named as in `bind_values`, so a page statement can
        be compiled once per shape and run again with new values (see page_rows).
        """
        found = []
        for name, column in _EQUALITIES:
            if getattr(self, name) not in (None, ""):
                found.append(column == bindparam(name, getattr(self, name)))
        if self.status:
            if self.status not in STATUSES:
                raise InvalidInput(
                    f"'{self.status}' is not a delivery status; use one of {', '.join(STATUSES)}."
                )
            found.append(Delivery.status == bindparam("status", self.status))
        if self.include_codes:
            found.append(or_(*code_conditions(self.include_codes, "include")))
        if self.exclude_codes:
            excluded = or_(*code_conditions(self.exclude_codes, "exclude"))
            found.append(or_(Delivery.response_code.is_(None), ~excluded))
        if self.since:
            found.append(Delivery.created_at >= bindparam("since", self.since, UTCDateTime))
        if self.until:
            found.append(Delivery.created_at < bindparam("until", self.until, UTCDateTime))
        if self.has_text():
            assert session is not None, "a text filter is a condition of a session's database"
            found.append(payload_text.condition(session, self.text or ""))
        return found

    def bind_values(self) -> dict:
        """The values of `conditions`' parameters by name (the text's aside)."""
        found = {name: getattr(self, name) for name, _ in _EQUALITIES}
        found.update(status=self.status, since=self.since, until=self.until)
        for prefix, text in (("include", self.include_codes), ("exclude", self.exclude_codes)):
            if text:
                found.update(code_values(text, prefix))
        return found

    def shape(self) -> tuple:
        """What decides the SQL of these filters, as against their values."""
        return (
            tuple(name for name, _ in _EQUALITIES if getattr(self, name) not in (None, "")),
            bool(self.status),
            _code_shape(self.include_codes),
            _code_shape(self.exclude_codes),
            self.since is not None,
            self.until is not None,
        )

    def has_text(self) -> bool:
        return bool(self.text and self.text.strip())

    def is_empty(self) -> bool:
        return self == Filters()


_EQUALITIES = (
    ("study", Delivery.study_id),
    ("subject", Delivery.subject_id),
    ("registration_id", Delivery.registration_id),
    ("event", Delivery.event_code),
)


def code_conditions(text: str, prefix: str = "code") -> list:
    """'2xx,404' -> conditions on response_code: a class of codes or one code each."""
    found = []
    for name, (low, high) in _code_ranges(text, prefix).items():
        if low == high:
            found.append(Delivery.response_code == bindparam(name, low))
        else:
            found.append(
                Delivery.response_code.between(bindparam(name, low), bindparam(name + "_hi", high))
            )
    return found


def code_values(text: str, prefix: str) -> dict:
    found = {}
    for name, (low, high) in _code_ranges(text, prefix).items():
        found[name] = low
        if low != high:
            found[name + "_hi"] = high
    return found


def _code_shape(text: str | None) -> tuple:
    if not text:
        return ()
    return tuple(low == high for low, high in _code_ranges(text, "").values())


def _code_ranges(text: str, prefix: str) -> dict[str, tuple[int, int]]:
    found = {}
    for n, part in enumerate(p.strip() for p in text.split(",") if p.strip()):
        match = _CODE.match(part)
        if not match:
            raise InvalidInput(f"'{part}' is not a response code; write e.g. 404 or 2xx.")
        if match.group(2).lower() == "xx":
            low = int(match.group(1)) * 100
            found[f"{prefix}_{n}"] = (low, low + 99)
        else:
            found[f"{prefix}_{n}"] = (int(part), int(part))
    return found


def parse_time(text: str | None, what: str) -> datetime | None:
    """An ISO 8601 date or time; without an offset it is the user's local time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{what} '{text}' is not a date or time like 2024-05-01T12:00."
        ) from None
    if value.tzinfo is None:
        value = value.astimezone()  # naive: local time
    return value.astimezone(UTC)


def parse_until(text: str | None, what: str) -> datetime | None:
    """The end of a range (exclusive): a time is that instant; a date alone means the whole
    of that day, so "until 2026-11-28" runs to the local midnight that ends the 28th."""
    if text and _is_date_only(text.strip()):
        next_day = date.fromisoformat(text.strip()) + timedelta(days=1)
        return parse_time(next_day.isoformat(), what)
    return parse_time(text, what)


def _is_date_only(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


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
        values.update(payload_text.bind_values(dialect.name, filters.text or ""))
    return run_compiled(session, compiled, values)


def row_key(row: tuple, sort: Sort = NEWEST_FIRST) -> tuple:
    """A page row's key in `sort`'s order (times as aware datetimes, as bookmarks hold them)."""
    key = []
    for column in sort.columns():
        name = _ROW_NAME[column.key]
        value = row[ROW_NAMES.index(name)]
        key.append(stored_time(value) if name in TIME_COLUMNS else value)
    return tuple(key)


def stored_time(value) -> datetime | None:
    """A time as a page row holds it (SQLite's text, or a driver's datetime), aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def row_as_dict(row) -> dict:
    """A page row with as_dict's keys; times as aware datetimes."""
    found = dict(zip(ROW_NAMES, row, strict=True))
    for name in TIME_COLUMNS:
        found[name] = stored_time(found[name])
    found["is_validation"] = bool(found["is_validation"])
    return found


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
    return {
        "id": d.id,
        "delivery_id": d.uuid,
        "registration_id": d.registration_id,
        "event": d.event_code,
        "event_version": d.event_version,
        "status": d.status,
        "response_code": d.response_code,
        "attempts": d.attempt_count,
        "created_at": _iso(d.created_at),
        "last_sent_at": _iso(d.last_sent_at),
        "next_attempt_at": _iso(d.next_attempt_at) if d.status == DeliveryStatus.PENDING else None,
        "target_url": d.target_url,
        "study_id": d.study_id,
        "subject_id": d.subject_id,
        "error": d.error,
        "duration_ms": d.duration_ms,
        "is_validation": d.is_validation,
        "resent_from_id": d.resent_from_id,
        "source": d.source,
        "erased_at": _iso(d.erased_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None

"""What the History charts show, computed by the database for any History filter:
deliveries over time by outcome, latency p50/p95 over time, and the registrations that
fail most. Each is one GROUP BY over the filter's rows, so a million rows cost one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import String, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, Registration
from webhook_desk.history.queries import Filters
from webhook_desk.vocabulary import DeliveryStatus

MAX_BUCKETS = 60


@dataclass(frozen=True)
class Outcomes:
    start: datetime  # the bucket's first instant, UTC
    succeeded: int
    failed: int
    pending: int


@dataclass(frozen=True)
class Latency:
    start: datetime
    p50: int
    p95: int


@dataclass(frozen=True)
class FailingRegistration:
    registration_id: int | None
    name: str
    failed: int
    total: int


@dataclass(frozen=True)
class Trends:
    bucket: timedelta
    outcomes: list[Outcomes]
    latency: list[Latency]
    failing: list[FailingRegistration]


def trends(session: Session, filters: Filters, top: int = 8) -> Trends:
    """Everything the charts need for `filters`."""
    where = filters.conditions(session)
    first, last = session.execute(
        select(func.min(Delivery.created_at), func.max(Delivery.created_at)).where(*where)
    ).one()
    if first is None:
        return Trends(timedelta(hours=1), [], [], [])
    bucket = bucket_size(first, last)
    label = _bucket_label(session, bucket)
    return Trends(
        bucket,
        _outcomes(session, where, label),
        _latency(session, where, label),
        _failing(session, where, top),
    )


def bucket_size(first: datetime, last: datetime) -> timedelta:
    """An hour, a day or a week: the smallest giving at most MAX_BUCKETS bars."""
    for size in (timedelta(hours=1), timedelta(days=1)):
        if (last - first) / size < MAX_BUCKETS:
            return size
    return timedelta(weeks=1)


def _bucket_label(session: Session, bucket: timedelta):
    """The bucket's start as text 'YYYY-MM-DD HH:00:00' (UTC), made by the database."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if bucket == timedelta(hours=1):
        text = (
            func.strftime("%Y-%m-%d %H:00:00", Delivery.created_at)
            if sqlite
            else func.to_char(func.date_trunc("hour", Delivery.created_at), "YYYY-MM-DD HH24:00:00")
        )
    elif bucket == timedelta(days=1):
        text = (
            func.strftime("%Y-%m-%d 00:00:00", Delivery.created_at)
            if sqlite
            else func.to_char(func.date_trunc("day", Delivery.created_at), "YYYY-MM-DD 00:00:00")
        )
    else:  # weeks start on Monday
        text = (
            func.strftime("%Y-%m-%d 00:00:00", Delivery.created_at, "weekday 1", "-7 days")
            if sqlite
            else func.to_char(func.date_trunc("week", Delivery.created_at), "YYYY-MM-DD 00:00:00")
        )
    return type_coerce(text, String).label("bucket")


def _start(label: str) -> datetime:
    return datetime.fromisoformat(label).replace(tzinfo=UTC)


def _count_of(status: DeliveryStatus):
    return func.sum(case((Delivery.status == status, 1), else_=0))


def _outcomes(session: Session, where: list, label) -> list[Outcomes]:
    rows = session.execute(
        select(label, *(_count_of(status) for status in DeliveryStatus))
        .where(*where)
        .group_by(label)
        .order_by(label)
    )
    return [Outcomes(_start(b), int(s or 0), int(f or 0), int(p or 0)) for b, s, f, p in rows]


def _latency(session: Session, where: list, label) -> list[Latency]:
    """p50/p95 of duration from a histogram per bucket (SQLite has no percentile function;
    durations are whole milliseconds, so the histogram is exact and small)."""
    rows = session.execute(
        select(label, Delivery.duration_ms, func.count())
        .where(*where, Delivery.duration_ms.isnot(None))
        .group_by(label, Delivery.duration_ms)
        .order_by(label, Delivery.duration_ms)
    )
    found: list[Latency] = []
    current: str | None = None
    histogram: list[tuple[int, int]] = []
    for bucket, duration, count in rows:
        if bucket != current and histogram:
            found.append(_percentiles(cast(str, current), histogram))
            histogram = []
        current = bucket
        histogram.append((duration, count))
    if histogram:
        found.append(_percentiles(cast(str, current), histogram))
    return found


def _percentiles(bucket: str, histogram: list[tuple[int, int]]) -> Latency:
    total = sum(count for _, count in histogram)
    marks, seen, values = [0.5 * total, 0.95 * total], 0, []
    for duration, count in histogram:
        seen += count
        while marks and seen >= marks[0]:
            values.append(duration)
            marks.pop(0)
    return Latency(_start(bucket), values[0], values[1])


def _failing(session: Session, where: list, top: int) -> list[FailingRegistration]:
    # Two narrow passes beat one wide one: failures through the status index, totals
    # through the registration index, neither reading the rows themselves.
    failed = func.count().label("failed")
    worst = session.execute(
        select(Delivery.registration_id, failed)
        .where(*where, Delivery.status == DeliveryStatus.FAILED)
        .group_by(Delivery.registration_id)
        .order_by(failed.desc())
        .limit(top)
    ).all()
    if not worst:
        return []
    ids = [reg_id for reg_id, _ in worst]
    totals = dict(
        session.execute(
            select(Delivery.registration_id, func.count())
            .where(*where, _registration_in(ids))
            .group_by(Delivery.registration_id)
        ).all()
    )
    names: dict[int | None, str]
    names = dict(session.execute(select(Registration.id, Registration.name).where(
        Registration.id.in_([i for i in ids if i is not None])
    )).all())  # fmt: skip
    return [
        FailingRegistration(reg_id, names.get(reg_id) or _unnamed(reg_id), n, totals[reg_id])
        for reg_id, n in worst
    ]


def _registration_in(ids: list):
    known = Delivery.registration_id.in_([i for i in ids if i is not None])
    return or_(known, Delivery.registration_id.is_(None)) if None in ids else known


def _unnamed(reg_id: int | None) -> str:
    return "(no registration)" if reg_id is None else f"Registration {reg_id}"

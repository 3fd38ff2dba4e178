"""What each CentrePoint endpoint of the platform emulator answers, read from our database,
and what the ECG module's endpoints (mock_ecg_endpoints.py) share with them.

Every function takes a session and the request's path parameters and query, and returns the
JSON document to send, or raises ApiError. The HTTP side (auth, switches, error shapes) is in
mock_api.py. Lists are in the order rows were stored, so a client paging by offset while the
platform grows sees new records at the end, as it would on the platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from webhook_desk.db.models import Attempt, Delivery, Registration, change_count
from webhook_desk.history.centrepoint_format import (
    PLATFORM_EVENTS,
    FormatError,
    parse_time,
    to_v1_record,
    to_v3_item,
    v3_page,
)
from webhook_desk.platform import api_shapes
from webhook_desk.vocabulary import RegistrationStatus

V3_DEFAULT_LIMIT = 100
V3_MAX_LIMIT = 100  # "between 1 and 100" (CentrePoint pagination.md)


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    """What a handler needs of an HTTP request."""

    params: dict[str, str]
    query: dict[str, list[str]]
    url: str  # scheme://host:port/path, no query: for paging links

    def one(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def many(self, name: str) -> list[str]:
        """Repeated and comma-separated values alike (?a=1&a=2 or ?a=1,2)."""
        return [v for value in self.query.get(name, []) for v in value.split(",") if v]


# ---- shared ----------------------------------------------------------------------------


def integer_param(
    text: str | None, name: str, default: int, low: int, high: int | None = None
) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number.") from None
    if value < low or (high is not None and value > high):
        upper = f" and {high}" if high is not None else ""
        raise ApiError(400, f"{name} must be between {low}{upper}." if upper else f"{name} < {low}")
    return value


def date_param(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_time(text, name)
    except FormatError:
        raise ApiError(400, f"{name} '{text}' is not a date.") from None


def _registration(session: Session, reg_id: str, what: str) -> Registration:
    reg = session.get(Registration, int(reg_id)) if reg_id.isdigit() else None
    if reg is None or reg.status == RegistrationStatus.ARCHIVED:
        raise ApiError(404, f"{what} {reg_id} was not found.")
    return reg


# ---- CentrePoint v3 ----------------------------------------------------------------------


def _v3_window(request: Request) -> tuple[int, int]:
    limit = integer_param(request.one("limit"), "limit", V3_DEFAULT_LIMIT, 1, V3_MAX_LIMIT)
    return limit, integer_param(request.one("offset"), "offset", 0, 0)


def _v3_links(request: Request, limit: int, offset: int, total: int) -> dict:
    links = {}
    if offset + limit < total:
        links["next"] = f"{request.url}?offset={offset + limit}&limit={limit}"
    if offset > 0:
        links["prev"] = f"{request.url}?offset={max(offset - limit, 0)}&limit={limit}"
    return links


def _study_webhooks(study_id: str):
    return select(Registration).where(
        Registration.study_id == study_id, Registration.status != RegistrationStatus.ARCHIVED
    )


def v3_webhooks(session: Session, request: Request) -> dict:
    limit, offset = _v3_window(request)
    study = request.params["studyId"]
    query = _study_webhooks(study)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    regs = session.scalars(
        query.options(selectinload(Registration.events))
        .order_by(Registration.id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [api_shapes.v3_webhook(r) for r in regs]
    return v3_page(items, total, limit, offset, _v3_links(request, limit, offset, total))


def _study_webhook(session: Session, request: Request) -> Registration:
    reg = _registration(session, request.params["webhookId"], "Webhook")
    if reg.study_id != request.params["studyId"]:
        raise ApiError(404, f"Webhook {reg.id} was not found in study {request.params['studyId']}.")
    return reg


def v3_webhook(session: Session, request: Request) -> dict:
    return api_shapes.v3_webhook(_study_webhook(session, request))


def attempts_of(condition):
    return (
        select(Attempt)
        .join(Attempt.delivery)
        .options(contains_eager(Attempt.delivery))
        .where(condition)
        .order_by(Attempt.id)
    )


_ID_LISTS: dict[tuple, list[int]] = {}
_ID_LISTS_KEPT = 32


def attempt_ids(session: Session, key: str, condition) -> list[int]:
    """The ids of the attempts matching `condition`, in order, kept until the next write (an
    attempt added, or deleted by retention or erasure: db.models.change_count).

    Paging 50,000 records by OFFSET through a join sorts them all for every page; the list
    of ids is built once and each page is then a lookup of 100 ids by primary key."""
    cache_key = (str(session.get_bind().engine.url), key, change_count(session))
    ids = _ID_LISTS.get(cache_key)
    if ids is None:
        query = select(Attempt.id).join(Attempt.delivery).where(condition).order_by(Attempt.id)
        ids = list(session.scalars(query))
        if len(_ID_LISTS) >= _ID_LISTS_KEPT:
            _ID_LISTS.pop(next(iter(_ID_LISTS)))
        _ID_LISTS[cache_key] = ids
    return ids


def attempts_by_id(session: Session, ids: list[int]) -> list[Attempt]:
    if not ids:
        return []
    return list(session.scalars(attempts_of(Attempt.id.in_(ids))))


def v3_history(session: Session, request: Request) -> dict:
    limit, offset = _v3_window(request)
    reg = _study_webhook(session, request)
    ids = attempt_ids(session, f"webhook/{reg.id}", Delivery.registration_id == reg.id)
    total = len(ids)
    attempts = attempts_by_id(session, ids[offset : offset + limit])
    items = [to_v3_item(attempt.delivery, attempt) for attempt in attempts]
    return v3_page(items, total, limit, offset, _v3_links(request, limit, offset, total))


def v3_webhook_events(session: Session, request: Request) -> dict:
    """The platform's subscribable events, with its ids and descriptions, by name."""
    limit, offset = _v3_window(request)
    items = [api_shapes.v3_event(code, text) for code, (_, text) in PLATFORM_EVENTS.items()]
    page = items[offset : offset + limit]
    return v3_page(page, len(items), limit, offset, _v3_links(request, limit, offset, len(items)))


# ---- CentrePoint v1 ----------------------------------------------------------------------


def v1_history(session: Session, request: Request) -> list[dict]:
    study = request.one("studyId")
    if not study:
        raise ApiError(400, "studyId is required.")
    integer_param(study, "studyId", 0, 0)
    condition = Delivery.registration_id.in_(
        select(Registration.id).where(Registration.study_id == study)
    )
    start, end = (
        date_param(request.one("startDate"), "startDate"),
        date_param(request.one("endDate"), "endDate"),
    )
    query = attempts_of(condition)
    if start:
        query = query.where(Attempt.started_at >= start)
    if end:
        query = query.where(Attempt.started_at <= end)
    include = [
        integer_param(c, "IncludeResponseCodes", 0, 0) for c in request.many("IncludeResponseCodes")
    ]
    exclude = [
        integer_param(c, "ExcludeResponseCodes", 0, 0) for c in request.many("ExcludeResponseCodes")
    ]
    if include:
        query = query.where(Attempt.response_code.in_(include))
    if exclude:
        query = query.where(Attempt.response_code.is_(None) | Attempt.response_code.not_in(exclude))
    return [to_v1_record(a.delivery, a) for a in session.scalars(query)]

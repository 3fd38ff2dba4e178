"""What each ECG Webhooks Module endpoint of the platform emulator answers (seed 004):
catalog, subscriptions, secret histories, activities and activations, health.

Lists page by skip/take in stored order (order_by=DESC reverses it), as plain JSON arrays.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from webhook_desk.db.models import Attempt, Delivery, EventCategory, EventType, Registration
from webhook_desk.platform import api_shapes
from webhook_desk.platform.mock_endpoints import (
    ApiError,
    Request,
    attempt_ids,
    date_param,
    integer_param,
)
from webhook_desk.vocabulary import DeliveryStatus

ECG_DEFAULT_TAKE = 10
EXAMPLE_TYPES = ("ack", "nack", "phone-log", "vitals-observation")


# ---- ECG: catalog ------------------------------------------------------------------------


def _ecg_window(request: Request) -> tuple[int, int, bool]:
    skip = integer_param(request.one("skip"), "skip", 0, 0)
    take = integer_param(request.one("take"), "take", ECG_DEFAULT_TAKE, 1)
    order = (request.one("order_by") or "ASC").upper()
    if order not in ("ASC", "DESC"):
        raise ApiError(400, "order_by must be ASC or DESC.")
    return skip, take, order == "DESC"


def _window(rows: list, request: Request) -> list:
    skip, take, descending = _ecg_window(request)
    rows = list(reversed(rows)) if descending else rows
    return rows[skip : skip + take]


def _ecg_categories(session: Session) -> list[EventCategory]:
    return list(
        session.scalars(
            select(EventCategory)
            .where(EventCategory.module == "ecg")
            .options(selectinload(EventCategory.events))
            .order_by(EventCategory.id)
        )
    )


def find_category(session: Session, category_id: str) -> EventCategory:
    for category in _ecg_categories(session):
        if api_shapes.category_id(category) == category_id:
            return category
    raise ApiError(404, f"Webhook category {category_id} was not found.")


def find_event(session: Session, request: Request) -> EventType:
    category = find_category(session, request.params["webhookCategoryId"])
    for event in category.events:
        if api_shapes.event_id(event) == request.params["webhookEventId"]:
            return event
    raise ApiError(404, f"Webhook event {request.params['webhookEventId']} was not found.")


def categories(session: Session, request: Request) -> list[dict]:
    return [api_shapes.ecg_category(c) for c in _window(_ecg_categories(session), request)]


def category(session: Session, request: Request) -> dict:
    return api_shapes.ecg_category(find_category(session, request.params["webhookCategoryId"]))


def events(session: Session, request: Request) -> list[dict]:
    found = find_category(session, request.params["webhookCategoryId"])
    ordered = sorted(found.events, key=lambda e: e.id)
    return [api_shapes.ecg_event(e) for e in _window(ordered, request)]


def event(session: Session, request: Request) -> dict:
    return api_shapes.ecg_event(find_event(session, request))


def sample_payload(session: Session, request: Request) -> dict:
    found = find_event(session, request)
    version = request.one("version")
    if not version:
        raise ApiError(400, "version is required.")
    if version != found.version or not found.samples:
        raise ApiError(404, f"No sample payload for {found.code} {version}.")
    return api_shapes.ecg_sample(found, found.samples[0].payload, version, found.samples[0].name)


def sample_examples(session: Session, request: Request) -> dict:
    found = find_event(session, request)
    kind = request.one("type", "ack")
    if kind not in EXAMPLE_TYPES:
        raise ApiError(400, f"type must be one of {', '.join(EXAMPLE_TYPES)}.")
    for sample in found.samples:
        if sample.name == kind:
            return api_shapes.ecg_sample(found, sample.payload, found.version, kind)
    raise ApiError(404, f"No '{kind}' example for {found.code}.")


def seed_versions(session: Session, request: Request) -> list[dict]:
    versions = session.scalars(select(EventType.version).distinct().order_by(EventType.version))
    return [{"version": v} for v in versions]


def random_payload(session: Session, request: Request) -> dict:
    found = [e for c in _ecg_categories(session) for e in c.events if e.samples]
    if not found:
        raise ApiError(404, "There are no sample payloads.")
    chosen = random.choice(found)
    return {"eventType": chosen.code, "version": chosen.version, "data": chosen.samples[0].payload}


# ---- ECG: subscriptions ------------------------------------------------------------------


def _org_subscriptions(session: Session, organization: str) -> list[Registration]:
    query = (
        select(Registration)
        .where(Registration.organization_id == organization)
        .options(selectinload(Registration.events), selectinload(Registration.secrets))
        .order_by(Registration.id)
    )
    return list(session.scalars(query))


def find_subscription(session: Session, request: Request) -> Registration:
    found = session.get(Registration, _subscription_columns(session, request).id)
    assert found is not None  # just read in this transaction
    return found


_SUBSCRIPTION_COLUMNS = select(
    Registration.id,
    Registration.source,
    Registration.remote_id,
    Registration.organization_id,
    Registration.url,
    Registration.event_version,
).order_by(Registration.id)


def _subscription_columns(session: Session, request: Request) -> api_shapes.SubscriptionLike:
    """The subscription the path names, as the columns an activity shows of it; else 404."""
    organization = request.params["organizationId"]
    query = _SUBSCRIPTION_COLUMNS.where(Registration.organization_id == organization)
    for row in session.execute(query):
        if api_shapes.subscription_id(row) == request.params["subscriptionId"]:
            return row
    raise ApiError(404, f"Webhook subscription {request.params['subscriptionId']} was not found.")


def subscriptions(session: Session, request: Request) -> list[dict]:
    regs = _org_subscriptions(session, request.params["organizationId"])
    version = request.one("version")
    if version:
        regs = [r for r in regs if r.event_version == version]
    wanted_event = request.one("eventId")
    if wanted_event:
        codes = {
            e.code
            for e in session.scalars(select(EventType))
            if api_shapes.event_id(e) == wanted_event
        }
        regs = [r for r in regs if codes & set(r.event_codes)]
    return [api_shapes.ecg_subscription(r) for r in _window(regs, request)]


def subscription(session: Session, request: Request) -> dict:
    return api_shapes.ecg_subscription(find_subscription(session, request))


def event_subscriptions(session: Session, request: Request) -> list[dict]:
    code = request.params["eventCode"]
    regs = session.scalars(
        select(Registration)
        .where(Registration.organization_id.is_not(None))
        .options(selectinload(Registration.events))
        .order_by(Registration.id)
    )
    return [api_shapes.ecg_subscription(r) for r in regs if code in r.event_codes]


def secrets(session: Session, request: Request) -> dict:
    reg = find_subscription(session, request)
    history = api_shapes.ecg_secret_history(reg)
    if not history:
        raise ApiError(404, "This subscription has no secret.")
    created = date_param(request.one("createdAt"), "createdAt")
    if created:
        history = [h for h in history if h["auditInfo"]["createdAt"] <= api_shapes.iso_z(created)]
        if not history:
            raise ApiError(404, "No secret was created by then.")
    return history[-1]


def secret_histories(session: Session, request: Request) -> list[dict]:
    reg = find_subscription(session, request)
    entries = _window(api_shapes.ecg_secret_history(reg), request)
    if request.one("include") == "subscription":
        for entry in entries:
            entry["subscription"] = api_shapes.ecg_subscription(reg)
    return entries


# ---- ECG: activities ---------------------------------------------------------------------


_STATUS = {"all", DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED}


def _activity_condition(reg_id: int, request: Request, validations: bool):
    condition = (Delivery.registration_id == reg_id) & (Delivery.is_validation.is_(validations))
    status = request.one("status", "all")
    if status not in _STATUS:
        raise ApiError(400, "status must be all, succeeded or failed.")
    ok = Attempt.response_code.between(200, 299)
    if status == DeliveryStatus.SUCCEEDED:
        condition &= ok
    elif status == DeliveryStatus.FAILED:
        condition &= Attempt.response_code.is_(None) | ~ok
    return condition, status


def _event_types(session: Session) -> dict[tuple[str, str], EventType]:
    return {(e.code, e.version): e for e in session.scalars(select(EventType))}


def _activities(session: Session, request: Request, validations: bool) -> list[dict]:
    reg = _subscription_columns(session, request)
    condition, status = _activity_condition(reg.id, request, validations)
    key = f"activity/{reg.id}/{validations}/{status}"
    wanted_event = request.one("eventId")
    types = _event_types(session)
    if wanted_event:
        codes = [code for (code, _), e in types.items() if api_shapes.event_id(e) == wanted_event]
        condition &= Delivery.event_code.in_(codes)
        key += f"/{wanted_event}"
    skip, take, descending = _ecg_window(request)
    ids = attempt_ids(session, key, condition)
    ids = ids[::-1] if descending else ids
    rows = activity_rows(session, ids[skip : skip + take])
    rows.sort(key=lambda row: row.id, reverse=descending)
    include = set(request.many("include")) or ({"subscription", "event"} if validations else set())
    subscription = api_shapes.subscription_ref(reg) if "subscription" in include else None
    events: dict[tuple[str, str], dict] = {}
    if "event" in include:
        events = {pair: api_shapes.event_ref(e, *pair) for pair, e in types.items()}
    return [
        api_shapes.activity_of(row, subscription, _event_of(events, row, "event" in include))
        for row in rows
    ]


def _event_of(events: dict, row: api_shapes.ActivityRow, included: bool) -> dict | None:
    if not included:
        return None
    key = (row.event_code, row.event_version)
    return events.get(key) or api_shapes.event_ref(None, *key)


_ACTIVITY_COLUMNS = select(
    Attempt.id,
    Attempt.number,
    Attempt.started_at,
    Attempt.response_code,
    func.coalesce(Attempt.request_body, Delivery.payload),
    Attempt.request_headers,
    Attempt.response_headers,
    Attempt.response_body,
    Attempt.retried_attempt_id,
    Attempt.error,
    Delivery.attempt_count,
    Delivery.next_attempt_at,
    Delivery.event_code,
    Delivery.event_version,
).join(Attempt.delivery)


def activity_rows(session: Session, ids: list[int]) -> list[api_shapes.ActivityRow]:
    """The page's attempts with their deliveries' columns, in one query, as plain rows."""
    if not ids:
        return []
    query = _ACTIVITY_COLUMNS.where(Attempt.id.in_(ids))
    return [api_shapes.ActivityRow(*row) for row in session.execute(query)]


def activity_list(session: Session, request: Request) -> list[dict]:
    return _activities(session, request, validations=False)


def activation_list(session: Session, request: Request) -> list[dict]:
    return _activities(session, request, validations=True)


def _find_activity(session: Session, request: Request, key: str) -> tuple[Attempt, Registration]:
    reg = find_subscription(session, request)
    wanted = request.params[key]
    attempt_id = api_shapes.attempt_id_of(wanted)
    attempt = session.get(Attempt, attempt_id) if attempt_id is not None else None
    if attempt is not None and attempt.delivery.registration_id == reg.id:
        return attempt, reg
    raise ApiError(404, f"Activity {wanted} was not found.")


def activity(session: Session, request: Request) -> dict:
    mode = request.one("mode")
    if mode not in ("flat", "nested"):
        raise ApiError(400, "mode must be flat or nested.")
    attempt, reg = _find_activity(session, request, "activityId")
    types = _event_types(session)
    kind = types.get((attempt.delivery.event_code, attempt.delivery.event_version))
    both = ("subscription", "event")
    flat = api_shapes.ecg_activity(attempt, reg, kind, both)
    if mode == "flat":
        return flat
    later = [a for a in attempt.delivery.attempts if a.number > attempt.number]
    children, level = [], 2
    for child in later:  # each retry is the child of the post before it
        children.append(
            api_shapes.nested_activity(api_shapes.ecg_activity(child, reg, kind, both), [], level)
        )
        level += 1
    return api_shapes.nested_activity(flat, children)


def activation(session: Session, request: Request) -> dict:
    attempt, reg = _find_activity(session, request, "activationId")
    kind = _event_types(session).get((attempt.delivery.event_code, attempt.delivery.event_version))
    return api_shapes.ecg_activity(attempt, reg, kind, ("subscription", "event"))


def healthcheck(session: Session, request: Request) -> dict:
    session.scalar(select(func.count()).select_from(Registration))
    up = {"database": {"status": "up"}}
    return {"status": "ok", "info": up, "error": {}, "details": up}

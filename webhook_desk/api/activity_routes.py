"""A subscription's activity over the services (seed 004): posting an event fires it through
the outbox and the engine, a retry resends, an outcome is recorded as the next attempt, and
the payload hash is made and checked with the subscription's secret.

An activity is one attempt (its id carries the attempt's); an activity not yet sent is its
delivery, named by the delivery's X-ActiGraph-Delivery UUID until the engine sends it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.api.calls import Call
from webhook_desk.db.models import Attempt, Delivery, EventType, Registration
from webhook_desk.platform import api_shapes
from webhook_desk.platform import mock_ecg_endpoints as ecg
from webhook_desk.platform.mock_endpoints import ApiError
from webhook_desk.services import firing, outcomes, payload_hashes, resend

BOTH = ("subscription", "event")


def _event_type(session: Session, delivery: Delivery) -> EventType | None:
    return session.scalar(
        select(EventType).where(
            EventType.code == delivery.event_code, EventType.version == delivery.event_version
        )
    )


def _delivery(session: Session, call: Call, reg: Registration) -> Delivery:
    """The delivery an activity id names, if it belongs to the subscription; else 404."""
    wanted = call.params["activityId"]
    attempt_id = api_shapes.attempt_id_of(wanted)
    if attempt_id is not None:
        attempt = session.get(Attempt, attempt_id)
        found = attempt.delivery if attempt is not None else None
    else:
        found = session.scalar(select(Delivery).where(Delivery.uuid == wanted))
    if found is None or found.registration_id != reg.id:
        raise ApiError(404, f"Activity {wanted} was not found.")
    return found


def _unsent(session: Session, delivery: Delivery, reg: Registration, retrying_from=None) -> dict:
    """A delivery the engine has not sent yet, in an activity's shape."""
    row = api_shapes.ActivityRow(
        id=0,
        number=1,
        started_at=delivery.created_at,
        response_code=None,
        body_sent=delivery.payload,
        request_headers={},
        response_headers=None,
        response_body=None,
        retried_attempt_id=None,
        error=None,
        attempt_count=delivery.attempt_count,
        next_attempt_at=delivery.next_attempt_at,
        event_code=delivery.event_code,
        event_version=delivery.event_version,
    )
    kind = api_shapes.event_ref(_event_type(session, delivery), row.event_code, row.event_version)
    shown = api_shapes.activity_of(row, api_shapes.subscription_ref(reg), kind)
    return shown | {
        "id": delivery.uuid,
        "retryingFromPostId": retrying_from,
        "nextRetryAt": api_shapes.iso_z(delivery.next_attempt_at),
    }


def post(session: Session, call: Call) -> dict:
    body = call.fields("eventId", "payload")
    reg = ecg.find_subscription(session, call)
    codes = {
        e.code
        for e in session.scalars(select(EventType))
        if api_shapes.event_id(e) == body["eventId"]
    }
    if not codes:
        raise ApiError(422, f"There is no event {body['eventId']} in the catalog.")
    [delivery] = firing.fire(session, codes.pop(), to_registration=reg.id, payload=body["payload"])
    return _unsent(session, delivery, reg, body.get("retryingFromPostId"))


def get(session: Session, call: Call) -> dict:
    if api_shapes.attempt_id_of(call.params["activityId"]) is not None:
        return ecg.activity(session, call)
    reg = ecg.find_subscription(session, call)
    delivery = _delivery(session, call, reg)
    if delivery.attempts:
        call.params["activityId"] = api_shapes.activity_id(delivery.attempts[0])
        return ecg.activity(session, call)
    if call.one("mode") not in ("flat", "nested"):
        raise ApiError(400, "mode must be flat or nested.")
    shown = _unsent(session, delivery, reg)
    return shown if call.one("mode") == "flat" else api_shapes.nested_activity(shown, [])


def retry(session: Session, call: Call) -> dict:
    reg = ecg.find_subscription(session, call)
    original = _delivery(session, call, reg)
    again = resend.resend(session, original.id)
    return _unsent(session, again, reg, retrying_from=call.params["activityId"])


def record_outcome(session: Session, call: Call) -> dict:
    body = call.fields("success")
    reg = ecg.find_subscription(session, call)
    delivery = _delivery(session, call, reg)
    attempt = outcomes.record_outcome(
        session,
        delivery.id,
        body["success"],
        body.get("httpStatusCode"),
        body.get("error"),
        body.get("rawResponse"),
    )
    return api_shapes.ecg_activity(attempt, reg, _event_type(session, delivery), BOTH)


def payload_with_hash(session: Session, call: Call) -> dict:
    """Make the payload with its hash and fire it to the subscription as a new activity."""
    body = call.fields("eventType", "version", "data")
    mode = call.required("mode")
    reg = ecg.find_subscription(session, call)
    payload = payload_hashes.envelope(
        session, call.store, reg, body["eventType"], body["version"], body["data"]
    )
    [delivery] = firing.fire(session, body["eventType"], to_registration=reg.id, payload=payload)
    activity = _unsent(session, delivery, reg, call.one("originalActivityId"))
    return {"mode": mode, "payload": payload, "activity": activity}


def validate_hash(session: Session, call: Call) -> dict:
    body = call.fields("hash", "createdAt")
    if "payload" not in body:
        raise ApiError(400, "The request body needs payload.")
    reg = ecg.find_subscription(session, call)
    ok = payload_hashes.valid(
        session, call.store, reg, body["payload"], body["createdAt"], body["hash"]
    )
    return {"valid": ok}


def get_hash(session: Session, call: Call) -> dict:
    reg = ecg.find_subscription(session, call)
    return payload_hashes.of_delivery(session, call.store, _delivery(session, call, reg)).as_dict()

"""The ECG module's organisation subscriptions (seed 004): our registrations of an
organisation, changed through services/registrations.py as the GUI and CLI change them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.api.calls import Call, done, patch_changes
from webhook_desk.db.models import EventType
from webhook_desk.platform import api_shapes
from webhook_desk.platform.mock_ecg_endpoints import find_subscription
from webhook_desk.platform.mock_endpoints import ApiError, date_param
from webhook_desk.services import registrations
from webhook_desk.services.registration_rules import SECRET_KIND
from webhook_desk.vocabulary import AuthType

EDITABLE = {
    "postUri": "url",
    "events": "events",
    "version": "event_version",
    "isDevelopment": "is_development",
}
STATUS_ACTIONS = {
    "activate": "enable",
    "deactivate": "disable",
    "archive": "archive",
    "restore": "restore",
}
# The module signs with a per-subscription secret key: our HMAC registrations.
AUTH_TYPE = AuthType.HMAC


def create(session: Session, call: Call) -> dict:
    body = call.fields("postUri")
    if not isinstance(body.get("isDevelopment"), bool):
        raise ApiError(400, "The request body needs isDevelopment, true or false.")
    events = body.get("events") or []
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise ApiError(400, "events is an array of event codes.")
    data = registrations.RegistrationInput(
        url=body["postUri"],
        events=events,
        organization_id=call.params["organizationId"],
        auth_type=AUTH_TYPE,
        event_version=body.get("version") or "v1",
        is_development=body["isDevelopment"],
    )
    secret = body.get("secretKey") or body.get("secret")
    reg, generated = registrations.add(session, call.store, data, secret=secret)
    # The one time the key is shown, as the module answers a new subscription.
    return api_shapes.ecg_subscription(reg) | {"secretKey": generated or secret}


def current_secret(session: Session, call: Call) -> dict:
    """The subscription's secret key (seed 004's GET secrets): the newest version, or the
    newest made by `createdAt`. The value comes from this server's keyring."""
    reg = find_subscription(session, call)
    created = date_param(call.one("createdAt"), "createdAt")
    # createdAt as the history shows it, to the millisecond: a version made then is in.
    versions = [
        v
        for v in reg.secrets
        if v.kind == SECRET_KIND[AUTH_TYPE]  # never a client certificate's key
        and (created is None or _to_ms(v.created_at) <= created)
    ]
    if not versions:
        raise ApiError(404, "No secret was created by then." if created else "No secret yet.")
    return {"secretKey": call.store.get(versions[-1].keyring_key)}


def _to_ms(moment):
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def patch(session: Session, call: Call) -> dict:
    reg = find_subscription(session, call)
    changes = patch_changes(call, api_shapes.ecg_subscription(reg), EDITABLE)
    registrations.update(session, call.store, reg.id, changes)
    session.flush()
    session.refresh(reg, ["events"])  # in the order a GET shows them
    return api_shapes.ecg_subscription(reg)


def delete(session: Session, call: Call) -> dict:
    registrations.delete(session, call.store, find_subscription(session, call).id)
    return done()


def status(action: str):
    def change(session: Session, call: Call) -> dict:
        reg = find_subscription(session, call)
        registrations.set_status(session, reg.id, STATUS_ACTIONS[action])
        return done()

    change.__name__ = f"{action}_subscription"
    return change


def remove_event(session: Session, call: Call) -> dict:
    reg = find_subscription(session, call)
    wanted = call.params["eventId"]
    codes = {e.code for e in session.scalars(select(EventType)) if api_shapes.event_id(e) == wanted}
    if not codes & set(reg.event_codes):
        raise ApiError(
            404, f"Webhook subscription {call.params['subscriptionId']} has no event {wanted}."
        )
    kept = [code for code in reg.event_codes if code not in codes]
    registrations.update(session, call.store, reg.id, {"events": kept})
    return done()


def rotate_secret(session: Session, call: Call) -> dict:
    registrations.rotate_secret(session, call.store, find_subscription(session, call).id)
    return done()


def add_secret(session: Session, call: Call) -> dict:
    body = call.fields("secretKey")
    reg = find_subscription(session, call)
    registrations.rotate_secret(session, call.store, reg.id, secret=body["secretKey"])
    session.refresh(reg, ["secrets"])
    return api_shapes.ecg_secret_history(reg)[-1]

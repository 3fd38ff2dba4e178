"""Our records in the platform APIs' JSON shapes: CentrePoint v3 webhook registrations
(seeds 000/001) and the ECG Webhooks Module's categories, events, subscriptions, secret
histories and activities (seed 004). History items and records are centrepoint_format's.

The ECG module names everything by UUID; ours are integers, so UUIDs are derived from them
(stable across runs), unless the row is itself a mirror of the platform and keeps its own.
Where seed 004 folds an object away (archiveInfo, auditInfo, activeInfo), the fields here are
the emulator's reading of it, and the sync reads the same names.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple, Protocol

from webhook_desk.db.models import Attempt, Delivery, EventCategory, EventType, Registration
from webhook_desk.engine.client_tls import CLIENT_KEY
from webhook_desk.history.centrepoint_format import platform_event_id, platform_time
from webhook_desk.redaction import redacted
from webhook_desk.vocabulary import EventStatus, RegistrationStatus

_NAMESPACE = uuid.UUID("0e6f6b1c-3d0a-4c55-9e8e-6a0d2f7c9b31")
MODULE_USER = "webhooks-module"


def derived_id(kind: str, key) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{key}"))


def iso_z(value: datetime | None) -> str | None:
    """ECG times: ISO 8601 UTC with milliseconds and Z ("2022-08-18T10:03:03.750Z")."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---- CentrePoint v3 --------------------------------------------------------------------


def v3_webhook(reg: Registration) -> dict:
    """GET /centrepoint/v3/Studies/{studyId}/Webhooks/{webhookId}."""
    return {
        "id": reg.id,
        "studyId": int(reg.study_id) if reg.study_id and reg.study_id.isdigit() else reg.study_id,
        "url": reg.url,
        "createdDate": platform_time(reg.created_at),
        "isDisabled": reg.status != RegistrationStatus.ENABLED,
        "webhookEvents": [v3_event(code) for code in reg.event_codes],
    }


def v3_event(code: str, description: str | None = None) -> dict:
    """A Webhook Event as CentrePoint's /WebhookEvents lists it: id, name, description."""
    return {"id": platform_event_id(code), "name": code, "description": description}


# ---- ECG: catalog ----------------------------------------------------------------------


def _archive_info(archived: bool) -> dict:
    return {"isArchived": archived, "archivedAt": None, "archivedBy": None}


def _active_info(is_active: bool) -> dict:
    return {"isActive": is_active, "activatedAt": None, "deactivatedAt": None}


def _audit_info(created: datetime | None, updated: datetime | None = None) -> dict:
    return {
        "createdAt": iso_z(created),
        "createdBy": MODULE_USER,
        "updatedAt": iso_z(updated or created),
        "updatedBy": MODULE_USER,
    }


def category_id(category: EventCategory) -> str:
    return derived_id("category", category.code)


def event_id(event: EventType) -> str:
    return derived_id("event", f"{event.code}/{event.version}")


def _catalog_entry(entry_id: str, entry: EventCategory | EventType) -> dict:
    """What the module shows alike for a category and an event."""
    return {
        "id": entry_id,
        "name": entry.name,
        "description": entry.description,
        "code": entry.code,
        "archiveInfo": _archive_info(entry.status == EventStatus.ARCHIVED),
        "auditInfo": _audit_info(entry.created_at),
        "activeInfo": _active_info(entry.status == EventStatus.ACTIVE),
    }


def ecg_category(category: EventCategory) -> dict:
    return _catalog_entry(category_id(category), category)


def ecg_event(event: EventType) -> dict:
    category = event.category
    return _catalog_entry(event_id(event), event) | {
        "version": event.version,
        "webhookCategory": {
            "id": category_id(category),
            "name": category.name,
            "code": category.code,
        },
    }


def ecg_sample(event: EventType, payload: dict, version: str, name: str) -> dict:
    """A sample payload: the seed shows `payload` as a JSON string ("{}")."""
    return {
        "id": derived_id("sample", f"{event.code}/{version}/{name}"),
        "event": {"id": event_id(event), "code": event.code, "version": event.version},
        "payload": json.dumps(payload),
        "version": version,
        "auditInfo": _audit_info(event.created_at),
    }


# ---- ECG: subscriptions ----------------------------------------------------------------


class SubscriptionLike(Protocol):
    """The columns of a subscription an activity names: a Registration or a row of them."""

    @property
    def id(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def remote_id(self) -> str | None: ...
    @property
    def organization_id(self) -> str | None: ...
    @property
    def url(self) -> str: ...
    @property
    def event_version(self) -> str: ...


def subscription_id(reg: SubscriptionLike) -> str:
    if reg.source == "ecg" and reg.remote_id:
        return reg.remote_id
    return derived_id("subscription", reg.id)


def subscription_ref(reg: SubscriptionLike) -> dict:
    """The subscription as an activity includes it."""
    return {
        "id": subscription_id(reg),
        "organizationId": reg.organization_id,
        "postUri": reg.url,
        "version": reg.event_version,
    }


def ecg_subscription(reg: Registration) -> dict:
    # secretKey: the emulator never hands out a secret value; the field is there, empty.
    return subscription_ref(reg) | {
        "secretKey": None,
        "events": reg.event_codes,
        "isDevelopment": reg.is_development,
        "auditInfo": _audit_info(reg.created_at, reg.updated_at),
        "activeInfo": _active_info(reg.status == RegistrationStatus.ENABLED),
        "archiveInfo": _archive_info(reg.status == RegistrationStatus.ARCHIVED),
    }


def ecg_secret_history(reg: Registration) -> list[dict]:
    """Secret versions as history entries: when and which (by fingerprint), never the value."""
    return [
        {
            "id": derived_id("secret", f"{reg.id}/{v.kind}/{v.version}"),
            "subscriptionId": subscription_id(reg),
            "secretKey": f"[redacted; fingerprint {v.fingerprint or 'unknown'}]",
            "version": v.version,
            "expiresAt": iso_z(v.expires_at),
            "revokedAt": iso_z(v.revoked_at),
            "auditInfo": _audit_info(v.created_at),
        }
        for v in reg.secrets
        if v.kind != CLIENT_KEY  # a key for TLS, not a secret the module signs with
    ]


# ---- ECG: activities -------------------------------------------------------------------


_ACTIVITY_PREFIX = "ac7e0000-0000-4000-8000-"


def activity_id(attempt: Attempt) -> str:
    return activity_id_of(attempt.id)


def activity_id_of(attempt_id: int) -> str:
    """A UUID that carries the attempt's id, so the emulator finds an activity by index."""
    return f"{_ACTIVITY_PREFIX}{attempt_id:012x}"


def attempt_id_of(activity: str) -> int | None:
    if not activity.startswith(_ACTIVITY_PREFIX):
        return None
    try:
        return int(activity[len(_ACTIVITY_PREFIX) :], 16)
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _payload(text: str):
    """The body sent, parsed. Kept by its text (attempts of a delivery, and the next page made
    after a write, send the same bodies again), so callers must not change what it returns."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class ActivityRow(NamedTuple):
    """What an activity shows of one attempt and its delivery: one row of one query
    (mock_ecg_endpoints.activity_rows) or read off the ORM objects (activity_row)."""

    id: int
    number: int
    started_at: datetime
    response_code: int | None
    body_sent: str
    request_headers: dict
    response_headers: dict | None
    response_body: str | None
    retried_attempt_id: int | None
    error: str | None
    attempt_count: int
    next_attempt_at: datetime | None
    event_code: str
    event_version: str


def activity_row(attempt: Attempt) -> ActivityRow:
    delivery: Delivery = attempt.delivery
    return ActivityRow(
        attempt.id,
        attempt.number,
        attempt.started_at,
        attempt.response_code,
        attempt.body_sent,
        attempt.request_headers,
        attempt.response_headers,
        attempt.response_body,
        attempt.retried_attempt_id,
        attempt.error,
        delivery.attempt_count,
        delivery.next_attempt_at,
        delivery.event_code,
        delivery.event_version,
    )


def event_ref(event: EventType | None, code: str, version: str) -> dict:
    """The event as an activity includes it (id None once the catalog lost it)."""
    return {"id": event_id(event) if event else None, "code": code, "version": version}


def ecg_activity(
    attempt: Attempt, reg: Registration | None, event: EventType | None, include=()
) -> dict:
    """One post (an attempt) of a subscription; a retry names the post it retried."""
    row = activity_row(attempt)
    subscription = subscription_ref(reg) if "subscription" in include and reg is not None else None
    kind = event_ref(event, row.event_code, row.event_version) if "event" in include else None
    return activity_of(row, subscription, kind)


def activity_of(row: ActivityRow, subscription: dict | None, event: dict | None) -> dict:
    """An activity from plain values; `subscription` and `event` (their refs) when included."""
    code = row.response_code
    activity = {
        "id": activity_id_of(row.id),
        "type": 0 if row.number == 1 else 1,
        "postedAt": iso_z(row.started_at),
        "httpStatusCode": code,
        "payload": _payload(row.body_sent),
        "rawMessage": {"headers": redacted(row.request_headers), "body": row.body_sent},
        "retryingFromPostId": (
            activity_id_of(row.retried_attempt_id) if row.retried_attempt_id else None
        ),
        "nextRetryAt": iso_z(row.next_attempt_at) if row.number == row.attempt_count else None,
        "rawResponse": (
            {"headers": redacted(row.response_headers), "body": row.response_body}
            if code is not None
            else None
        ),
        "error": row.error,
        "success": code is not None and 200 <= code < 300,
        "auditInfo": _audit_info(row.started_at),
    }
    if subscription is not None:
        activity["subscription"] = subscription
    if event is not None:
        activity["event"] = event
    return activity


def nested_activity(activity: dict, children: list[dict], level: int = 1) -> dict:
    """The seed's nested mode: snake_case `posted_at`, a `level`, and `childPostHistory`."""
    nested = {
        "id": activity["id"],
        "level": level,
        "type": activity["type"],
        "posted_at": activity["postedAt"],
    }
    nested.update(
        (k, activity[k])
        for k in (
            "payload",
            "subscription",
            "event",
            "retryingFromPostId",
            "nextRetryAt",
            "rawResponse",
            "error",
            "success",
        )
        if k in activity
    )
    nested["childPostHistory"] = children
    return nested

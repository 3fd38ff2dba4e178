"""Pulling from the ECG Webhooks Module: its catalog (what the desk lacks), an organisation's
subscriptions (as mirrors), and their activity, a post and its retries as one delivery.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from webhook_desk.db.models import Attempt, Delivery, EventCategory, EventType, SamplePayload
from webhook_desk.errors import NotFound
from webhook_desk.history.centrepoint_format import parse_time
from webhook_desk.platform.client import PlatformClient, PlatformError
from webhook_desk.platform.sync import (
    Mirror,
    PageWriter,
    Progress,
    SyncReport,
    api_token,
    converted,
    count_mirror,
    finish,
    mirror_of,
    quiet,
    stored_records,
    upsert_mirror,
)
from webhook_desk.redaction import redacted
from webhook_desk.vocabulary import DeliveryStatus, EventStatus, RegistrationStatus


def sync_ecg(db, client: PlatformClient, organization: str, progress: Progress = quiet,
             catalog: bool = True) -> SyncReport:  # fmt: skip
    """The module's catalog (unless `catalog` is False), an organisation's subscriptions, and
    the activity after what is stored here; the report names the deliveries newly failed."""
    report = SyncReport("ecg")
    try:
        if catalog:
            _pull_catalog(db, client, report, progress)
        _pull_changes(db, client, organization, report, progress)
    finally:
        finish(report, client)
    return report


def _pull_changes(db, client, organization, report: SyncReport, progress) -> None:
    """The subscriptions (a page of them), then per subscription only the activity after
    what is stored here (the list's skip): with nothing new, a request or two."""
    with db.session() as session:
        last_attempt = session.scalar(select(func.max(Attempt.id))) or 0
    mirrors = _pull_subscriptions(db, client, organization, report, progress)
    for mirror in mirrors:
        ActivityPull(db, client, organization, mirror, report, progress).run()
    report.new_failed = _failed_since(db, last_attempt, [mirror.id for mirror in mirrors])


@dataclass(frozen=True)
class Connection:
    """An organisation of a connected ECG module, whose subscriptions are mirrored here."""

    origin: str  # the module's API, as given to `sync ecg`
    organization: str


def refresh(db, store, mirror: Connection, tries: int = 3) -> SyncReport:
    """What changed on the module since the last pull, with the token kept for it: the
    organisation's subscriptions and their new activity, not the catalog (the module lists it
    with no way to ask what changed; `sync ecg` pulls it). `new_failed` names the deliveries
    a new activity left failed, for the window to notify."""
    token, _ = api_token(store, mirror.origin, None)
    client = PlatformClient(mirror.origin, token, tries=tries)
    try:
        return sync_ecg(db, client, mirror.organization, catalog=False)
    finally:
        client.close()


def _failed_since(db, last_attempt: int, mirror_ids: list[int]) -> list[str]:
    """The deliveries of these mirrors that are failed now after an attempt stored since."""
    with db.session() as session:
        return list(
            session.scalars(
                select(Delivery.uuid)
                .join(Attempt, Attempt.delivery_id == Delivery.id)
                .where(
                    Attempt.id > last_attempt,
                    Delivery.registration_id.in_(mirror_ids),
                    Delivery.status == DeliveryStatus.FAILED,
                )
                .distinct()
                .order_by(Delivery.uuid)
            )
        )


# An ECG subscription's active/archived flags, as a registration's status here.
_REGISTRATION_STATUS = {
    EventStatus.ACTIVE: RegistrationStatus.ENABLED,
    EventStatus.INACTIVE: RegistrationStatus.DISABLED,
    EventStatus.ARCHIVED: RegistrationStatus.ARCHIVED,
}


def _status(document: dict) -> EventStatus:
    if (document.get("archiveInfo") or {}).get("isArchived"):
        return EventStatus.ARCHIVED
    active = (document.get("activeInfo") or {}).get("isActive", True)
    return EventStatus.ACTIVE if active else EventStatus.INACTIVE


def module_categories(client) -> Iterator[dict]:
    """Every category of the module's catalog, as the module shows it."""
    for page in client.ecg_pages("/api/webhook-categories", {"order_by": "ASC"}):
        yield from page


def category_events(client, category_id: str) -> list[dict]:
    """Every event (each version) of one of the module's categories."""
    path = f"/api/webhook-categories/{category_id}/webhook-events"
    return [e for page in client.ecg_pages(path, {"order_by": "ASC"}) for e in page]


def module_events(client) -> Iterator[tuple[str, dict]]:
    """Every event version of the module's catalog with its category's id (entries without
    an id, which cannot be named in a route, left out)."""
    for category in module_categories(client):
        if isinstance(category, dict) and category.get("id"):
            for event in category_events(client, category["id"]):
                if isinstance(event, dict) and event.get("id"):
                    yield category["id"], event


def event_ids(client) -> dict[tuple[str, str], str]:
    """The module's id of each (event code, version) of its catalog."""
    events = [e for _, e in module_events(client) if e.get("code") and e.get("version")]
    return {(e["code"], e["version"]): e["id"] for e in events}


def _pull_catalog(db, client, report, progress) -> None:
    for done, document in enumerate(module_categories(client), start=1):
        events = category_events(client, document["id"])
        with db.session() as session:
            report.catalog_added += _mirror_category(session, client, document, events)
        progress("catalog categories", done, None)


def _mirror_category(session, client, document: dict, events: list[dict]) -> int:
    """Add what the local catalog lacks; statuses chosen locally are left as they are."""
    added = 0
    category = session.scalar(select(EventCategory).where(EventCategory.code == document["code"]))
    if category is None:
        category = EventCategory(
            code=document["code"],
            name=document.get("name") or document["code"],
            description=document.get("description"),
            module="ecg",
            status=_status(document),
        )
        session.add(category)
        added += 1
    for event in events:
        known = session.scalar(
            select(EventType).where(
                EventType.code == event["code"], EventType.version == event["version"]
            )
        )
        if known is None:
            added += _add_event(session, client, category, document["id"], event)
    return added


def _add_event(session, client, category, category_id: str, event: dict) -> int:
    added = EventType(
        category=category,
        code=event["code"],
        version=event["version"],
        name=event.get("name") or event["code"],
        description=event.get("description"),
        status=_status(event),
        json_schema={},
    )
    path = f"/api/webhook-categories/{category_id}/webhook-events/{event['id']}/sample-payloads"
    try:
        sample = client.get(path, {"version": event["version"]})
        payload = sample.get("payload")
        payload = json.loads(payload) if isinstance(payload, str) else payload
        if isinstance(payload, dict):
            added.samples.append(SamplePayload(name="platform", payload=payload))
    except (NotFound, ValueError):
        pass  # an event without a sample is still an event
    session.add(added)
    return 1


def _pull_subscriptions(db, client, organization, report, progress) -> list[Mirror]:
    mirrors = []
    path = f"/api/organizations/{organization}/webhook-subscriptions"
    for page in client.ecg_pages(path, {"order_by": "ASC"}):
        with db.session() as session:
            for document in page:
                mirrors.append(
                    _mirror_subscription(session, document, organization, client, report)
                )
        progress("subscriptions", len(mirrors), None)
    return mirrors


def _mirror_subscription(session, document, organization, client, report) -> Mirror:
    remote, fields, events = subscription_fields(document, organization)
    count_mirror(report, upsert_mirror(session, "ecg", remote, fields, events, client.base_url))
    reg = mirror_of(session, "ecg", remote)
    assert reg is not None  # upsert_mirror made it
    return Mirror(reg.id, remote, reg.url)


def subscription_fields(document, organization: str) -> tuple[str, dict, list[str]]:
    """A subscription as the module shows it: its id, its mirror's fields, its event codes."""
    if not isinstance(document, dict) or "id" not in document:
        raise PlatformError("The platform sent a subscription without an id.")
    remote = str(document["id"])
    fields = {
        "name": f"ECG subscription {remote[:8]}",
        "organization_id": document.get("organizationId") or organization,
        "url": document.get("postUri") or "",
        "event_version": document.get("version") or "v1",
        "is_development": bool(document.get("isDevelopment")),
        "status": _REGISTRATION_STATUS[_status(document)],
    }
    audit_info = document.get("auditInfo") or {}
    if audit_info.get("createdAt"):
        fields["created_at"] = converted(
            lambda t: parse_time(t, "createdAt"), audit_info["createdAt"], "a date"
        )
    return remote, fields, [str(e) for e in document.get("events") or []]


class ActivityPull:
    """A subscription's activity as deliveries: a post and its chain of retries are one
    delivery, named (its hash) by the id of the first post."""

    def __init__(self, db, client, organization, mirror: Mirror, report, progress):
        self.db, self.client, self.mirror = db, client, mirror
        self.report, self.progress = report, progress
        self.path = f"/api/organizations/{organization}/webhook-subscriptions/{mirror.remote_id}"
        self.roots: dict[str, str] = {}

    def run(self) -> None:
        with self.db.session() as session:
            skip = stored_records(session, self.mirror.id, "ecg")
        params = {"status": "all", "order_by": "ASC", "include": "event"}
        stage = f"activity of subscription {self.mirror.remote_id[:8]}"
        urls = {self.mirror.remote_id: self.mirror.url}
        with PageWriter(self.db, "ecg", urls, self.report) as writer:
            for page in self.client.ecg_pages(self.path + "/activity", params, skip=skip):
                writer.add([self._pair(activity) for activity in page])
                skip += len(page)
                self.progress(stage, skip, None)

    def _root(self, activity: dict) -> str:
        seen = activity
        while seen.get("retryingFromPostId"):
            parent = seen["retryingFromPostId"]
            if parent in self.roots:
                self.roots[activity["id"]] = self.roots[parent]
                return self.roots[parent]
            # Its parent was stored by an earlier run: walk up the chain on the platform.
            seen = self.client.get(f"{self.path}/activity/{parent}", {"mode": "flat"})
        self.roots[activity["id"]] = seen["id"]
        return seen["id"]

    def _pair(self, activity: dict) -> tuple[dict, dict]:
        if not isinstance(activity, dict) or not activity.get("id") or not activity.get("postedAt"):
            raise PlatformError("The platform sent an activity without an id or postedAt.")
        posted = converted(lambda t: parse_time(t, "postedAt"), activity["postedAt"], "a date")
        event = activity.get("event") or {}
        raw = activity.get("rawMessage") or {}
        body = raw.get("body") if isinstance(raw.get("body"), str) else None
        if body is None:
            body = json.dumps(activity.get("payload"))
        response = activity.get("rawResponse") or {}
        response_body = response.get("body") if isinstance(response, dict) else response
        delivery = {
            "uuid": self._root(activity)[:36],
            "event_code": str(event.get("code") or "unknown"),
            "event_version": str(event.get("version") or "v1"),
            "payload": body,
            "study_id": None,
            "subject_id": None,
            "target_url": self.mirror.url,
            "source": "ecg",
            "remote_id": self.mirror.remote_id,
            "created_at": posted,
        }
        attempt = {
            "remote_id": activity["id"],
            "started_at": posted,
            "url": self.mirror.url,
            "request_headers": redacted(raw.get("headers") or {}),
            "request_body": body,
            "response_code": activity.get("httpStatusCode"),
            "response_headers": _response_headers(response),
            "response_body": (
                response_body
                if response_body is None or isinstance(response_body, str)
                else json.dumps(response_body)
            ),
            "duration_ms": None,
            "error": activity.get("error"),
        }
        return delivery, attempt


def _response_headers(response) -> dict | None:
    """The headers the platform saw come back, redacted (a Set-Cookie is a credential)."""
    headers = response.get("headers") if isinstance(response, dict) else None
    return redacted(headers) if isinstance(headers, dict) else headers

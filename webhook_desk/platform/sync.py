"""Pulling registrations, the catalog and delivery history from the platform APIs.

Pulled registrations are read-only mirrors (source 'centrepoint' or 'ecg', remote_id the
platform's id) until `copy_mirror` makes a local registration of one. History is stored page
by page, each page in its own transaction, marked with where it came from. Where to resume
is derived from what is stored: the number of records a mirror already holds is the offset
of the next page, since the platform lists history oldest first and appends. Running a sync
again therefore asks only for the records after those, and storing dedupes in any case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webhook_desk import audit, catalog, registrations
from webhook_desk.db.models import (
    Attempt,
    Delivery,
    EventCategory,
    EventType,
    Registration,
    RegistrationEvent,
    SamplePayload,
)
from webhook_desk.errors import InvalidInput, KeyringUnavailable, NotFound, UserError
from webhook_desk.history.centrepoint_format import (
    FormatError,
    from_v1_record,
    from_v3_item,
    group,
    parse_time,
    platform_time,
    redacted,
)
from webhook_desk.platform.client import PlatformClient, PlatformError, fetched_ahead
from webhook_desk.platform.stored_history import store
from webhook_desk.registrations import RegistrationInput
from webhook_desk.secrets import SecretStore

BATCH_RECORDS = 2000
# (what is being pulled, how much of it is done, its total when known)
Progress = Callable[[str, int, int | None], None]


@dataclass
class SyncReport:
    source: str
    registrations_added: int = 0
    registrations_updated: int = 0
    catalog_added: int = 0
    records_fetched: int = 0
    records_added: int = 0
    deliveries_added: int = 0
    requests: int = 0
    retries: int = 0
    warning: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class SyncCancelled(UserError):
    """Raised by a progress callback to stop a sync between pages."""

    def __init__(self):
        super().__init__(
            "The sync was cancelled; what was fetched is kept and the next sync resumes there."
        )


@dataclass
class Mirror:
    id: int
    remote_id: str
    url: str


# ---- the API token -----------------------------------------------------------------------


def token_key(api_url: str) -> str:
    """Where the token for `api_url` lives in the keyring: one per platform host."""
    return f"platform/{urlsplit(api_url.strip()).netloc.lower()}"


def api_token(store_: SecretStore, api_url: str, given: str | None) -> tuple[str, str | None]:
    """The token to use, and a warning when a given one could not be kept in the keyring.

    A given token replaces the stored one; without one, the stored one is used."""
    key = token_key(api_url)
    if given:
        try:
            store_.put(key, given.strip())
        except KeyringUnavailable as error:
            return given.strip(), f"The token was used but not kept: {error}"
        return given.strip(), None
    try:
        return store_.get(key), None
    except NotFound:
        raise UserError(
            f"No API token for {urlsplit(api_url).netloc} is stored yet; pass one with "
            "--token-stdin."
        ) from None


# ---- shared ------------------------------------------------------------------------------


def _quiet(stage: str, done: int, total: int | None) -> None:
    pass


def _upsert_mirror(
    session: Session, source: str, remote_id: str, fields: dict, events: list[str], origin: str
) -> bool | None:
    """Create or refresh the mirror of a platform registration: True new, False changed,
    None unchanged."""
    reg = session.scalar(
        select(Registration).where(
            Registration.source == source, Registration.remote_id == remote_id
        )
    )
    created = reg is None
    if created:
        reg = Registration(source=source, remote_id=remote_id, validation_state="pending")
        session.add(reg)
        before = None
    else:
        before = registrations.as_dict(reg)
    for name, value in fields.items():
        setattr(reg, name, value)
    if created or reg.event_codes != sorted(set(events)):
        reg.events = [RegistrationEvent(event_code=c) for c in sorted(set(events))]
    session.flush()
    after = registrations.as_dict(reg)
    if before == after:
        return None
    action = "registration.mirror" if created else "registration.mirror-update"
    audit.record(session, action, "registration", reg.id, before, after, f"synced from {origin}")
    return created


def _count(report: SyncReport, outcome: bool | None) -> None:
    if outcome is True:
        report.registrations_added += 1
    elif outcome is False:
        report.registrations_updated += 1


def _stored_records(session: Session, mirror_id: int, source: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Attempt)
        .join(Attempt.delivery)
        .where(
            Delivery.registration_id == mirror_id,
            Delivery.source == source,
            Delivery.is_validation.is_(False),
        )
    )


def _converted(convert, document, what: str):
    try:
        return convert(document)
    except FormatError as error:
        raise PlatformError(f"The platform sent {what} we cannot read: {error}.") from None


class PageWriter:
    """Stores fetched pages of history, a few thousand records to a transaction, deduped as
    the importer does (deliveries by hash, attempts by when sent and what came back).

    A transaction per page of 100 spent more time committing than storing. Whatever was
    fetched is written on the way out, also when the sync is interrupted, so a resumed
    sync starts right after it."""

    def __init__(self, db, source: str, urls: dict[str, str], report: SyncReport):
        self.db, self.source, self.urls, self.report = db, source, urls, report
        self.pending: list[tuple] = []

    def __enter__(self) -> PageWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()

    def add(self, pairs: list) -> None:
        self.pending.extend(pairs)
        self.report.records_fetched += len(pairs)
        if len(self.pending) >= BATCH_RECORDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        found = group(self.pending)
        for imported in found:
            self._mark(imported)
        with self.db.session() as session:
            stored = store(session, found, self._mirrors(session))
        self.report.records_added += stored.attempts
        self.report.deliveries_added += stored.deliveries
        self.pending = []

    def _mirrors(self, session: Session) -> dict[str, int]:
        rows = session.execute(
            select(Registration.remote_id, Registration.id).where(
                Registration.source == self.source
            )
        )
        return {remote: local for remote, local in rows}

    def _mark(self, imported) -> None:
        """Where it came from, and where it went when the record itself does not say."""
        delivery = imported.delivery
        delivery["source"] = self.source
        url = self.urls.get(delivery["remote_id"])
        if url and not delivery["target_url"]:
            delivery["target_url"] = url
            for attempt in imported.attempts:
                attempt["url"] = attempt["url"] or url


def _finish(report: SyncReport, client: PlatformClient) -> SyncReport:
    report.requests, report.retries = client.requests, client.retries
    return report


# ---- CentrePoint -------------------------------------------------------------------------


def sync_centrepoint(
    db, client: PlatformClient, study: str, since: str | None = None, progress: Progress = _quiet
) -> SyncReport:
    """A study's webhooks and their history (v3 pages; with `since`, the v1 history after it)."""
    if not str(study).isdigit():
        raise InvalidInput(f"'{study}' is not a CentrePoint study id (a whole number).")
    if since:
        since_time(since)  # a mistyped time is the user's mistake, said before any request
    report = SyncReport("centrepoint")
    try:
        mirrors = _pull_webhooks(db, client, str(study), report, progress)
        if since:
            _pull_v1_history(db, client, str(study), since, mirrors, report, progress)
        else:
            for mirror in mirrors:
                _pull_v3_history(db, client, str(study), mirror, report, progress)
    finally:
        _finish(report, client)
    return report


def _pull_webhooks(db, client, study, report, progress) -> list[Mirror]:
    mirrors, path = [], f"/centrepoint/v3/Studies/{study}/Webhooks"
    for page in client.v3_pages(path):
        with db.session() as session:
            for item in page["items"]:
                mirrors.append(_mirror_webhook(session, item, study, client.base_url, report))
        progress("webhooks", page["offset"] + len(page["items"]), page["totalCount"])
    return mirrors


def _mirror_webhook(session, item: dict, study: str, origin: str, report) -> Mirror:
    if not isinstance(item, dict) or "id" not in item or "url" not in item:
        raise PlatformError("The platform sent a webhook registration without an id or URL.")
    remote = str(item["id"])
    events = [e["name"] for e in item.get("webhookEvents") or [] if e.get("name")]
    created = item.get("createdDate")
    fields = {
        "name": f"CentrePoint webhook {remote}",
        "study_id": str(item.get("studyId") or study),
        "url": item["url"],
        "status": "disabled" if item.get("isDisabled") else "enabled",
        "disabled_reason": "disabled on the platform" if item.get("isDisabled") else None,
    }
    if created:
        fields["created_at"] = _converted(lambda t: parse_time(t, "createdDate"), created, "a date")
    outcome = _upsert_mirror(session, "centrepoint", remote, fields, events, origin)
    _count(report, outcome)
    reg = session.scalar(
        select(Registration).where(
            Registration.source == "centrepoint", Registration.remote_id == remote
        )
    )
    return Mirror(reg.id, remote, reg.url)


def _pull_v3_history(db, client, study, mirror: Mirror, report, progress) -> None:
    with db.session() as session:
        offset = _stored_records(session, mirror.id, "centrepoint")
    path = f"/centrepoint/v3/Studies/{study}/Webhooks/{mirror.remote_id}/history"
    if offset and not _holds_record(db, client, path, offset - 1):
        offset = 0  # what is stored is not the list's head (a --since sync): walk it all
    stage = f"history of webhook {mirror.remote_id}"
    with PageWriter(db, "centrepoint", {mirror.remote_id: mirror.url}, report) as writer:
        for page in fetched_ahead(client.v3_pages(path, offset=offset)):
            writer.add([_converted(from_v3_item, i, "a history item") for i in page["items"]])
            progress(stage, page["offset"] + len(page["items"]), page["totalCount"])


def since_time(text: str):
    try:
        return parse_time(text, "--since")
    except FormatError:
        raise InvalidInput(
            f"--since '{text}' is not a time; write e.g. 2026-11-01 or 2026-11-01T08:00:00 (UTC)."
        ) from None


def _holds_record(db, client: PlatformClient, path: str, index: int) -> bool:
    """Whether the record at `index` of the platform's list is stored here."""
    items = client.get(path, {"offset": index, "limit": 1}).get("items") or []
    if not items:
        return False
    delivery, attempt = _converted(from_v3_item, items[0], "a history item")
    second = attempt["started_at"].replace(microsecond=0)
    with db.session() as session:
        found = session.scalar(
            select(func.count())
            .select_from(Attempt)
            .join(Attempt.delivery)
            .where(
                Delivery.uuid == delivery["uuid"],
                Attempt.started_at >= second,
                Attempt.started_at < second + timedelta(seconds=1),
            )
        )
    return bool(found)


def _pull_v1_history(db, client, study, since, mirrors, report, progress) -> None:
    start = platform_time(since_time(since))
    records = client.get("/v1/webhooks/history", {"studyId": study, "startDate": start})
    if not isinstance(records, list):
        raise PlatformError("The platform's v1 history is not a list of records.")
    pairs = [_converted(from_v1_record, record, "a v1 history record") for record in records]
    with PageWriter(db, "centrepoint", {m.remote_id: m.url for m in mirrors}, report) as writer:
        writer.add(pairs)
    progress(f"history since {start}", len(pairs), len(pairs))


# ---- ECG ---------------------------------------------------------------------------------


def sync_ecg(db, client: PlatformClient, organization: str, progress: Progress = _quiet):
    """The module's catalog, an organisation's subscriptions, and their activity."""
    report = SyncReport("ecg")
    try:
        _pull_catalog(db, client, report, progress)
        mirrors = _pull_subscriptions(db, client, organization, report, progress)
        for mirror in mirrors:
            ActivityPull(db, client, organization, mirror, report, progress).run()
    finally:
        _finish(report, client)
    return report


def _status(document: dict) -> str:
    if (document.get("archiveInfo") or {}).get("isArchived"):
        return "archived"
    return "active" if (document.get("activeInfo") or {}).get("isActive", True) else "inactive"


def _pull_catalog(db, client, report, progress) -> None:
    done = 0
    for page in client.ecg_pages("/api/webhook-categories", {"order_by": "ASC"}):
        for document in page:
            events = [
                e
                for events_page in client.ecg_pages(
                    f"/api/webhook-categories/{document['id']}/webhook-events", {"order_by": "ASC"}
                )
                for e in events_page
            ]
            with db.session() as session:
                report.catalog_added += _mirror_category(session, client, document, events)
            done += 1
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
    if not isinstance(document, dict) or "id" not in document:
        raise PlatformError("The platform sent a subscription without an id.")
    status = _status(document)
    remote = str(document["id"])
    fields = {
        "name": f"ECG subscription {remote[:8]}",
        "organization_id": document.get("organizationId") or organization,
        "url": document.get("postUri") or "",
        "event_version": document.get("version") or "v1",
        "is_development": bool(document.get("isDevelopment")),
        "status": {"active": "enabled", "inactive": "disabled"}.get(status, "archived"),
    }
    audit_info = document.get("auditInfo") or {}
    if audit_info.get("createdAt"):
        fields["created_at"] = _converted(
            lambda t: parse_time(t, "createdAt"), audit_info["createdAt"], "a date"
        )
    events = [str(e) for e in document.get("events") or []]
    _count(report, _upsert_mirror(session, "ecg", remote, fields, events, client.base_url))
    reg = session.scalar(
        select(Registration).where(Registration.source == "ecg", Registration.remote_id == remote)
    )
    return Mirror(reg.id, remote, reg.url)


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
            skip = _stored_records(session, self.mirror.id, "ecg")
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
        posted = _converted(lambda t: parse_time(t, "postedAt"), activity["postedAt"], "a date")
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
            "response_headers": response.get("headers") if isinstance(response, dict) else None,
            "response_body": (
                response_body
                if response_body is None or isinstance(response_body, str)
                else json.dumps(response_body)
            ),
            "duration_ms": None,
            "error": activity.get("error"),
        }
        return delivery, attempt


# ---- making a mirror one's own -----------------------------------------------------------


def copy_mirror(session: Session, store_: SecretStore, reg_id, reason: str | None = None):
    """A local registration made from a mirror; returns it and its generated secret (if any)."""
    mirror = registrations.get(session, reg_id)
    if mirror.source == "local":
        raise InvalidInput(f"Registration {mirror.id} is already local; there is nothing to copy.")
    known = {e.code for e in catalog.list_events(session)}
    data = RegistrationInput(
        url=mirror.url,
        events=[c for c in mirror.event_codes if c in known],
        name=f"{mirror.name} (copy)",
        study_id=mirror.study_id,
        organization_id=mirror.organization_id,
        event_version=mirror.event_version,
        is_development=mirror.is_development,
    )
    return registrations.add(
        session, store_, data, reason=reason or f"copied from {mirror.source} mirror {mirror.id}"
    )

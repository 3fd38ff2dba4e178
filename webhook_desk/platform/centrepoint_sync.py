"""Pulling a CentrePoint study's webhooks (as mirrors) and their delivery history: the v3
history pages of each webhook by their own links, or with --since the v1 history after a time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from webhook_desk.db.models import Attempt, Delivery, Registration
from webhook_desk.errors import InvalidInput
from webhook_desk.history.centrepoint_format import (
    FormatError,
    from_v1_record,
    from_v3_item,
    parse_time,
    platform_time,
)
from webhook_desk.platform.client import PlatformClient, PlatformError, fetched_ahead
from webhook_desk.platform.sync import (
    Mirror,
    PageWriter,
    Progress,
    SyncReport,
    converted,
    count_mirror,
    finish,
    quiet,
    stored_records,
    upsert_mirror,
)
from webhook_desk.vocabulary import RegistrationStatus


def sync_centrepoint(
    db, client: PlatformClient, study: str, since: str | None = None, progress: Progress = quiet
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
        finish(report, client)
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
        "status": RegistrationStatus.DISABLED
        if item.get("isDisabled")
        else RegistrationStatus.ENABLED,
        "disabled_reason": "disabled on the platform" if item.get("isDisabled") else None,
    }
    if created:
        fields["created_at"] = converted(lambda t: parse_time(t, "createdDate"), created, "a date")
    outcome = upsert_mirror(session, "centrepoint", remote, fields, events, origin)
    count_mirror(report, outcome)
    reg = session.scalar(
        select(Registration).where(
            Registration.source == "centrepoint", Registration.remote_id == remote
        )
    )
    return Mirror(reg.id, remote, reg.url)


def _pull_v3_history(db, client, study, mirror: Mirror, report, progress) -> None:
    with db.session() as session:
        offset = stored_records(session, mirror.id, "centrepoint")
    path = f"/centrepoint/v3/Studies/{study}/Webhooks/{mirror.remote_id}/history"
    if offset and not _holds_record(db, client, path, offset - 1):
        offset = 0  # what is stored is not the list's head (a --since sync): walk it all
    stage = f"history of webhook {mirror.remote_id}"
    with PageWriter(db, "centrepoint", {mirror.remote_id: mirror.url}, report) as writer:
        for page in fetched_ahead(client.v3_pages(path, offset=offset)):
            writer.add([converted(from_v3_item, i, "a history item") for i in page["items"]])
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
    delivery, attempt = converted(from_v3_item, items[0], "a history item")
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
    pairs = [converted(from_v1_record, record, "a v1 history record") for record in records]
    with PageWriter(db, "centrepoint", {m.remote_id: m.url for m in mirrors}, report) as writer:
        writer.add(pairs)
    progress(f"history since {start}", len(pairs), len(pairs))

"""Acting on a hosted ECG subscription's activity from the desk: retry a failed activity,
record an outcome, fire an event (seed 004's activity routes). Each goes to the module first;
then the subscription's activity is pulled again, so what the desk shows is what the module
now lists, and the audit names the module's activity and the user's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webhook_desk.errors import InvalidInput, UserError
from webhook_desk.platform.ecg_sync import ActivityPull, event_ids
from webhook_desk.platform.module_writes import ModuleWrites, module_client
from webhook_desk.platform.sync import Mirror, SyncReport, quiet
from webhook_desk.services import audit, catalog, registrations, resend


@dataclass(frozen=True)
class Hosted:
    """Where a mirrored subscription lives on its module."""

    reg_id: int
    organization: str
    remote_id: str
    url: str
    origin: str | None

    @property
    def path(self) -> str:
        return f"/api/organizations/{self.organization}/webhook-subscriptions/{self.remote_id}"


@dataclass(frozen=True)
class Outcome:
    """What a receiver did with a delivery, as seed 004's outcomes route takes it."""

    success: bool
    status_code: int | None
    error: str | None = None
    raw_response: object = None


def hosted_registration(session, reg_id) -> Hosted | None:
    """The module's subscription `reg_id` mirrors, or None for a registration of the desk's own
    (or a CentrePoint mirror, which has no write routes)."""
    reg = registrations.get(session, reg_id)
    if reg.source != "ecg":
        return None
    return Hosted(
        reg.id, reg.organization_id or "", reg.remote_id or "", reg.url, reg.remote_origin
    )


def hosted_delivery(session, delivery_ref) -> tuple[Hosted, str] | None:
    """For a delivery pulled from the module: its subscription, and its id here, which is the
    module's id of its first post; None for a delivery of the desk's own."""
    delivery = resend.find(session, delivery_ref)
    if delivery.source != "ecg" or delivery.registration_id is None:
        return None
    hosted = hosted_registration(session, delivery.registration_id)
    return None if hosted is None else (hosted, delivery.uuid)


def connected(db, store, hosted: Hosted) -> EcgActivityWrites:
    return EcgActivityWrites(
        db, module_client(store, hosted.origin, f"Registration {hosted.reg_id}")
    )


def retry_each(
    db, connect: Callable, bulk: resend.BulkResend, reason=None, progress=None, cancelled=None
) -> tuple[int, list[str]]:
    """Each delivery pulled from an ECG module retried by its module (a resend of all
    matching): `connect(hosted)` gives the writes of a subscription's module (asked once a
    module). Each retry is recorded in the bulk's job, which is finished once all were taken,
    and `progress(tried)` follows them. `cancelled()`, asked between retries, stops them and
    leaves the job open for a rerun to go on. How many the modules took, and a sentence for
    each refused (the others still go); fewer tried than hosted means it was stopped."""
    retried, failed = 0, list[str]()
    writes: dict[str | None, EcgActivityWrites] = {}
    try:
        for tried, delivery_id in enumerate(bulk.hosted, 1):
            if cancelled is not None and cancelled():
                return retried, failed
            try:
                _retry_one(db, connect, writes, delivery_id, reason)
                with db.session() as session:
                    resend.retried(session, bulk.job_id, delivery_id)
                retried += 1
            except UserError as error:
                failed.append(f"delivery {delivery_id}: {error}")
            if progress is not None:
                progress(tried)
    finally:
        for each in writes.values():
            each.client.close()
    if not failed:
        with db.session() as session:
            resend.finish(session, bulk.job_id)
    return retried, failed


def _retry_one(db, connect: Callable, writes: dict, delivery_id: int, reason) -> None:
    with db.session() as session:
        found = hosted_delivery(session, delivery_id)
    if found is None:
        raise InvalidInput("it is no longer a mirror's delivery.")
    hosted = found[0]
    if hosted.origin not in writes:
        writes[hosted.origin] = connect(hosted)
    writes[hosted.origin].retry(delivery_id, reason)


class EcgActivityWrites(ModuleWrites):
    """Activity changes sent to one ECG module, then pulled back into the mirror."""

    def retry(self, delivery_ref, reason: str | None = None) -> dict:
        """The module posts the delivery's latest activity again (its retry route)."""
        hosted, uuid, activity = self._delivery(delivery_ref)
        answer = self._document("POST", f"{hosted.path}/activity/{activity}/retry")
        done = self._pulled(hosted, answer)
        self._audit("delivery.retry", hosted, uuid, {"from_activity": activity, **done}, reason)
        return done

    def record_outcome(self, delivery_ref, outcome: Outcome, reason: str | None = None) -> dict:
        """What happened to the delivery, recorded on the module as its next activity."""
        hosted, uuid, activity = self._delivery(delivery_ref)
        body = {
            "originalActivityId": uuid,
            "success": outcome.success,
            "httpStatusCode": outcome.status_code,
            "error": outcome.error or "",
            "rawResponse": outcome.raw_response,
        }
        answer = self._document("POST", f"{hosted.path}/activity/{activity}/outcomes", body)
        done = self._pulled(hosted, answer)
        self._audit("delivery.outcome", hosted, uuid, {"from_activity": activity, **done}, reason)
        return done

    def fire(self, reg_id, event_code: str, payload=None, reason: str | None = None) -> dict:
        """The module posts `event_code` (the subscription's version) to the subscription, with
        `payload` or the event's sample here."""
        with self.db.session() as session:
            hosted = hosted_registration(session, reg_id)
            if hosted is None:
                raise InvalidInput(f"Registration {reg_id} is not an ECG module subscription.")
            version = registrations.get(session, reg_id).event_version
            event = catalog.get_event(session, event_code, version)
            body = payload if payload is not None else catalog.sample_payload(event)
        wanted = self._asking(lambda: event_ids(self.client)).get((event_code, version))
        if wanted is None:
            raise InvalidInput(f"The ECG module has no event {event_code} {version}.")
        sent = {"type": 0, "eventId": wanted, "payload": body, "rawMessage": {}}
        answer = self._document("POST", f"{hosted.path}/activity", sent)
        done = self._pulled(hosted, answer)
        self._audit("registration.fire", hosted, None, {**done, "event": event_code}, reason)
        return done

    def _delivery(self, delivery_ref) -> tuple[Hosted, str, str]:
        """The delivery's subscription, its id here, and the module's id of its latest
        activity (the last of the first post's chain of retries)."""
        with self.db.session() as session:
            found = hosted_delivery(session, delivery_ref)
        if found is None:
            raise InvalidInput(f"Delivery {delivery_ref} was not pulled from an ECG module.")
        hosted, uuid = found
        chain = self._document("GET", f"{hosted.path}/activity/{uuid}", params={"mode": "nested"})
        while chain.get("childPostHistory"):
            chain = chain["childPostHistory"][-1]
        return hosted, uuid, str(chain.get("id") or uuid)

    def _pulled(self, hosted: Hosted, answer: dict) -> dict:
        """The subscription's activity pulled again after the module's answer: the module's
        new activity, whether it succeeded, and how many records the pull added here."""
        report = SyncReport("ecg")
        mirror = Mirror(hosted.reg_id, hosted.remote_id, hosted.url)
        ActivityPull(self.db, self.client, hosted.organization, mirror, report, quiet).run()
        return {
            "activity": answer.get("id"),
            "success": answer.get("success"),
            "records_added": report.records_added,
        }

    def _audit(self, action: str, hosted: Hosted, delivery, after: dict, reason) -> None:
        """A delivery's change, or (without one) the subscription's, with the module's ids."""
        kind, entity = ("delivery", delivery) if delivery else ("registration", hosted.reg_id)
        with self.db.session() as session:
            note = self._note(hosted.remote_id, reason)
            audit.record(session, action, kind, entity, after=after, reason=note)

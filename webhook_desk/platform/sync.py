"""What syncing from the platform shares (centrepoint_sync.py and ecg_sync.py pull): the API
token, mirrors, the report, storing pages, and making a mirror one's own.

Pulled registrations are mirrors (source 'centrepoint' or 'ecg', remote_id the platform's id,
remote_origin the API they came from): read-only here, except that an ECG module's are changed
on the module first (ecg_writes.py); `copy_mirror` makes a local registration of one.
History is stored as it is fetched, a few thousand records to a transaction, marked with
where it came from.
Where to resume is derived from what is stored: the number of records a mirror holds is the
offset of the next page, since the platform lists history oldest first and appends (checked
against the record just before it). A second run asks only for what is new; storing
dedupes in any case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webhook_desk.db.models import Attempt, Delivery, Registration, RegistrationEvent
from webhook_desk.errors import InvalidInput, KeyringUnavailable, NotFound, UserError
from webhook_desk.history import importer
from webhook_desk.history.centrepoint_format import FormatError, group
from webhook_desk.platform import api_auth
from webhook_desk.platform.client import PlatformClient, PlatformError
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit, registrations
from webhook_desk.services import registration_rules as rules
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.vocabulary import ValidationState

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
    new_failed: list[str] = field(default_factory=list)  # deliveries a new attempt left failed

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


def api_token(
    store_: SecretStore, api_url: str, given: str | None
) -> tuple[str | api_auth.PastedToken, str | None]:
    """The token to use, and a warning when a given one cannot be kept in the keyring.

    A given token replaces the stored one only once the platform has accepted it (its first
    answered call, see PlatformClient): a mistyped one leaves the working one kept. Without
    one, the stored one is used."""
    key = token_key(api_url)
    if given:
        given = given.strip()
        try:
            store_.get(key)  # only to learn whether there is a keyring to keep it in
        except NotFound:
            pass
        except KeyringUnavailable as error:
            return given, f"The token was used but not kept: {error}"
        return api_auth.PastedToken(
            given, accepted=lambda: keep_token(store_, api_url, given)
        ), None
    try:
        return store_.get(key), None
    except NotFound:
        raise UserError(
            f"No API token for {urlsplit(api_url).netloc} is stored yet; pass one with "
            "--token-stdin."
        ) from None


def keep_token(store_: SecretStore, api_url: str, token: str) -> str | None:
    """Keep `token` as the one for `api_url`; a warning when there is no keyring to keep it."""
    try:
        store_.put(token_key(api_url), token.strip())
    except KeyringUnavailable as error:
        return f"The token was used but not kept: {error}"
    return None


def api_client_credentials(
    store_: SecretStore,
    client_id: str,
    given_secret: str | None,
    token_url: str,
    scope: str = api_auth.DEFAULT_SCOPE,
) -> tuple[api_auth.ClientCredentials, str | None]:
    """OAuth2 client credentials for the API, and a warning when a given secret could not be
    kept. A given client secret replaces the stored one; without one, the stored one is used."""
    key = api_auth.client_secret_key(token_url, client_id)
    warning = None
    if given_secret:
        try:
            store_.put(key, given_secret)
        except KeyringUnavailable as error:
            warning = f"The client secret was used but not kept: {error}"
        secret = given_secret
    else:
        try:
            secret = store_.get(key)
        except NotFound:
            raise UserError(
                f"No client secret for {client_id} at {urlsplit(token_url).netloc} is stored "
                "yet; pass one with --client-secret-stdin."
            ) from None
    return api_auth.ClientCredentials(token_url, client_id, secret, scope), warning


# ---- shared ------------------------------------------------------------------------------


def quiet(stage: str, done: int, total: int | None) -> None:
    pass


def mirror_of(session: Session, source: str, remote_id: str) -> Registration | None:
    """The mirror of the platform's registration `remote_id`, if it was pulled."""
    return session.scalar(
        select(Registration).where(
            Registration.source == source, Registration.remote_id == remote_id
        )
    )


def upsert_mirror(
    session: Session,
    source: str,
    remote_id: str,
    fields: dict,
    events: list[str],
    origin: str,
    change: tuple[str, str] | None = None,
) -> bool | None:
    """Create or refresh the mirror of a platform registration: True new, False changed,
    None unchanged. `change` (audit action, reason) names a change made here and sent to the
    platform; without it the audit says the mirror was synced from `origin`."""
    reg = mirror_of(session, source, remote_id)
    created = reg is None
    if reg is None:
        reg = Registration(
            source=source, remote_id=remote_id, validation_state=ValidationState.PENDING
        )
        session.add(reg)
        before = None
    else:
        before = registrations.as_dict(reg)
    for name, value in fields.items():
        setattr(reg, name, value)
    reg.remote_origin = origin
    if created or reg.event_codes != sorted(set(events)):
        reg.events = [RegistrationEvent(event_code=c) for c in sorted(set(events))]
    session.flush()
    after = registrations.as_dict(reg)
    if before == after:
        return None
    action = "registration.mirror" if created else "registration.mirror-update"
    action, reason = change or (action, f"synced from {origin}")
    audit.record(session, action, "registration", reg.id, before, after, reason)
    return created


def count_mirror(report: SyncReport, outcome: bool | None) -> None:
    if outcome is True:
        report.registrations_added += 1
    elif outcome is False:
        report.registrations_updated += 1


def stored_records(session: Session, mirror_id: int, source: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Attempt)
            .join(Attempt.delivery)
            .where(
                Delivery.registration_id == mirror_id,
                Delivery.source == source,
                Delivery.is_validation.is_(False),
            )
        )
        or 0
    )


def converted(convert, document, what: str):
    try:
        return convert(document)
    except FormatError as error:
        raise PlatformError(f"The platform sent {what} we cannot read: {error}.") from None


class PageWriter:
    """Stores fetched pages of history, a few thousand records to a transaction, through the
    importer's store (deliveries known by hash, attempts by the second sent and the code).

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
        result = importer.ImportResult(Path(self.source), self.source)
        with self.db.session() as session:
            # The importer's store: it links each delivery to the mirror its remote_id names.
            importer.store(session, found, result, None)
        self.report.records_added += result.attempts_added
        self.report.deliveries_added += result.deliveries_added
        self.pending = []

    def _mark(self, imported) -> None:
        """Where it came from, and where it went when the record itself does not say."""
        delivery = imported.delivery
        delivery["source"] = self.source
        url = self.urls.get(delivery["remote_id"])
        if url and not delivery["target_url"]:
            delivery["target_url"] = url
            for attempt in imported.attempts:
                attempt["url"] = attempt["url"] or url


def finish(report: SyncReport, client: PlatformClient) -> SyncReport:
    report.requests, report.retries = client.requests, client.retries
    return report


# ---- making a mirror one's own -----------------------------------------------------------


def copy_mirror(session: Session, store_: SecretStore, reg_id, reason: str | None = None):
    """A local registration made from a mirror; returns it and its generated secret (if any)."""
    mirror = registrations.get(session, reg_id)
    if mirror.source == "local":
        raise InvalidInput(f"Registration {mirror.id} is already local; there is nothing to copy.")
    usable = {c.code for c in rules.offered(rules.event_choices(session), rules.module_of(mirror))}
    data = RegistrationInput(
        url=mirror.url,
        events=[c for c in mirror.event_codes if c in usable] or None,
        name=f"{mirror.name} (copy)",
        study_id=mirror.study_id,
        organization_id=mirror.organization_id,
        event_version=mirror.event_version,
        is_development=mirror.is_development,
    )
    return registrations.add(
        session, store_, data, reason=reason or f"copied from {mirror.source} mirror {mirror.id}"
    )

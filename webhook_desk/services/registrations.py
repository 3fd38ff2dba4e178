"""Webhook registrations: per study (CentrePoint) or per organisation (ECG), with their secrets.

Every change goes through here and is audited. Secret values go to the OS keyring; the
database keeps a SecretVersion row per value. Rotation keeps the previous version valid
for a grace period so receivers can move over without failing deliveries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, select
from sqlalchemy import update as update_rows  # `update` is this module's own verb
from sqlalchemy.orm import Session, selectinload

from webhook_desk import certificates, signing
from webhook_desk.db.models import (
    Delivery,
    Registration,
    RegistrationEvent,
    SecretVersion,
    utcnow,
)
from webhook_desk.engine.client_tls import CLIENT_KEY
from webhook_desk.errors import Conflict, InvalidInput, NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit, registration_rows
from webhook_desk.services import registration_rules as rules
from webhook_desk.services.registration_rules import SECRET_KIND
from webhook_desk.settings import SECRET_GRACE_HOURS
from webhook_desk.vocabulary import (
    AuthType,
    DeliveryStatus,
    RegistrationStatus,
    ValidationState,
)

log = logging.getLogger(__name__)

GENERATED = {
    AuthType.HMAC: signing.new_hmac_secret,
    AuthType.STANDARD_WEBHOOKS: signing.new_whsec_secret,
}
ENABLED, DISABLED, ARCHIVED = RegistrationStatus
STATUS_ACTIONS = {
    "enable": (ENABLED, (DISABLED,)),
    "disable": (DISABLED, (ENABLED,)),
    "archive": (ARCHIVED, (ENABLED, DISABLED)),
    "restore": (DISABLED, (ARCHIVED,)),
}
# Changing any of these sends the registration through the validation handshake again.
CREDENTIAL_FIELDS = ("url", "auth_type", "username", "token_url", "client_id", "oauth_scope")


@dataclass
class RegistrationInput:
    url: str
    events: list[str] | None = None  # None: every event of the platform
    name: str = ""
    study_id: str | None = None
    organization_id: str | None = None
    auth_type: str = AuthType.NONE
    username: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    oauth_scope: str | None = None
    event_version: str = "v1"
    is_development: bool = False
    retry_schedule: str | None = None


# The input fields kept as columns of the same name (events live in their own table).
STORED_FIELDS = tuple(f.name for f in fields(RegistrationInput) if f.name != "events")


@dataclass(frozen=True)
class TlsChange:
    """A change to what a registration presents and trusts over TLS; what is not named
    stays as it is."""

    client: certificates.ClientCertificateFiles | None = None
    remove_client: bool = False
    ca_bundle: Path | None = None
    remove_ca_bundle: bool = False

    def __bool__(self) -> bool:
        return any((self.client, self.remove_client, self.ca_bundle, self.remove_ca_bundle))


def _check(
    session: Session, data: RegistrationInput, secret: str | None, reg: Registration | None = None
) -> None:
    """Refuse `data` with the first of the rules' sentences (registration_rules)."""
    found = rules.problems(
        data,
        rules.event_choices(session),
        secret,
        stored_auth=reg.auth_type if reg else None,
        kept_events=reg.event_codes if reg else (),
    )
    if found:
        raise InvalidInput(found[0])


def _default_events(session: Session, data: RegistrationInput) -> list[str]:
    offered = rules.offered(rules.event_choices(session), rules.module_of(data))
    return sorted(c.code for c in offered)


def _secret_value(auth_type: str, secret: str | None) -> tuple[str | None, bool]:
    """The secret to store and whether we generated it (to be shown once)."""
    if auth_type == AuthType.NONE:
        return None, False
    problems = rules.secret_problems(auth_type, secret, needs_secret=True)
    if problems:
        raise InvalidInput(problems[0])
    if secret:
        return secret, False
    return GENERATED[AuthType(auth_type)](), True


def _store_secret(
    session: Session, store: SecretStore, reg: Registration, kind: str, value: str
) -> SecretVersion:
    previous = session.scalars(
        select(SecretVersion)
        .where(SecretVersion.registration_id == reg.id, SecretVersion.kind == kind)
        .order_by(SecretVersion.version.desc())
    ).first()
    version = SecretVersion(
        registration_id=reg.id,
        kind=kind,
        version=(previous.version + 1) if previous else 1,
        fingerprint=store.fingerprint(value),
    )
    store.put(version.keyring_key, value)
    session.add(version)
    return version


def add(
    session: Session,
    store: SecretStore,
    data: RegistrationInput,
    secret: str | None = None,
    reason: str | None = None,
    tls: TlsChange | None = None,
) -> tuple[Registration, str | None]:
    """Create a registration; returns it and the generated secret (None when given or unused)."""
    _check(session, data, secret)
    _check_tls(tls)
    value, generated = _secret_value(data.auth_type, secret)
    if value is not None:
        store.require_usable()  # before anything is written
    events = _default_events(session, data) if data.events is None else data.events
    reg = Registration(
        **{name: getattr(data, name) for name in STORED_FIELDS},
        events=[RegistrationEvent(event_code=c) for c in dict.fromkeys(events)],
    )
    reg.name = data.name or urlsplit(data.url).hostname or ""
    reg.url = data.url.strip()
    session.add(reg)
    session.flush()
    if value is not None:
        _store_secret(session, store, reg, SECRET_KIND[AuthType(data.auth_type)], value)
    if tls:
        _apply_tls(session, store, reg, tls)
    audit.record(
        session, "registration.add", "registration", reg.id, after=as_dict(reg), reason=reason
    )
    log.info("registration %s added for %s", reg.id, reg.url)
    return reg, value if generated else None


def update(
    session: Session,
    store: SecretStore,
    reg_id: int,
    changes: dict,
    secret: str | None = None,
    reason: str | None = None,
) -> Registration:
    """Edit a registration; new credentials replace the old and send it through validation."""
    reg = get_local(session, reg_id)
    before = as_dict(reg)
    unknown = set(changes) - {*STORED_FIELDS, "events"}
    if unknown:
        raise InvalidInput(f"A registration has no field {', '.join(sorted(unknown))}.")
    current = {name: getattr(reg, name) for name in STORED_FIELDS}
    data = RegistrationInput(**{**current, "events": reg.event_codes, **changes})
    data.events = reg.event_codes if data.events is None else data.events
    _check(session, data, secret, reg)
    auth_changed = data.auth_type != reg.auth_type
    for name in STORED_FIELDS:
        setattr(reg, name, getattr(data, name))
    reg.events = [RegistrationEvent(event_code=c) for c in dict.fromkeys(data.events)]
    if secret or (auth_changed and data.auth_type != AuthType.NONE):
        value, _ = _secret_value(data.auth_type, secret)
        store.require_usable()
        _replace_secrets(
            session, store, reg, SECRET_KIND[AuthType(data.auth_type)], value, grace_hours=0
        )
    if secret or any(before[f] != getattr(reg, f) for f in CREDENTIAL_FIELDS):
        reg.validation_state, reg.validation_error = ValidationState.PENDING, None
    _audit_change(session, "registration.update", reg, before, reason)
    return reg


def _check_tls(tls: TlsChange | None) -> None:
    found = rules.certificate_problems(tls.client, tls.ca_bundle) if tls else []
    if found:
        raise InvalidInput(found[0])


def set_tls(
    session: Session, store: SecretStore, reg_id, tls: TlsChange, reason: str | None = None
) -> Registration:
    """Give a registration a client certificate or a CA bundle, or take them away; its key
    goes to the keyring. A change sends it through validation again."""
    reg = get_local(session, reg_id)
    _check_tls(tls)
    before = as_dict(reg)
    _apply_tls(session, store, reg, tls)
    reg.validation_state, reg.validation_error = ValidationState.PENDING, None
    _audit_change(session, "registration.tls", reg, before, reason)
    return reg


def _apply_tls(session: Session, store: SecretStore, reg: Registration, tls: TlsChange) -> None:
    identity = certificates.read_identity(tls.client) if tls.client else None
    if tls.client or tls.remove_client:
        store.require_usable()  # before anything is written or removed
        for version in _current_versions(session, reg, CLIENT_KEY, utcnow()):
            version.revoked_at = utcnow()
            store.delete(version.keyring_key)
        reg.client_certificate = None
    if identity:
        _store_secret(session, store, reg, CLIENT_KEY, identity.key_pem)
        reg.client_certificate = identity.certificate_pem
    if tls.ca_bundle or tls.remove_ca_bundle:
        reg.ca_bundle = certificates.read_ca_bundle(tls.ca_bundle) if tls.ca_bundle else None
    reg.certificate_facts = certificates.kept_facts(reg.client_certificate, reg.ca_bundle)


def _replace_secrets(session, store, reg, kind, value, grace_hours: float) -> SecretVersion:
    now = utcnow()
    for old in _current_versions(session, reg, kind, now):
        old.expires_at = now + timedelta(hours=grace_hours)
    return _store_secret(session, store, reg, kind, value)


def rotate_secret(
    session: Session,
    store: SecretStore,
    reg_id: int,
    secret: str | None = None,
    grace_hours: float = SECRET_GRACE_HOURS,
    reason: str | None = None,
) -> tuple[SecretVersion, str | None]:
    """A new secret version; the old one stays valid for `grace_hours`. Returns the version and
    the generated value (None when the caller supplied it)."""
    reg = get_local(session, reg_id)
    if reg.auth_type == AuthType.NONE:
        raise InvalidInput(f"Registration {reg.id} uses no authentication, so it has no secret.")
    value, generated = _secret_value(reg.auth_type, secret)
    store.require_usable()
    version = _replace_secrets(session, store, reg, SECRET_KIND[reg.auth_type], value, grace_hours)
    session.flush()
    reg.validation_state, reg.validation_error = ValidationState.PENDING, None
    _audit_rotation(session, reg, version, grace_hours, reason)
    return version, value if generated else None


def keep_platform_secret(
    session: Session, store: SecretStore, reg_id, value: str, reason: str | None = None
) -> SecretVersion:
    """A signing secret the platform took for a mirror (the ECG module signs with HMAC): the
    value in the keyring only, its fingerprint here; the previous one stays valid a while."""
    reg = get(session, reg_id)
    store.require_usable()
    kind = SECRET_KIND[AuthType.HMAC]
    version = _replace_secrets(session, store, reg, kind, value, SECRET_GRACE_HOURS)
    session.flush()
    _audit_rotation(session, reg, version, SECRET_GRACE_HOURS, reason)
    return version


def _audit_rotation(session, reg, version: SecretVersion, grace_hours: float, reason) -> None:
    after = {
        "kind": version.kind,
        "version": version.version,
        "fingerprint": version.fingerprint,
        "grace_hours": grace_hours,
    }
    audit.record(session, "secret.rotate", "registration", reg.id, after=after, reason=reason)


def _current_versions(session, reg, kind, now: datetime) -> list[SecretVersion]:
    return list(
        session.scalars(
            select(SecretVersion)
            .where(
                SecretVersion.registration_id == reg.id,
                SecretVersion.kind == kind,
                SecretVersion.revoked_at.is_(None),
                (SecretVersion.expires_at.is_(None)) | (SecretVersion.expires_at > now),
            )
            .order_by(SecretVersion.version.desc())
        )
    )


def valid_secrets(
    session: Session, store: SecretStore, reg: Registration, kind: str, now: datetime | None = None
) -> list[tuple[SecretVersion, str]]:
    """Every version of `kind` still valid at `now`, newest first, with its value."""
    versions = _current_versions(session, reg, kind, now or utcnow())
    return [(v, store.get(v.keyring_key)) for v in versions]


def credential(session: Session, store: SecretStore, reg: Registration, kind: str) -> str:
    secrets = valid_secrets(session, store, reg, kind)
    if not secrets:
        raise NotFound(f"Registration {reg.id} has no valid {kind} secret; rotate it to set one.")
    return secrets[0][1]


def set_status(
    session: Session, reg_id: int, action: str, reason: str | None = None
) -> Registration:
    """enable | disable | archive | restore, as the platform allows them."""
    reg = get_local(session, reg_id)
    target, allowed_from = STATUS_ACTIONS[action]
    if reg.status == target:
        return reg
    if reg.status not in allowed_from:
        raise Conflict(f"Registration {reg.id} is {reg.status}; it cannot be {action}d.")
    before = as_dict(reg)
    reg.status = target
    reg.disabled_reason = reason if target == DISABLED else None
    if action == "enable":
        reg.failure_streak, reg.failing_since = 0, None
    _audit_change(session, f"registration.{action}", reg, before, reason)
    return reg


def _audit_change(session: Session, action: str, reg: Registration, before: dict, reason) -> None:
    audit.record(session, action, "registration", reg.id, before, as_dict(reg), reason)


def delete(session: Session, store: SecretStore, reg_id: int, reason: str | None = None) -> None:
    """Remove a registration and its keyring secrets; its delivery history stays."""
    reg = get(session, reg_id)
    before = as_dict(reg)
    keys = [v.keyring_key for v in reg.secrets]
    # Unsent deliveries would otherwise outlive it as ad-hoc sends to its old URL.
    cancel_pending(session, reg.id, f"Registration {reg.id} was deleted before this was sent.")
    session.delete(reg)
    audit.record(
        session, "registration.delete", "registration", reg_id, before=before, reason=reason
    )
    session.flush()
    for key in keys:
        store.delete(key)


def cancel_pending(session: Session, registration_id: int, reason: str) -> int:
    """Fail the registration's deliveries not yet sent, e.g. before it is deleted.

    Call it before deleting: afterwards its deliveries lose their registration_id and would
    look like ad-hoc deliveries to the engine, which would send them to the old URL.
    """
    result = session.execute(
        update_rows(Delivery)
        .where(
            Delivery.registration_id == registration_id, Delivery.status == DeliveryStatus.PENDING
        )
        .values(
            status=DeliveryStatus.FAILED,
            error=reason,
            next_attempt_at=None,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount or 0


def record_validation(session: Session, reg: Registration, ok: bool, error: str | None) -> None:
    before = reg.validation_state
    reg.validation_state = ValidationState.VALIDATED if ok else ValidationState.FAILED
    reg.validation_error = None if ok else error
    reg.validated_at = utcnow() if ok else reg.validated_at
    if before != reg.validation_state:
        audit.record(
            session,
            "registration.validation",
            "registration",
            reg.id,
            before={"validation_state": before},
            after={"validation_state": reg.validation_state, "error": reg.validation_error},
        )


# What a platform's mirror lets the desk change: the ECG module takes them first (see
# platform/ecg_writes.py); CentrePoint has no write routes.
MIRROR_CHANGES = ("edit", "enable", "disable", "archive", "restore", "rotate", "fire")
CHANGED_ON_THE_PLATFORM = {"ecg": set(MIRROR_CHANGES)}


def mirror_refusal(source: str, action: str) -> str | None:
    """Why a registration mirrored from `source` cannot take `action` here; None if it can."""
    if source == "local" or action not in MIRROR_CHANGES:
        return None
    if action in CHANGED_ON_THE_PLATFORM.get(source, ()):
        return None
    platform = {"centrepoint": "CentrePoint"}.get(source, source)
    return (
        f"The {platform} platform has no write routes, so its mirrors are read-only here; "
        "copy one into a local registration to change it."
    )


def get_local(session: Session, reg_id) -> Registration:
    """A registration this desk may change: mirrors of the platform are read-only here."""
    reg = get(session, reg_id)
    if reg.source != "local":
        raise InvalidInput(
            f"Registration {reg.id} mirrors the {reg.source} platform and is read-only here; "
            "copy it into a local registration to change it."
        )
    return reg


def get(session: Session, reg_id) -> Registration:
    try:
        key = int(reg_id)
    except (TypeError, ValueError):
        raise NotFound(f"'{reg_id}' is not a registration id (ids are whole numbers).") from None
    reg = session.get(Registration, key)
    if reg is None:
        raise NotFound(f"No registration with id {key}.")
    return reg


def list_all(session: Session, include_archived: bool = False) -> list[Registration]:
    query = (
        select(Registration).options(selectinload(Registration.events)).order_by(Registration.id)
    )
    return list(session.scalars(query.where(*listing_conditions(include_archived))))


def listing_conditions(include_archived: bool) -> list:
    """Which registrations a list shows: archived ones only when asked for."""
    return [] if include_archived else [Registration.status != ARCHIVED]


def secret_summary(reg: Registration, now: datetime | None = None) -> list[dict]:
    now = now or utcnow()
    fields = registration_rows.SECRET_FIELDS
    return [
        registration_rows.secret_entry({f: getattr(v, f) for f in fields}, now) for v in reg.secrets
    ]


def as_dict(reg: Registration) -> dict:
    """The registration as plain data (no secret values): for --json, the audit and the GUI."""
    values = {name: getattr(reg, name) for name in registration_rows.FIELDS}
    return registration_rows.registration_dict(values, reg.event_codes)

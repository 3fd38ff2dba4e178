"""The ECG module's payload hash for a subscription: made with the subscription's current
HMAC secret, and checked against every secret version still valid (a rotation's grace)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from webhook_desk import signing
from webhook_desk.db.models import Delivery, Registration, new_uuid
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore
from webhook_desk.services import registrations
from webhook_desk.vocabulary import AuthType

KIND = registrations.SECRET_KIND[AuthType.HMAC]


@dataclass(frozen=True)
class PayloadHash:
    hash: str
    created_at: int  # Unix seconds, part of what is hashed

    def as_dict(self) -> dict:
        return {"hash": self.hash, "createdAt": self.created_at}


def make(
    session: Session, store: SecretStore, reg: Registration, payload, created_at: int
) -> PayloadHash:
    secret = registrations.credential(session, store, reg, KIND)
    return PayloadHash(signing.payload_hash(secret, payload, created_at), created_at)


def envelope(
    session: Session, store: SecretStore, reg: Registration, event: str, version: str, data
) -> dict:
    """An ECG module payload: the envelope around `data`, made now, with its hash."""
    made = make(session, store, reg, data, int(time.time()))
    return {
        "id": new_uuid(),
        "eventType": event,
        "version": version,
        "organizationId": reg.organization_id,
        "createdAt": made.created_at,
        "data": data,
        "hash": made.hash,
    }


def of_delivery(session: Session, store: SecretStore, delivery: Delivery) -> PayloadHash:
    """The hash of what a delivery carried (`get-hash`): of an envelope's data at its
    createdAt, or of a whole other payload at the time the delivery was made."""
    if delivery.registration_id is None:
        raise InvalidInput(f"Delivery {delivery.uuid} went to no registration, so has no secret.")
    reg = registrations.get(session, delivery.registration_id)
    try:
        payload = json.loads(delivery.payload)
    except ValueError:
        raise InvalidInput(f"Delivery {delivery.uuid} did not carry JSON.") from None
    if (
        isinstance(payload, dict)
        and "data" in payload
        and isinstance(payload.get("createdAt"), int)
    ):
        return make(session, store, reg, payload["data"], payload["createdAt"])
    return make(session, store, reg, payload, int(delivery.created_at.timestamp()))


def valid(
    session: Session, store: SecretStore, reg: Registration, payload, created_at, given
) -> bool:
    if not isinstance(created_at, int) or isinstance(created_at, bool):
        raise InvalidInput("createdAt is the Unix time in seconds the hash was made with.")
    if not isinstance(given, str):
        raise InvalidInput("hash is the 64 hex digits to check.")
    return any(
        signing.payload_hash_valid(secret, payload, created_at, given)
        for _, secret in registrations.valid_secrets(session, store, reg, KIND)
    )

"""Fingerprints that the upgrade to keyed fingerprints erased, computed again with the
installation's key as soon as the keyring can give the values back."""

from __future__ import annotations

from typing import TypeGuard

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.db.models import SecretVersion
from webhook_desk.errors import KeyringUnavailable, NotFound
from webhook_desk.secrets import SecretStore


def fill_missing(session: Session, store: SecretStore) -> int:
    """Fingerprint every version that has none and whose value the keyring holds; how many.
    Without a usable keyring they wait for a later start."""
    missing = list(
        session.scalars(select(SecretVersion).where(SecretVersion.fingerprint.is_(None)))
    )
    if not missing or store.unusable_reason():
        return 0
    filled = 0
    for version in missing:
        try:
            version.fingerprint = store.fingerprint(store.get(version.keyring_key))
        except (NotFound, KeyringUnavailable):
            continue  # a value deleted outside the app, or a keyring that stopped answering
        filled += 1
    return filled


def of_history(store: SecretStore, entries: list) -> list[dict]:
    """A platform's secret history as the desk shows it: each version with when it was made,
    expires or was revoked, and its fingerprint (keyed here) instead of its value. A value
    the platform does not give out has no fingerprint here (None)."""
    shown = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        value = entry.get("secretKey")
        shown.append(
            {
                "version": entry.get("version"),
                "created_at": (entry.get("auditInfo") or {}).get("createdAt"),
                "expires_at": entry.get("expiresAt"),
                "revoked_at": entry.get("revokedAt"),
                "fingerprint": store.fingerprint(value) if given_value(value) else None,
            }
        )
    return shown


def given_value(value) -> TypeGuard[str]:
    """Whether a platform's `secretKey` is a value (not left out or redacted)."""
    return isinstance(value, str) and bool(value) and not value.startswith("[redacted")

"""Fingerprints that the upgrade to keyed fingerprints erased, computed again with the
installation's key as soon as the keyring can give the values back."""

from __future__ import annotations

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

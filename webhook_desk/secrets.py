"""The OS keyring: the only place secret values live (service name `webhook-desk`).

The database keeps a SecretVersion row (metadata and a short fingerprint) for each value.
With no usable backend we refuse to store anything and say which backend was found and
what to install; we never fall back to plain text.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import keyring
import keyring.errors

from webhook_desk.errors import KeyringUnavailable, NotFound
from webhook_desk.settings import KEYRING_SERVICE
from webhook_desk.signing import new_hmac_secret

# Backends that "work" but keep secrets in plain or weakly protected files.
_REFUSED_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")

INSTALL_HINT = (
    "install and unlock a Secret Service such as gnome-keyring "
    "(apt-get install gnome-keyring dbus) or KWallet, then start webhook-desk in that session"
)


# The installation's own key for fingerprints, in the keyring beside the secrets.
FINGERPRINT_KEY = "installation/fingerprint-key"
FINGERPRINT_LENGTH = 12
THROWAWAY_HMAC_KEY = "adhoc/throwaway-hmac"  # hex digits shown in lists and the audit


def backend_name(backend=None) -> str:
    backend = backend or keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


class SecretStore:
    """Secret values by key in the OS keyring."""

    def __init__(self, service: str = KEYRING_SERVICE):
        self.service = service
        self._fingerprint_key: bytes | None = None

    @property
    def backend(self) -> str:
        return backend_name()

    def unusable_reason(self) -> str | None:
        """None when secrets can be stored, else one sentence saying why not."""
        name = self.backend
        chainer = getattr(keyring.get_keyring(), "backends", None)
        if chainer is not None and not chainer:
            name = "keyring.backends.chainer.ChainerBackend with no backends"
        if name.startswith(_REFUSED_MODULES) or "with no backends" in name:
            return f"No usable keyring: found {name}; {INSTALL_HINT}."
        return None

    def require_usable(self) -> None:
        reason = self.unusable_reason()
        if reason:
            raise KeyringUnavailable(reason, backend=self.backend)

    def put(self, key: str, value: str) -> None:
        self.require_usable()
        try:
            keyring.set_password(self.service, key, value)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The keyring ({self.backend}) refused to store a secret: {exc}"
            ) from None

    def get(self, key: str) -> str:
        try:
            value = keyring.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The keyring ({self.backend}) could not be read: {exc}"
            ) from None
        if value is None:
            raise NotFound(f"The secret {key} is missing from the keyring ({self.backend}).")
        return value

    def throwaway_hmac(self, create: bool = False) -> str | None:
        """The throwaway HMAC secret ad-hoc test deliveries may be signed with, which the
        built-in receiver also checks against; None until created (with create=True)."""
        try:
            return self.get(THROWAWAY_HMAC_KEY)
        except NotFound:
            if not create:
                return None
        value = new_hmac_secret()
        self.put(THROWAWAY_HMAC_KEY, value)
        return value

    def delete(self, key: str) -> None:
        try:
            keyring.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone: deleting is idempotent
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The keyring ({self.backend}) could not delete a secret: {exc}"
            ) from None

    def fingerprint(self, value: str) -> str:
        """A short tag that tells two secret values apart in lists and the audit. Keyed with
        this installation's key, so the database alone gives nothing to test guesses
        against (an unkeyed SHA-256 prefix gave away a password in 1,759 guesses)."""
        digest = hmac.new(self._installation_key(), value.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:FINGERPRINT_LENGTH]

    def _installation_key(self) -> bytes:
        if self._fingerprint_key is None:
            self.require_usable()
            try:
                text = self.get(FINGERPRINT_KEY)
            except NotFound:
                text = os.urandom(32).hex()
                self.put(FINGERPRINT_KEY, text)
            self._fingerprint_key = text.encode("utf-8")
        return self._fingerprint_key

    def works(self) -> bool:
        """Round-trip a throwaway value: for `health`."""
        if self.unusable_reason():
            return False
        probe = "health-probe"
        try:
            keyring.set_password(self.service, probe, "ok")
            ok = keyring.get_password(self.service, probe) == "ok"
            keyring.delete_password(self.service, probe)
            return ok
        except keyring.errors.KeyringError:
            return False

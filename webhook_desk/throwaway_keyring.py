"""Secrets in memory for runs that must not touch the user's keyring: the README screenshots
and the benchmarks. Installed only on purpose with keyring.set_keyring, never chosen by itself."""

from __future__ import annotations

from keyring.backend import KeyringBackend


class ThrowawayKeyring(KeyringBackend):
    """Secret values in a dict, for the length of the run."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.values = {}

    def get_password(self, service, username):
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        self.values.pop((service, username), None)


# Every KeyringBackend subclass offers itself to keyring's own choice of a default; this one
# must never be that choice (the app refuses keyrings that do not keep secrets safely).
KeyringBackend._classes.discard(ThrowawayKeyring)

"""Pseudonyms for exports: an identifying value replaced by a keyed hash, so analysts can
join on a participant without seeing who they are.

HMAC-SHA256 with a salt per study, kept in the OS keyring (never in the database or the
export): the same subject of the same study maps to the same pseudonym in every export, the
same subject in two studies to two unrelated ones, and nobody with the file alone can test
guesses. Which fields are identifying is the one list of services/identifying.py.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from sqlalchemy.orm import Session

from webhook_desk.errors import NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.services import identifying

PREFIX = "psn-"
LENGTH = 20  # hex digits: 80 bits, no collision among any study's participants
SALT_KEY = "pseudonym-salt/{study}"
NO_STUDY = "(no study)"
NOTE = (
    "Pseudonymised: identifying fields ({fields}) are replaced by HMAC-SHA256 pseudonyms "
    "keyed per study; the same participant has the same pseudonym in every export."
)


class Pseudonymiser:
    """Pseudonyms of one export: salts read (or made) once per study."""

    def __init__(self, store: SecretStore, fields: list[str]):
        self.store = store
        self.fields = frozenset(fields)
        self.note = NOTE.format(fields=", ".join(fields) or "the subject id")
        self._salts: dict[str, bytes] = {}
        self._known: dict[tuple[str | None, str], str] = {}

    def subject(self, study: str | None, value: str | int | None) -> str | None:
        """The pseudonym of `value` in `study` (None and "" stay as they are)."""
        if value is None or value == "":
            return value
        key = (study, str(value))
        if key not in self._known:
            digest = hmac.new(self._salt(study), key[1].encode("utf-8"), hashlib.sha256)
            self._known[key] = PREFIX + digest.hexdigest()[:LENGTH]
        return self._known[key]

    def body(self, study: str | None, body: str | None, subject: str | None = None):
        """A body with its identifying values pseudonymised; a body that is not JSON has the
        delivery's own subject id replaced wherever it occurs."""
        changed = identifying.in_body(body, self.fields, lambda v: self.subject(study, v))
        if changed is body and body and subject:
            return body.replace(subject, self.subject(study, subject) or "")
        return changed

    def _salt(self, study: str | None) -> bytes:
        name = study or NO_STUDY
        if name not in self._salts:
            key = SALT_KEY.format(study=name)
            try:
                text = self.store.get(key)
            except NotFound:
                text = os.urandom(32).hex()
                self.store.put(key, text)
            self._salts[name] = text.encode("utf-8")
        return self._salts[name]


def for_export(session: Session, store: SecretStore) -> Pseudonymiser:
    """A pseudonymiser over the user's identifying fields; refuses at once (with the
    keyring's sentence) when no keyring can hold the salts."""
    store.require_usable()
    return Pseudonymiser(store, identifying.fields(session))

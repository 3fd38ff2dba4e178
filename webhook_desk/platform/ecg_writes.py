"""Changing a mirrored ECG module subscription: the change goes to the module first, and the
mirror here is updated from the module's answer, so nothing is ever changed here alone.

An edit is a JSON Patch (seed 004) whose `test` operations carry the edited fields as the
module showed them, so a change made on the module since the mirror was read is a conflict:
a ModuleConflict carries both versions, and the user keeps theirs (`keep_mine`: the patch
again, tested against the module's values now) or takes the module's (`take_theirs`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from webhook_desk.errors import Conflict, InvalidInput, UserError
from webhook_desk.platform.ecg_sync import subscription_fields
from webhook_desk.platform.module_writes import ModuleWrites, module_client, tested_replace
from webhook_desk.platform.sync import mirror_of, upsert_mirror
from webhook_desk.services import registrations, secret_fingerprints

# Fields the module lets a subscription's owner edit: the mirror's name -> the module's.
EDITABLE = {
    "url": "postUri",
    "events": "events",
    "event_version": "version",
    "is_development": "isDevelopment",
}
# registrations enable|disable|archive|restore -> the module's route.
STATUS_ROUTES = {
    "enable": "activate",
    "disable": "deactivate",
    "archive": "archive",
    "restore": "restore",
}


@dataclass(frozen=True)
class FieldConflict:
    """One field both sides changed: the user's value (for `status`, the action asked for),
    the module's now, and the module's when the desk last read it."""

    field: str
    mine: object
    theirs: object
    last_read: object


class ModuleConflict(Conflict):
    """The module's copy changed since the desk read it; the sentence, and both versions."""

    def __init__(self, sentence: str, reg_id, fields: list[FieldConflict], wanted: dict):
        super().__init__(sentence)
        self.reg_id, self.fields, self.wanted = reg_id, fields, wanted

    def as_dict(self) -> dict:
        return {
            "registration": self.reg_id,
            "sentence": str(self),
            "fields": [asdict(field) for field in self.fields],
        }


def changed(shown: dict, wanted: dict) -> dict:
    """Of `wanted`, the fields the module edits whose value differs from `shown`'s (the order
    of events aside)."""
    return {
        name: wanted[name]
        for name in EDITABLE
        if name in wanted and _comparable(wanted[name]) != _comparable(shown[name])
    }


def connected(db, store, reg_id) -> EcgWrites:
    """The write-through for a mirror over the API it was synced from, with the token kept
    for that API when it was connected."""
    with db.session() as session:
        origin = registrations.get(session, reg_id).remote_origin
    return EcgWrites(db, module_client(store, origin, f"Registration {reg_id}"))


class EcgWrites(ModuleWrites):
    """Write-through changes to the ECG subscription mirrors of one database."""

    def edit(self, reg_id, changes: dict, reason: str | None = None, *, over=False) -> dict:
        """Change `changes` (the mirror's field names) on the module, then here; `over`: also
        when the module changed them since they were read (the user chose to keep theirs)."""
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidInput(
                f"The ECG module does not let {', '.join(unknown)} change; "
                f"it lets {', '.join(EDITABLE)} change."
            )
        last, path = self._last_read(reg_id)
        current = self._module_copy(path)
        if not over:
            self._check_unchanged(reg_id, last, current, changes)
        operations = tested_replace(
            {EDITABLE[name]: current[name] for name in changes},
            {EDITABLE[name]: value for name, value in changes.items()},
        )
        try:
            answer = self._send("PATCH", path, operations)
        except Conflict as refused:  # a `test` failed: changed between our read and the patch
            raise self._raced(reg_id, path, str(refused), current, changes) from None
        return self._store(reg_id, answer, "registration.update", reason)

    def set_status(self, reg_id, action: str, reason: str | None = None, *, over=False) -> dict:
        """enable | disable | archive | restore on the module, then here."""
        last, path = self._last_read(reg_id)
        if not over:
            self._check_unchanged(reg_id, last, self._module_copy(path), {"status": action})
        self._send("POST", f"{path}/{STATUS_ROUTES[action]}")
        return self._store(reg_id, self._document("GET", path), f"registration.{action}", reason)

    def keep_mine(self, conflict: ModuleConflict, reason: str | None = None) -> dict:
        """The change the conflict stopped, made over the module's newer copy (its `test`s
        carry the module's values now, so a third change still stops it)."""
        if "status" in conflict.wanted:
            return self.set_status(conflict.reg_id, conflict.wanted["status"], reason, over=True)
        return self.edit(conflict.reg_id, conflict.wanted, reason, over=True)

    def take_theirs(self, reg_id, reason: str | None = None) -> dict:
        """The mirror updated from the module's copy now; nothing is sent."""
        _, path = self._last_read(reg_id)
        document = self._document("GET", path)
        note = f"took the ECG module's version from {self.client.base_url}"
        note = f"{reason}; {note}" if reason else note
        return self._store(reg_id, document, "registration.mirror-update", None, note)

    def create(self, organization: str, fields: dict, store, reason: str | None = None):
        """A new subscription of `organization` made on the module (`fields` under the
        mirror's names), then mirrored here with the secret it answered kept in the keyring.
        Returns the mirror as `registrations.as_dict` shows it, and that secret."""
        self._check_private_channel()  # the module answers with the new secret
        store.require_usable()
        body = {EDITABLE[name]: value for name, value in fields.items() if name in EDITABLE}
        path = f"/api/organizations/{organization}/webhook-subscriptions"
        answer = self._document("POST", path, {"isDevelopment": False, **body})
        secret = answer.get("secretKey")
        with self.db.session() as session:
            remote, mirrored, events = subscription_fields(answer, organization)
            change = ("registration.add", self._note(remote, reason))
            upsert_mirror(session, "ecg", remote, mirrored, events, self.client.base_url, change)
            reg = mirror_of(session, "ecg", remote)
            assert reg is not None  # upsert_mirror made it
            if secret:
                registrations.keep_platform_secret(session, store, reg.id, secret, change[1])
            return registrations.as_dict(reg), secret

    def set_secret(self, reg_id, store, value: str, reason: str | None = None) -> dict:
        """A new signing secret: sent once to the module (over HTTPS), then kept in the keyring
        only. Returns the new version's kind, number and fingerprint."""
        self._check_private_channel()
        store.require_usable()  # before the module takes it: it must be kept here too
        _, path = self._last_read(reg_id)
        self._send("POST", f"{path}/webhook-secret-histories", {"secretKey": value})
        return self._keep_secret(reg_id, store, value, reason)

    def rotate_secret(self, reg_id, store, reason: str | None = None) -> dict:
        """A new signing secret made by the module (PUT secrets), read back once (over HTTPS)
        and kept in the keyring only. Returns the new version's kind, number and fingerprint."""
        self._check_private_channel()
        store.require_usable()
        _, path = self._last_read(reg_id)
        self._send("PUT", f"{path}/secrets")
        try:
            value = self._document("GET", f"{path}/secrets").get("secretKey")
        except UserError as error:
            raise UserError(
                f"The ECG module made a new secret for registration {reg_id} but the desk "
                f"could not read it back ({str(error).rstrip('.')}), so deliveries it signs "
                "cannot be checked here until the secret is set again."
            ) from None
        if not secret_fingerprints.given_value(value):
            raise UserError(
                f"The ECG module made a new secret for registration {reg_id} but does not give "
                "it out; set one from the desk instead (rotate-secret --secret-stdin)."
            )
        return self._keep_secret(reg_id, store, value, reason)

    def secret_history(self, reg_id, store) -> list[dict]:
        """The module's secret history of the subscription, each version by fingerprint. A
        version whose value the history leaves out is read with GET secrets?createdAt (over
        HTTPS or on this machine only) to be fingerprinted here, never shown."""
        _, path = self._last_read(reg_id)
        entries = [
            entry
            for page in self.client.ecg_pages(f"{path}/webhook-secret-histories")
            for entry in page
            if isinstance(entry, dict)
        ]
        if self._private_channel():
            entries = [self._with_value(path, entry) for entry in entries]
        return secret_fingerprints.of_history(store, entries)

    def _with_value(self, path: str, entry: dict) -> dict:
        created = (entry.get("auditInfo") or {}).get("createdAt")
        if secret_fingerprints.given_value(entry.get("secretKey")) or not created:
            return entry
        answer = self._document("GET", f"{path}/secrets", params={"createdAt": created})
        return {**entry, "secretKey": answer.get("secretKey")}

    def delete(self, reg_id, store, reason: str | None = None) -> None:
        """Delete the subscription on the module, then its mirror here (its history stays)."""
        _, path = self._last_read(reg_id)
        self._send("DELETE", path)
        with self.db.session() as session:
            remote = registrations.get(session, reg_id).remote_id
            registrations.delete(session, store, reg_id, self._note(remote, reason))

    # ---- the module's side -------------------------------------------------------------

    def _last_read(self, reg_id) -> tuple[dict, str]:
        """The mirror's fields as last read from the module, and the subscription's path."""
        with self.db.session() as session:
            reg = registrations.get(session, reg_id)
            if reg.source != "ecg":
                raise InvalidInput(f"Registration {reg.id} is not an ECG module subscription.")
            fields = {name: getattr(reg, name) for name in EDITABLE if name != "events"}
            last = {**fields, "events": sorted(reg.event_codes), "status": reg.status}
            path = f"/api/organizations/{reg.organization_id}/webhook-subscriptions/{reg.remote_id}"
            return last, path

    def _module_copy(self, path: str) -> dict:
        """The subscription as the module holds it now, under the mirror's field names."""
        _, fields, events = subscription_fields(self._document("GET", path), "")
        shown = {name: fields[name] for name in EDITABLE if name != "events"}
        return {**shown, "events": events, "status": fields["status"]}

    def _check_unchanged(self, reg_id, last: dict, current: dict, wanted: dict) -> None:
        """A field about to change that the module changed since it was read is a conflict."""
        differ = [n for n in wanted if _comparable(last[n]) != _comparable(current[n])]
        if differ:
            both = "; ".join(f"{n} here {last[n]!r}, on the module {current[n]!r}" for n in differ)
            fields = [FieldConflict(n, wanted[n], current[n], last[n]) for n in differ]
            raise ModuleConflict(
                f"Registration {reg_id} changed on the ECG module since it was last synced "
                f"({both}); nothing was changed; sync it and try again.",
                reg_id,
                fields,
                wanted,
            )

    def _raced(self, reg_id, path, sentence: str, read: dict, wanted: dict) -> Conflict:
        """The conflict of a patch whose `test` failed: both versions, when the module still
        answers with its copy."""
        try:
            now = self._module_copy(path)
        except UserError:
            return Conflict(sentence)
        fields = [FieldConflict(n, wanted[n], now[n], read[n]) for n in wanted]
        return ModuleConflict(sentence, reg_id, fields, wanted)

    # ---- the mirror's side -------------------------------------------------------------

    def _store(self, reg_id, document, action: str, reason, note: str | None = None) -> dict:
        """The mirror updated from the module's answer, audited with the remote id; the
        registration as `registrations.as_dict` shows it."""
        with self.db.session() as session:
            reg = registrations.get(session, reg_id)
            remote, fields, events = subscription_fields(document, reg.organization_id or "")
            change = (action, note or self._note(remote, reason))
            upsert_mirror(session, "ecg", remote, fields, events, self.client.base_url, change)
            session.flush()
            return registrations.as_dict(reg)

    def _keep_secret(self, reg_id, store, value: str, reason: str | None) -> dict:
        with self.db.session() as session:
            remote = registrations.get(session, reg_id).remote_id
            note = self._note(remote, reason)
            version = registrations.keep_platform_secret(session, store, reg_id, value, note)
            return {
                "kind": version.kind,
                "version": version.version,
                "fingerprint": version.fingerprint,
            }


def _comparable(value):
    return sorted(value) if isinstance(value, list) else value

"""Changing a mirrored ECG module subscription: the change goes to the module first, and the
mirror here is updated from the module's answer, so nothing is ever changed here alone.

An edit is a JSON Patch (seed 004) whose `test` operations carry the edited fields as the
module showed them, so a change made on the module since the mirror was read is a conflict.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from webhook_desk.errors import Conflict, InvalidInput, UserError
from webhook_desk.platform.client import PlatformClient, PlatformError
from webhook_desk.platform.ecg_sync import subscription_fields
from webhook_desk.platform.sync import api_token, mirror_of, upsert_mirror
from webhook_desk.services import registrations

# Fields the module lets a subscription's owner edit: the mirror's name -> the module's.
EDITABLE = {
    "url": "postUri",
    "events": "events",
    "event_version": "version",
    "is_development": "isDevelopment",
}
LOOPBACK = ("127.0.0.1", "::1", "localhost")  # plain http stays on this machine
# registrations enable|disable|archive|restore -> the module's route.
STATUS_ROUTES = {
    "enable": "activate",
    "disable": "deactivate",
    "archive": "archive",
    "restore": "restore",
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
    if not origin:
        raise InvalidInput(
            f"Registration {reg_id} was synced before the desk kept where from; "
            "connect to its ECG module again to change it."
        )
    token, _ = api_token(store, origin, None)
    return EcgWrites(db, PlatformClient(origin, token))


class EcgWrites:
    """Write-through changes to the ECG mirrors of one database, over one module client."""

    def __init__(self, db, client: PlatformClient):
        self.db, self.client = db, client

    def __enter__(self) -> EcgWrites:
        return self

    def __exit__(self, *_exc) -> None:
        self.client.close()

    def edit(self, reg_id, changes: dict, reason: str | None = None) -> dict:
        """Change `changes` (the mirror's field names) on the module, then here."""
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidInput(
                f"The ECG module does not let {', '.join(unknown)} change; "
                f"it lets {', '.join(EDITABLE)} change."
            )
        last, path = self._last_read(reg_id)
        current = self._module_copy(path)
        self._check_unchanged(reg_id, last, current, list(changes))
        operations = [
            op
            for name, value in changes.items()
            for op in (
                {"op": "test", "path": f"/{EDITABLE[name]}", "value": current[name]},
                {"op": "replace", "path": f"/{EDITABLE[name]}", "value": value},
            )
        ]
        answer = self._send("PATCH", path, operations)
        return self._store(reg_id, answer, "registration.update", reason)

    def set_status(self, reg_id, action: str, reason: str | None = None) -> dict:
        """enable | disable | archive | restore on the module, then here."""
        last, path = self._last_read(reg_id)
        self._check_unchanged(reg_id, last, self._module_copy(path), ["status"])
        self._send("POST", f"{path}/{STATUS_ROUTES[action]}")
        return self._store(reg_id, self._module_document(path), f"registration.{action}", reason)

    def create(self, organization: str, fields: dict, store, reason: str | None = None):
        """A new subscription of `organization` made on the module (`fields` under the
        mirror's names), then mirrored here with the secret it answered kept in the keyring.
        Returns the mirror as `registrations.as_dict` shows it, and that secret."""
        self._check_private_channel()  # the module answers with the new secret
        store.require_usable()
        body = {EDITABLE[name]: value for name, value in fields.items() if name in EDITABLE}
        path = f"/api/organizations/{organization}/webhook-subscriptions"
        answer = self._send("POST", path, {"isDevelopment": False, **body})
        if not isinstance(answer, dict):
            raise InvalidInput(f"The ECG module answered {path} with something not a subscription.")
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
        with self.db.session() as session:
            remote = registrations.get(session, reg_id).remote_id
            note = self._note(remote, reason)
            version = registrations.keep_platform_secret(session, store, reg_id, value, note)
            return {
                "kind": version.kind,
                "version": version.version,
                "fingerprint": version.fingerprint,
            }

    def _check_private_channel(self) -> None:
        parts = urlsplit(self.client.base_url)
        if parts.scheme != "https" and parts.hostname not in LOOPBACK:
            raise InvalidInput(
                f"A secret is only sent to the ECG module over HTTPS; {self.client.base_url} "
                "is plain http, so nothing was sent."
            )

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

    def _module_document(self, path: str) -> dict:
        answer = self._send("GET", path)
        if not isinstance(answer, dict):
            raise InvalidInput(f"The ECG module answered {path} with something not a subscription.")
        return answer

    def _module_copy(self, path: str) -> dict:
        """The subscription as the module holds it now, under the mirror's field names."""
        document = self._module_document(path)
        _, fields, events = subscription_fields(document, "")
        shown = {name: fields[name] for name in EDITABLE if name != "events"}
        return {**shown, "events": events, "status": fields["status"]}

    def _send(self, method: str, path: str, body=None):
        try:
            return self.client.send(method, path, body=body)
        except UserError as error:
            # 409: the module's copy changed between our read and this write (a failed test).
            status = getattr(error, "status", None)
            kind = Conflict if status == 409 else type(error)
            silent = isinstance(error, PlatformError) and not error.answered
            answered = "did not answer" if silent else "did not take the change"
            raise kind(
                f"The ECG module {answered}: {str(error).rstrip('.')}; nothing was changed here."
            ) from None

    def _check_unchanged(self, reg_id, last: dict, current: dict, names: list[str]) -> None:
        """A field about to change that the module changed since it was read is a conflict."""
        differ = [n for n in names if _comparable(last[n]) != _comparable(current[n])]
        if differ:
            both = "; ".join(f"{n} here {last[n]!r}, on the module {current[n]!r}" for n in differ)
            raise Conflict(
                f"Registration {reg_id} changed on the ECG module since it was last synced "
                f"({both}); nothing was changed; sync it and try again."
            )

    # ---- the mirror's side -------------------------------------------------------------

    def _store(self, reg_id, document, action: str, reason: str | None) -> dict:
        """The mirror updated from the module's answer, audited with the remote id; the
        registration as `registrations.as_dict` shows it."""
        with self.db.session() as session:
            reg = registrations.get(session, reg_id)
            remote, fields, events = subscription_fields(document, reg.organization_id or "")
            change = (action, self._note(remote, reason))
            upsert_mirror(session, "ecg", remote, fields, events, self.client.base_url, change)
            session.flush()
            return registrations.as_dict(reg)

    def _note(self, remote, reason: str | None) -> str:
        """The audit's reason: the user's, and where the change was sent."""
        note = f"sent to ECG subscription {remote} at {self.client.base_url}"
        return f"{reason}; {note}" if reason else note


def _comparable(value):
    return sorted(value) if isinstance(value, list) else value

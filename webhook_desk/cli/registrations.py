"""`webhook-desk registrations ...`: list, show, add and change webhook registrations."""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import replace
from pathlib import Path

from webhook_desk import certificates, signing
from webhook_desk.cli.common import (
    open_db,
    print_json,
    print_rows,
)
from webhook_desk.cli.events import read_json_file
from webhook_desk.errors import InvalidInput
from webhook_desk.platform.sync import copy_mirror
from webhook_desk.secrets import SecretStore
from webhook_desk.services import json_patch, registrations
from webhook_desk.vocabulary import AuthType

LIST_COLUMNS = ["id", "name", "scope", "url", "auth_type", "status", "validation_state", "events"]


def read_secret(prompt: str) -> str:
    """One secret from standard input (a prompt without echo when it is a terminal)."""
    if sys.stdin is None:
        raise InvalidInput("No standard input to read the secret from.")
    if sys.stdin.isatty():
        value = getpass.getpass(prompt)
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise InvalidInput(signing.EMPTY_SECRET)
    return value


def _secret_for_add(args) -> str | None:
    if args.auth == AuthType.BASIC:
        return read_secret("Password: ")
    if args.auth == AuthType.OAUTH2:
        return read_secret("Client secret: ")
    if args.secret_stdin:
        if args.auth not in registrations.GENERATED:
            raise InvalidInput("--secret-stdin is for --auth hmac or standard-webhooks.")
        return read_secret("Secret: ")
    return None


def _add(args) -> int:
    if args.api_url:
        return _add_on_module(args)
    data = registrations.RegistrationInput(
        url=args.url,
        events=[e.strip() for e in args.events.split(",") if e.strip()] if args.events else None,
        name=args.name,
        study_id=args.study_id,
        organization_id=args.organization_id,
        auth_type=args.auth,
        username=args.username,
        token_url=args.token_url,
        client_id=args.client_id,
        oauth_scope=args.oauth_scope,
        event_version=args.event_version,
        is_development=args.development,
        retry_schedule=args.retry_schedule,
    )
    secret = _secret_for_add(args)
    tls = tls_change(args)
    db = open_db(args)
    with db.session() as session:
        store = SecretStore()
        reg, generated = registrations.add(session, store, data, secret, args.reason, tls)
        result = registrations.as_dict(reg)
    return _print_added(args, result, generated, "store it now")


def tls_change(args) -> registrations.TlsChange:
    """What the TLS options ask for (the passphrase asked for only when a key needs one)."""
    if args.client_key and not args.client_cert:
        raise InvalidInput("--client-key goes with --client-cert.")
    client = None
    if args.client_cert or args.pkcs12:
        client = certificates.ClientCertificateFiles(
            _path(args.client_cert), _path(args.client_key), _path(args.pkcs12)
        )
        client = _with_passphrase(args, client)
    return registrations.TlsChange(
        client=client,
        remove_client=getattr(args, "no_client_cert", False),
        ca_bundle=_path(args.ca_bundle),
        remove_ca_bundle=getattr(args, "no_ca_bundle", False),
    )


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _with_passphrase(args, client: certificates.ClientCertificateFiles):
    if args.passphrase_env:
        value = os.environ.get(args.passphrase_env)
        if value is None:
            raise InvalidInput(f"The environment variable {args.passphrase_env} is not set.")
        return replace(client, passphrase=value)
    if sys.stdin is not None and sys.stdin.isatty() and certificates.needs_passphrase(client):
        return replace(client, passphrase=getpass.getpass("Passphrase of the client key: "))
    return client


def _edit(args) -> int:
    tls = tls_change(args)
    if not tls:
        raise InvalidInput("Say what to change: --client-cert, --pkcs12, --ca-bundle or a --no-….")
    db = open_db(args)
    with db.session() as session:
        reg = registrations.set_tls(session, SecretStore(), args.id, tls, args.reason)
        shown = registrations.as_dict(reg)
    print(f"Registration {args.id}: {_tls_summary(shown)}; it will be validated again.")
    return 0


def _tls_summary(shown: dict) -> str:
    leaf = shown["client_certificate"]
    presents = f"presents {leaf['subject']}" if leaf else "presents no client certificate"
    authorities = shown["ca_bundle"]
    trusts = (
        f"trusts {len(authorities)} CA(s) of its own" if authorities else "trusts the system's CAs"
    )
    return f"{presents}, {trusts}"


def _print_added(args, result: dict, secret: str | None, advice: str) -> int:
    """The new registration's id (or --json), and its secret shown this once."""
    if args.json:
        print_json({**result, **({"secret": secret} if secret else {})})
        return 0
    print(result["id"])
    if secret:
        print(f"Secret (shown once, {advice}): {secret}", file=sys.stderr)
    return 0


def _copy(args) -> int:
    db = open_db(args)
    with db.session() as session:
        reg, generated = copy_mirror(session, SecretStore(), args.id, args.reason)
        result = registrations.as_dict(reg)
    if args.json:
        print_json({**result, **({"secret": generated} if generated else {})})
        return 0
    print(result["id"])
    return 0


def _row(reg) -> dict:
    data = registrations.as_dict(reg)
    scope = (
        f"study {reg.study_id}"
        if reg.study_id
        else (f"org {reg.organization_id}" if reg.organization_id else "-")
    )
    return {**data, "scope": scope}


def _list(args) -> int:
    db = open_db(args)
    with db.session() as session:
        rows = [_row(r) for r in registrations.list_all(session, include_archived=args.all)]
    print_rows(rows, LIST_COLUMNS, args.json)
    return 0


def _show(args) -> int:
    db = open_db(args)
    with db.session() as session:
        reg = registrations.get(session, args.id)
        data = {
            **registrations.as_dict(reg),
            "secrets": registrations.secret_summary(reg),
            "created_at": reg.created_at,
            "updated_at": reg.updated_at,
        }
    if args.json:
        print_json(data)
        return 0
    for key, value in data.items():
        if key not in ("secrets", *TLS_FIELDS):
            print(f"{key:>18}: {'-' if value is None else value}")
    for label, facts in _certificates(data):
        print(f"{label:>18}: {facts['subject']}, issued by {facts['issuer']}, expires "
              f"{facts['not_after'][:10]}, SHA-256 {facts['fingerprint']}")  # fmt: skip
    for warning in data["certificate_warnings"]:
        print(f"{'warning':>18}: {warning}")
    for s in data["secrets"]:
        state = "valid" if s["valid"] else "expired"
        expiry = f", expires {s['expires_at']:%Y-%m-%d %H:%M} UTC" if s["expires_at"] else ""
        print(f"{'secret':>18}: {s['kind']} v{s['version']} {s['fingerprint']} ({state}{expiry})")
    return 0


TLS_FIELDS = ("client_certificate", "ca_bundle", "certificate_warnings")


def _certificates(data: dict) -> list[tuple[str, dict]]:
    client = (
        [("client certificate", data["client_certificate"])] if data["client_certificate"] else []
    )
    return client + [("trusted CA", facts) for facts in data["ca_bundle"] or []]


def _ecg_writes(args, db):
    """The way to the ECG module when args.id mirrors one of its subscriptions, else None."""
    from webhook_desk.cli.platform import hosted_client
    from webhook_desk.platform.ecg_writes import EcgWrites

    with db.session() as session:
        reg = registrations.get(session, args.id)
        if reg.source != "ecg":
            return None
        origin = reg.remote_origin
    return EcgWrites(db, hosted_client(args, args.id, origin))


def _set_status(args) -> int:
    db = open_db(args)
    writes = _ecg_writes(args, db)
    if writes is not None:
        shown = writes.set_status(args.id, args.status_action, args.reason, over=args.keep_mine)
        print(f"Registration {shown['id']} is {shown['status']}, on the ECG module and here.")
        return 0
    with db.session() as session:
        reg = registrations.set_status(session, args.id, args.status_action, args.reason)
        print(f"Registration {reg.id} is {reg.status}.")
    return 0


def _delete(args) -> int:
    db = open_db(args)
    writes = _ecg_writes(args, db)
    if writes is not None:
        writes.delete(args.id, SecretStore(), args.reason)
        print(f"Registration {args.id} deleted, on the ECG module and here.")
        return 0
    with db.session() as session:
        registrations.delete(session, SecretStore(), args.id, args.reason)
    print(f"Registration {args.id} deleted.")
    return 0


def _rotate(args) -> int:
    secret = read_secret("New secret: ") if args.secret_stdin else None
    db = open_db(args)
    writes = _ecg_writes(args, db)  # a --token-stdin token is the line after the secret
    if writes is not None:
        return _set_module_secret(args, writes, secret)
    with db.session() as session:
        reg = registrations.get(session, args.id)
        if reg.auth_type in (AuthType.BASIC, AuthType.OAUTH2) and secret is None:
            basic = reg.auth_type == AuthType.BASIC
            secret = read_secret("New password: " if basic else "New secret: ")
        version, generated = registrations.rotate_secret(
            session, SecretStore(), args.id, secret, args.grace_hours, args.reason
        )
        result = {
            "id": reg.id,
            "kind": version.kind,
            "version": version.version,
            "fingerprint": version.fingerprint,
        }
    if args.json:
        print_json({**result, **({"secret": generated} if generated else {})})
        return 0
    print(
        f"Registration {result['id']} now signs with {result['kind']} v{result['version']}; "
        f"the previous version stays valid for {args.grace_hours:g} h."
    )
    if generated:
        print(f"Secret (shown once, store it now): {generated}", file=sys.stderr)
    return 0


def _patch(args) -> int:
    """`registrations patch ID --json-patch FILE|-`: RFC 6902 over `registrations show --json`."""
    operations = read_json_file(args.json_patch)
    db = open_db(args)
    writes = _ecg_writes(args, db)
    if writes is not None:
        return _patch_ecg_mirror(args, db, writes, operations)
    editable = {name: name for name in (*registrations.STORED_FIELDS, "events")}
    with db.session() as session:
        reg = registrations.get_local(session, args.id)
        changes = json_patch.changes(registrations.as_dict(reg), operations, editable)
        if changes:
            registrations.update(session, SecretStore(), reg.id, changes, reason=args.reason)
        changed = ", ".join(sorted(changes)) or "nothing"
    print(f"Registration {args.id}: {changed} changed.")
    return 0


def _patch_ecg_mirror(args, db, writes, operations) -> int:
    from webhook_desk.platform.ecg_writes import EDITABLE

    with db.session() as session:
        shown = registrations.as_dict(registrations.get(session, args.id))
    changes = json_patch.changes(shown, operations, {name: name for name in EDITABLE})
    if changes:
        writes.edit(args.id, changes, reason=args.reason, over=args.keep_mine)
    changed = ", ".join(sorted(changes)) or "nothing"
    print(f"Registration {args.id}: {changed} changed, on the ECG module and here.")
    return 0


def _set_module_secret(args, writes, secret: str | None) -> int:
    """The secret given, sent to the module; or, without one, a new one the module makes."""
    with writes:
        if secret is None:
            version = writes.rotate_secret(args.id, SecretStore(), args.reason)
        else:
            version = writes.set_secret(args.id, SecretStore(), secret, args.reason)
    if args.json:
        print_json({"id": int(args.id), **version})
        return 0
    print(
        f"Registration {args.id} now signs with {version['kind']} v{version['version']} "
        f"({version['fingerprint']}), on the ECG module and here."
    )
    return 0


def _secrets(args) -> int:
    """`registrations secrets ID`: the secret versions by fingerprint; for an ECG mirror, the
    module's own history of them."""
    db = open_db(args)
    writes = _ecg_writes(args, db)
    if writes is not None:
        with writes:
            versions = writes.secret_history(args.id, SecretStore())
    else:
        with db.session() as session:
            versions = registrations.secret_summary(registrations.get(session, args.id))
    if args.json:
        print_json(versions)
        return 0
    for v in versions:
        fingerprint = v["fingerprint"] or "fingerprint not known (the value is not given out)"
        made = f", made {v['created_at']}" if v.get("created_at") else ""
        print(f"v{v['version']} {fingerprint}{made}")
    if not versions:
        print(f"Registration {args.id} has no secret.")
    return 0


def _add_on_module(args) -> int:
    """`registrations add --api-url`: a subscription made on the ECG module, mirrored here."""
    from webhook_desk.cli.platform import stdin_line
    from webhook_desk.platform.client import PlatformClient
    from webhook_desk.platform.ecg_writes import EcgWrites
    from webhook_desk.platform.sync import api_token

    if not args.organization_id:
        raise InvalidInput("An ECG module's subscription belongs to an --organization.")
    store = SecretStore()
    token, warning = api_token(
        store, args.api_url, stdin_line(args.token_stdin, "--token-stdin", "token")
    )
    fields = {
        "url": args.url,
        "events": [e.strip() for e in (args.events or "").split(",") if e.strip()],
        "event_version": args.event_version,
        "is_development": args.development,
    }
    with EcgWrites(open_db(args), PlatformClient(args.api_url, token)) as writes:
        shown, secret = writes.create(args.organization_id, fields, store, args.reason)
    if warning:
        print(f"webhook-desk: warning: {warning}", file=sys.stderr)
    return _print_added(args, shown, secret, "kept in the keyring")

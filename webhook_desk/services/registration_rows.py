"""A registration as the CLI, the audit and the window show it (registrations.as_dict), and
the Registrations tab's rows: shaped by one function whether the values come from ORM objects
or straight from the driver. No SQLAlchemy here, so the window's first paint can read its rows
with stdlib sqlite3 from statements a previous start compiled (services/registration_list.py,
db/statement_cache.py) before SQLAlchemy is imported (issue 15)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from datetime import UTC, datetime

from webhook_desk import certificate_expiry
from webhook_desk.db import statement_cache
from webhook_desk.db.statement_cache import stored_time

# A registration's stored fields as_dict shows, in its order ("events" comes after "url").
FIELDS = (
    "id",
    "name",
    "study_id",
    "organization_id",
    "url",
    "event_version",
    "auth_type",
    "username",
    "token_url",
    "client_id",
    "oauth_scope",
    "is_development",
    "status",
    "disabled_reason",
    "validation_state",
    "validation_error",
    "retry_schedule",
    "failure_streak",
    "last_delivery_at",
    "last_delivery_status",
    "source",
    "certificate_facts",  # what is shown of the certificates (their PEM is not read here)
)
SECRET_FIELDS = (
    "registration_id",
    "kind",
    "version",
    "fingerprint",
    "created_at",
    "expires_at",
    "revoked_at",
)
# Their names in the statement cache: the list (by include_archived), events, secrets.
LISTED, EVENTS, SECRETS = "registrations", "registration-events", "registration-secrets"


def registration_dict(values: Mapping, events: list[str]) -> dict:
    """Plain data of a registration (no secret values); times as ISO 8601 UTC."""
    found = {name: values[name] for name in FIELDS[:5]}
    found["events"] = events
    found.update((name, values[name]) for name in FIELDS[5:-1])
    found["is_development"] = bool(found["is_development"])
    last = stored_time(found["last_delivery_at"])
    found["last_delivery_at"] = last.isoformat() if last else None
    # Read from the facts kept when the certificates were saved: no cryptography here.
    kept = values["certificate_facts"]
    found["client_certificate"], found["ca_bundle"] = certificate_expiry.shown(kept)
    found["certificate_warnings"] = certificate_expiry.warnings(kept)
    return found


def secret_entry(values: Mapping, now: datetime) -> dict:
    """One secret version as the detail panel lists it (metadata only)."""
    expires = stored_time(values["expires_at"])
    return {
        "kind": values["kind"],
        "version": values["version"],
        "fingerprint": values["fingerprint"] or "unknown",
        "created_at": stored_time(values["created_at"]),
        "expires_at": expires,
        "valid": values["revoked_at"] is None and (expires is None or expires > now),
    }


def tab_rows(registrations, events, secrets, now: datetime | None = None) -> list[dict]:
    """The tab's rows from the three statements' rows (tuples in FIELDS, (registration id,
    event code) and SECRET_FIELDS order): each registration with its events and secrets."""
    now = now or datetime.now(UTC)
    codes: dict[int, list[str]] = {}
    for registration_id, code in events:
        codes.setdefault(registration_id, []).append(code)
    versions: dict[int, list[dict]] = {}
    for row in secrets:
        values = dict(zip(SECRET_FIELDS, row, strict=True))
        versions.setdefault(values["registration_id"], []).append(secret_entry(values, now))
    found = []
    for row in registrations:
        values = dict(zip(FIELDS, row, strict=True))
        reg_id = values["id"]
        row = registration_dict(values, codes.get(reg_id, []))
        found.append({**row, "secrets": versions.get(reg_id, [])})
    return found


def cached_tab_rows(url: str, include_archived: bool = False) -> list[dict] | None:
    """The tab's rows read with stdlib sqlite3, or None when the statements (or the
    database's schema) are not known to be current: then the tab reads them the usual way."""
    listed = statement_cache.lookup(LISTED, include_archived)
    events = statement_cache.lookup(EVENTS, ())
    secrets = statement_cache.lookup(SECRETS, ())
    if listed is None or events is None or secrets is None:
        return None
    connection = statement_cache.open_at_head(url)
    if connection is None:
        return None
    with closing(connection):
        try:
            read = listed.rows(connection, {}), events.rows(connection, {})
            return tab_rows(*read, secrets.rows(connection, {}))
        except sqlite3.DatabaseError:  # locked, damaged: the usual way says it in words
            return None

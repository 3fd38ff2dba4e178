"""The event catalog: categories, versioned event types with JSON Schemas, and sample payloads.

The shipped catalog lives in resources/catalog/*.json (one file per category) and is copied into
the database by `sync_catalog`, which runs on every start; after that the database is the
catalog. Users change statuses here and entries in catalog_edits.py; every change is audited,
and the sync leaves alone what a user edited or deleted.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, contains_eager, selectinload

from webhook_desk.db.models import AuditEntry, EventCategory, EventType, SamplePayload
from webhook_desk.errors import Conflict, InvalidInput, NotFound
from webhook_desk.services import audit
from webhook_desk.services.payload_errors import payload_problems
from webhook_desk.settings import resources_dir
from webhook_desk.vocabulary import EventStatus

STATUSES = tuple(s.value for s in EventStatus)
ACTIVE, INACTIVE, ARCHIVED = EventStatus
ACTIONS = ("activate", "deactivate", "archive", "restore")
TARGETS = ("category", "event")
_ENTITY_TYPES = {"category": "event_category", "event": "event_type"}


# --- the shipped catalog -----------------------------------------------------------------


def catalog_dir() -> Path:
    return resources_dir() / "catalog"


@lru_cache(maxsize=4)
def shipped_categories(directory: Path | None = None) -> tuple[dict, ...]:
    """The category documents shipped with the app, read once per process."""
    folder = directory or catalog_dir()
    paths = sorted(folder.glob("*.json"))
    if not paths:
        # An installation without its resources folder would otherwise start with an empty
        # catalog and fail later with "no such event" everywhere.
        raise NotFound(f"The shipped event catalog is missing ({folder}); reinstall webhook-desk.")
    documents = []
    for path in paths:
        try:
            documents.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"The shipped catalog file {path} cannot be read: {exc}.") from None
    return tuple(documents)


def _shipped_view(categories: tuple[dict, ...]) -> dict[tuple, object]:
    """Everything sync maintains, keyed so the shipped and stored catalogs compare directly."""
    view: dict[tuple, object] = {}
    for cat in categories:
        view[("category", cat["code"])] = (cat["name"], cat.get("description"), cat["module"])
        for ev in cat["events"]:
            key = (ev["code"], ev["version"])
            view[("event", *key)] = (cat["code"], ev["name"], ev.get("description"), ev["schema"])
            for sample in ev["samples"]:
                view[("sample", *key, sample["name"])] = sample["payload"]
    return view


def _stored_view(session: Session) -> dict[tuple, object]:
    """The same view of the database, in one query."""
    rows = session.execute(
        select(
            EventCategory.code,
            EventCategory.name,
            EventCategory.description,
            EventCategory.module,
            EventType.code,
            EventType.version,
            EventType.name,
            EventType.description,
            EventType.json_schema,
            SamplePayload.name,
            SamplePayload.payload,
        )
        .select_from(EventCategory)
        .outerjoin(EventType, EventType.category_id == EventCategory.id)
        .outerjoin(SamplePayload, SamplePayload.event_type_id == EventType.id)
    ).all()
    view: dict[tuple, object] = {}
    for cat, cat_name, cat_desc, module, code, version, name, desc, schema, s_name, s_body in rows:
        view[("category", cat)] = (cat_name, cat_desc, module)
        if code is not None:
            view[("event", code, version)] = (cat, name, desc, schema)
        if s_name is not None:
            view[("sample", code, version, s_name)] = s_body
    return view


def sync_catalog(session: Session, directory: Path | None = None) -> int:
    """Bring the database's catalog up to the shipped one; returns how many entries changed.

    Missing categories, events and samples are added and shipped texts, schemas and payloads
    are refreshed; statuses are never touched, so a user's deactivation or archive survives
    every start. When nothing changed this is one small SELECT. Call it first in a unit of
    work: when another program fills a new database at the same moment, the session is
    rolled back and the comparison made again.
    """
    try:
        return _sync(session, directory)
    except (IntegrityError, OperationalError):
        # Their rows won (a unique code, or on SQLite a snapshot that went stale between our
        # read and our write). Start over from what is there now; a real fault fails again.
        session.rollback()
        return _sync(session, directory)


def _sync(session: Session, directory: Path | None) -> int:
    documents = shipped_categories(directory)
    stored = _stored_view(session)
    changed = _changed(_shipped_view(documents), stored)
    if changed:
        # What a user edited or deleted (catalog_edits, audited) stays as they left it.
        documents = _without(documents, _user_edited(session))
        changed = _changed(_shipped_view(documents), stored)
    if changed:
        _apply(session, documents, set(changed))
    return len(changed)


def _changed(shipped: dict, stored: dict) -> list[tuple]:
    return [key for key, value in shipped.items() if stored.get(key, _MISSING) != value]


_EDITS = ("category.update", "category.delete", "event.update", "event.delete",
          "sample.add", "sample.update", "sample.delete")  # fmt: skip


def _user_edited(session: Session) -> set[str]:
    """Audit ids of entries a user changed: 'code', 'code@version', 'code@version/sample'."""
    query = select(AuditEntry.action, AuditEntry.entity_id).where(AuditEntry.action.in_(_EDITS))
    return {f"{action.split('.')[0]}:{entity}" for action, entity in session.execute(query)}


def _without(categories: tuple[dict, ...], edited: set[str]) -> tuple[dict, ...]:
    """The shipped documents less what a user edited."""
    kept = []
    for cat in categories:
        if f"category:{cat['code']}" in edited:
            continue
        events = []
        for ev in cat["events"]:
            key = f"{ev['code']}@{ev['version']}"
            if f"event:{key}" not in edited:
                samples = [s for s in ev["samples"] if f"sample:{key}/{s['name']}" not in edited]
                events.append(ev | {"samples": samples})
        kept.append(cat | {"events": events})
    return tuple(kept)


_MISSING = object()


def _stored_entries(session: Session) -> tuple[dict, dict]:
    """Categories by code and events by (code, version), as objects to change."""
    by_code = {c.code: c for c in session.scalars(select(EventCategory))}
    events = {
        (e.code, e.version): e
        for e in session.scalars(select(EventType).options(selectinload(EventType.samples)))
    }
    return by_code, events


def _apply(session: Session, categories: tuple[dict, ...], changed: set[tuple]) -> None:
    by_code, events = _stored_entries(session)
    for doc in categories:
        category = by_code.get(doc["code"])
        if category is None:
            category = EventCategory(code=doc["code"], status=ACTIVE)
            session.add(category)
        if ("category", doc["code"]) in changed:
            category.name, category.description = doc["name"], doc.get("description")
            category.module = doc["module"]
        for ev in doc["events"]:
            _apply_event(session, category, events.get((ev["code"], ev["version"])), ev, changed)
    session.flush()


def _apply_event(
    session: Session, category: EventCategory, event: EventType | None, doc: dict, changed: set
) -> None:
    key = (doc["code"], doc["version"])
    if event is None:
        event = EventType(code=doc["code"], version=doc["version"], status=ACTIVE)
        event.category = category
        session.add(event)
    if ("event", *key) in changed:
        event.category = category
        event.name, event.description = doc["name"], doc.get("description")
        event.json_schema = copy.deepcopy(doc["schema"])
    stored = {s.name: s for s in event.samples}
    for sample in doc["samples"]:
        if ("sample", *key, sample["name"]) not in changed:
            continue
        if sample["name"] in stored:
            stored[sample["name"]].payload = copy.deepcopy(sample["payload"])
        else:
            event.samples.append(
                SamplePayload(name=sample["name"], payload=copy.deepcopy(sample["payload"]))
            )


# --- looking things up -------------------------------------------------------------------


def _version_key(version: str) -> tuple[int, str]:
    match = re.fullmatch(r"v(\d+)", version)
    return (int(match.group(1)) if match else -1, version)


def list_events(session: Session) -> list[EventType]:
    """Every event type, with its category loaded, ordered by module, category, code, version."""
    query = (
        select(EventType)
        .join(EventType.category)
        .options(contains_eager(EventType.category), selectinload(EventType.samples))
        .order_by(EventCategory.module, EventCategory.code, EventType.code, EventType.version)
    )
    return list(session.scalars(query).unique())


def list_categories(session: Session) -> list[EventCategory]:
    query = (
        select(EventCategory)
        .options(selectinload(EventCategory.events))
        .order_by(EventCategory.module, EventCategory.code)
    )
    return list(session.scalars(query))


def get_event(session: Session, code: str, version: str | None = None) -> EventType:
    """The event `code` at `version`, or its newest version when none is given."""
    query = (
        select(EventType)
        .where(EventType.code == code)
        .options(selectinload(EventType.category), selectinload(EventType.samples))
    )
    events = list(session.scalars(query))
    if not events:
        known = session.scalars(select(EventType.code).distinct()).all()
        raise NotFound(unknown_sentence("event", code, known))
    if version is None:
        return max(events, key=lambda e: _version_key(e.version))
    for event in events:
        if event.version == version:
            return event
    versions = ", ".join(sorted((e.version for e in events), key=_version_key))
    raise NotFound(f"Event '{code}' has no version '{version}'; it has {versions}.")


def get_category(session: Session, code: str) -> EventCategory:
    category = session.scalar(select(EventCategory).where(EventCategory.code == code))
    if category is None:
        known = session.scalars(select(EventCategory.code)).all()
        raise NotFound(unknown_sentence("category", code, known))
    return category


def unknown_sentence(kind: str, code: str, known: Sequence[str]) -> str:
    wanted = code.strip().lower()
    near = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
    near += [k for k in sorted(known) if wanted and wanted in k.lower() and k not in near][:3]
    if near:
        names = " or ".join(f"'{n}'" for n in near[:3])
        return f"There is no {kind} '{code}' in the catalog; did you mean {names}?"
    return f"There is no {kind} '{code}' in the catalog; `webhook-desk events list` shows them."


# --- samples and validation --------------------------------------------------------------


def sample_payload(event_type: EventType, name: str | None = None) -> dict:
    """A copy of a sample payload (the first one when no name is given), safe to edit."""
    samples = list(event_type.samples)
    if not samples:
        raise NotFound(f"Event '{event_type.code}' {event_type.version} has no sample payload.")
    if name is None:
        return copy.deepcopy(samples[0].payload)
    for sample in samples:
        if sample.name == name:
            return copy.deepcopy(sample.payload)
    names = ", ".join(s.name for s in samples)
    raise NotFound(
        f"Event '{event_type.code}' {event_type.version} has no sample '{name}'; it has {names}."
    )


def validate_payload(event_type: EventType, payload) -> list[str]:
    """One sentence per problem, each starting with the field's path; empty when valid."""
    return payload_problems(event_type.json_schema, payload)


# --- status changes ----------------------------------------------------------------------


@dataclass(frozen=True)
class StatusChange:
    target: str  # category | event
    code: str
    version: str | None
    before: str
    after: str

    @property
    def label(self) -> str:
        return f"{self.target} {self.code}" + (f" {self.version}" if self.version else "")


def set_status(
    session: Session,
    target: str,
    code: str,
    action: str,
    reason: str | None = None,
    version: str | None = None,
) -> list[StatusChange]:
    """Activate, deactivate, archive or restore a category or an event (every version of it
    unless `version` is given); each real change is audited. Asking for the state an entry
    is already in changes nothing and is not an error, so scripts can repeat themselves."""
    if target not in TARGETS:
        raise InvalidInput(f"'{target}' is not a catalog target; use category or event.")
    if action not in ACTIONS:
        raise InvalidInput(f"'{action}' is not a status action; use {', '.join(ACTIONS)}.")
    if target == "category":
        entries: list[tuple[EventCategory | EventType, str | None]]
        entries = [(get_category(session, code), None)]
    elif version is not None:
        entries = [(get_event(session, code, version), version)]
    else:
        get_event(session, code)  # one clear sentence when the code is unknown
        found = session.scalars(select(EventType).where(EventType.code == code))
        entries = [(e, e.version) for e in sorted(found, key=lambda e: _version_key(e.version))]
    return [_change(session, target, entry, ver, action, reason) for entry, ver in entries]


def _entity_id(entry, version: str | None) -> str:
    return f"{entry.code}@{version}" if version else entry.code


def _change(session, target, entry, version, action, reason) -> StatusChange:
    before = entry.status
    after = _next_status(session, target, entry, version, action)
    if after != before:
        entry.status = after
        audit.record(
            session,
            f"{target}.{action}",
            _ENTITY_TYPES[target],
            _entity_id(entry, version),
            before={"status": before},
            after={"status": after},
            reason=reason,
        )
    return StatusChange(target, entry.code, version, before, after)


def _next_status(session, target, entry, version, action) -> EventStatus:
    label = f"The {target} '{entry.code}'" + (f" {version}" if version else "")
    if action in ("activate", "deactivate") and entry.status == ARCHIVED:
        raise Conflict(f"{label} is archived; restore it before you {action} it.")
    if action == "activate":
        return ACTIVE
    if action == "deactivate":
        return INACTIVE
    if action == "archive":
        return ARCHIVED
    if entry.status != ARCHIVED:
        return entry.status
    return _status_before_archive(session, target, entry, version)


def _status_before_archive(session, target, entry, version) -> EventStatus:
    """What the entry was when it was last archived, read from the audit trail."""
    last_archive = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.entity_type == _ENTITY_TYPES[target],
            AuditEntry.entity_id == _entity_id(entry, version),
            AuditEntry.action == f"{target}.archive",
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    earlier = (last_archive.before or {}).get("status") if last_archive else None
    return EventStatus(earlier) if earlier in (ACTIVE, INACTIVE) else ACTIVE


# --- presenting --------------------------------------------------------------------------


def effective_status(event: EventType) -> EventStatus:
    """An event is only as available as its category: archived or inactive wins."""
    for status in (ARCHIVED, INACTIVE):
        if status in (event.status, event.category.status):
            return status
    return ACTIVE


def event_as_dict(event: EventType, detail: bool = True) -> dict:
    out: dict[str, Any] = {
        "code": event.code,
        "version": event.version,
        "name": event.name,
        "description": event.description,
        "status": event.status,
        "effective_status": effective_status(event),
        "category": event.category.code,
        "category_status": event.category.status,
        "module": event.category.module,
        "sample_names": [s.name for s in event.samples],
    }
    if detail:
        out["schema"] = event.json_schema
        out["samples"] = [{"name": s.name, "payload": s.payload} for s in event.samples]
    return out


def category_as_dict(category: EventCategory) -> dict:
    return {
        "code": category.code,
        "name": category.name,
        "description": category.description,
        "module": category.module,
        "status": category.status,
        "events": sorted({e.code for e in category.events}),
    }

"""The ECG module's catalog writes: categories, events and sample payloads (seed 004),
each one call to services/catalog_edits.py or catalog.set_status."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webhook_desk.api.calls import Call, done, patch_changes
from webhook_desk.db.models import EventType
from webhook_desk.errors import NotFound
from webhook_desk.platform import api_shapes
from webhook_desk.platform.mock_ecg_endpoints import find_category, find_event
from webhook_desk.platform.mock_endpoints import ApiError
from webhook_desk.services import catalog, catalog_edits

CATEGORY_EDITABLE = {"code": "code", "name": "name", "description": "description"}
EVENT_EDITABLE = {**CATEGORY_EDITABLE, "version": "version", "jsonSchema": "json_schema"}
DEFAULT_SAMPLE = "default"


def _category_of(session: Session, call: Call):
    return find_category(session, call.params["webhookCategoryId"])


# ---- categories --------------------------------------------------------------------------


def create_category(session: Session, call: Call) -> dict:
    body = call.fields("name", "code")
    category = catalog_edits.create_category(
        session, body["code"], body["name"], body.get("description")
    )
    return api_shapes.ecg_category(category)


def patch_category(session: Session, call: Call) -> dict:
    category = _category_of(session, call)
    changes = patch_changes(call, api_shapes.ecg_category(category), CATEGORY_EDITABLE)
    return api_shapes.ecg_category(catalog_edits.update_category(session, category.code, changes))


def delete_category(session: Session, call: Call) -> dict:
    catalog_edits.delete_category(session, _category_of(session, call).code)
    return done()


def category_status(action: str):
    def change(session: Session, call: Call) -> dict:
        catalog.set_status(session, "category", _category_of(session, call).code, action)
        return done()

    change.__name__ = f"{action}_category"
    return change


# ---- events ------------------------------------------------------------------------------


def _event_document(event: EventType) -> dict:
    """An event as shown, with the JSON Schema a patch may change."""
    return api_shapes.ecg_event(event) | {"jsonSchema": event.json_schema}


def create_event(session: Session, call: Call) -> dict:
    category = _category_of(session, call)
    body = call.fields("name", "code", "version")
    event = catalog_edits.create_event(
        session,
        category.code,
        body["code"],
        body["version"],
        body["name"],
        body.get("description"),
        body.get("jsonSchema"),
    )
    return _event_document(event)


def patch_event(session: Session, call: Call) -> dict:
    event = find_event(session, call)
    changes = patch_changes(call, _event_document(event), EVENT_EDITABLE)
    updated = catalog_edits.update_event(session, event.code, event.version, changes)
    return _event_document(updated)


def delete_event(session: Session, call: Call) -> dict:
    event = find_event(session, call)
    catalog_edits.delete_event(session, event.code, event.version)
    return done()


def event_status(action: str):
    def change(session: Session, call: Call) -> dict:
        event = find_event(session, call)
        catalog.set_status(session, "event", event.code, action, version=event.version)
        return done()

    change.__name__ = f"{action}_event"
    return change


# ---- sample payloads ---------------------------------------------------------------------


def _version_of(session: Session, event: EventType, version: str) -> EventType:
    """The event of the path at the version asked for (the module keys samples by both)."""
    try:
        return catalog.get_event(session, event.code, version)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None


def _sample_target(session: Session, call: Call) -> tuple[EventType, str]:
    """The event version and sample name a sample route's query names (first sample)."""
    event = _version_of(session, find_event(session, call), call.required("version"))
    name = call.one("name") or (event.samples[0].name if event.samples else None)
    if name is None:
        raise ApiError(404, f"No sample payload for {event.code} {event.version}.")
    return event, name


def _sample_document(event: EventType, name: str) -> dict:
    """A sample as shown, with its payload as JSON (the seed shows it as a string)."""
    payload = catalog.sample_payload(event, name)
    return api_shapes.ecg_sample(event, payload, event.version, name) | {"name": name}


def add_sample(session: Session, call: Call) -> dict:
    body = call.fields("payload")
    event = find_event(session, call)
    event = _version_of(session, event, body.get("version") or event.version)
    name = body.get("name") or DEFAULT_SAMPLE
    catalog_edits.add_sample(session, event.code, event.version, name, body["payload"])
    return _sample_document(event, name)


def patch_sample(session: Session, call: Call) -> dict:
    event, name = _sample_target(session, call)
    shown = _sample_document(event, name)
    changes = patch_changes(
        call, shown | {"payload": catalog.sample_payload(event, name)}, {"payload": "payload"}
    )
    if changes:
        catalog_edits.update_sample(session, event.code, event.version, name, changes["payload"])
    return _sample_document(event, name)


def delete_sample(session: Session, call: Call) -> dict:
    event, name = _sample_target(session, call)
    catalog_edits.delete_sample(session, event.code, event.version, name)
    return done()

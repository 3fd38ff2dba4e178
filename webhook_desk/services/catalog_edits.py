"""Creating, editing and deleting catalog entries: categories, event types, sample payloads.

Each rule lives here once and says what is wrong in a sentence; the CLI, the GUI and the
served API call these functions. Every change is audited, and the start-up sync of the
shipped catalog (catalog.sync_catalog) leaves what a user edited or deleted as they left it.
"""

from __future__ import annotations

import copy
import re

import jsonschema
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webhook_desk.db.models import (
    EventCategory,
    EventType,
    RegistrationEvent,
    SamplePayload,
)
from webhook_desk.errors import Conflict, InvalidInput, NotFound
from webhook_desk.services import audit, catalog
from webhook_desk.services.payload_errors import payload_problems
from webhook_desk.vocabulary import EventStatus

MODULES = ("ecg", "centrepoint")
CATEGORY_FIELDS = ("code", "name", "description")
EVENT_FIELDS = ("code", "version", "name", "description", "json_schema")
DEFAULT_SCHEMA = {"type": "object"}
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_VERSION = re.compile(r"v[1-9][0-9]{0,5}")
NAME_MAX = 200


# --- the rules ---------------------------------------------------------------------------


def _check_code(code, what: str) -> str:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidInput(
            f"A {what} code is 1 to 100 letters, digits, dots, dashes or underscores, "
            f"starting with a letter or digit; '{code}' is not."
        )
    return code


def _check_name(name, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"A {what} needs a name.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"A {what} name has at most {NAME_MAX} characters.")
    return name.strip()


def _check_description(description) -> str | None:
    if description is not None and not isinstance(description, str):
        raise InvalidInput("A description is text.")
    return description or None


def _check_version(version) -> str:
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise InvalidInput(f"An event version is 'v' and a number, such as v1; '{version}' is not.")
    return version


def _check_schema(schema) -> dict:
    if not isinstance(schema, dict):
        raise InvalidInput("An event's JSON Schema is a JSON object.")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "the top level"
        raise InvalidInput(f"The JSON Schema is not valid at {where}: {exc.message}") from None
    return copy.deepcopy(schema)


def _unknown_fields(changes: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"A {what} has no field {', '.join(unknown)}; it has {', '.join(allowed)}."
        )


# --- categories --------------------------------------------------------------------------


def create_category(
    session: Session,
    code: str,
    name: str,
    description: str | None = None,
    module: str = "ecg",
    reason: str | None = None,
) -> EventCategory:
    _check_code(code, "category")
    if module not in MODULES:
        raise InvalidInput(f"'{module}' is not a module; use {' or '.join(MODULES)}.")
    check_category_free(session, code)
    category = EventCategory(
        code=code,
        name=_check_name(name, "category"),
        description=_check_description(description),
        module=module,
        status=EventStatus.ACTIVE,
    )
    session.add(category)
    session.flush()
    audit.record(
        session,
        "category.create",
        "event_category",
        code,
        after=_category_doc(category),
        reason=reason,
    )
    return category


def update_category(
    session: Session, code: str, changes: dict, reason: str | None = None
) -> EventCategory:
    """Change a category's code, name or description."""
    _unknown_fields(changes, CATEGORY_FIELDS, "category")
    category = catalog.get_category(session, code)
    before = _category_doc(category)
    if "code" in changes and changes["code"] != category.code:
        check_category_free(session, _check_code(changes["code"], "category"))
        category.code = changes["code"]
    if "name" in changes:
        category.name = _check_name(changes["name"], "category")
    if "description" in changes:
        category.description = _check_description(changes["description"])
    after = _category_doc(category)
    if after != before:
        audit.record(session, "category.update", "event_category", code, before, after, reason)
    return category


def delete_category(session: Session, code: str, reason: str | None = None) -> None:
    category = check_category_deletable(session, code)
    before = _category_doc(category)
    session.delete(category)
    audit.record(session, "category.delete", "event_category", code, before=before, reason=reason)
    session.flush()


def check_category_deletable(session: Session, code: str) -> EventCategory:
    """The category, if it can go: it has no events left."""
    category = catalog.get_category(session, code)
    if category.events:
        raise Conflict(
            f"The category '{code}' still has {len(category.events)} event versions; "
            "delete them first."
        )
    return category


def check_category_free(session: Session, code: str) -> None:
    if session.scalar(select(EventCategory.id).where(EventCategory.code == code)) is not None:
        raise Conflict(f"There is already a category '{code}'.")


def _category_doc(category: EventCategory) -> dict:
    return {"code": category.code, "name": category.name, "description": category.description}


# --- event types -------------------------------------------------------------------------


def create_event(
    session: Session,
    category_code: str,
    code: str,
    version: str,
    name: str,
    description: str | None = None,
    json_schema: dict | None = None,
    reason: str | None = None,
) -> EventType:
    category = catalog.get_category(session, category_code)
    _check_code(code, "event")
    _event_key_free(session, code, _check_version(version))
    event = EventType(
        code=code,
        version=version,
        name=_check_name(name, "event"),
        description=_check_description(description),
        status=EventStatus.ACTIVE,
        json_schema=_check_schema(DEFAULT_SCHEMA if json_schema is None else json_schema),
    )
    event.category = category
    session.add(event)
    session.flush()
    audit.record(
        session,
        "event.create",
        "event_type",
        _event_key(event),
        after=_event_doc(event),
        reason=reason,
    )
    return event


def update_event(
    session: Session, code: str, version: str, changes: dict, reason: str | None = None
) -> EventType:
    """Change an event version's code, version, name, description or JSON Schema.

    A new schema must still accept the event's sample payloads, so firing a sample keeps
    working."""
    _unknown_fields(changes, EVENT_FIELDS, "event")
    event = catalog.get_event(session, code, version)
    before = _event_doc(event)
    new_code = _check_code(changes.get("code", event.code), "event")
    new_version = _check_version(changes.get("version", event.version))
    if (new_code, new_version) != (event.code, event.version):
        _renamable(session, event, new_code)
        _event_key_free(session, new_code, new_version)
        event.code, event.version = new_code, new_version
    if "name" in changes:
        event.name = _check_name(changes["name"], "event")
    if "description" in changes:
        event.description = _check_description(changes["description"])
    if "json_schema" in changes:
        schema = _check_schema(changes["json_schema"])
        for sample in event.samples:
            _check_payload(event, schema, sample.name, sample.payload)
        event.json_schema = schema
    after = _event_doc(event)
    if after != before:
        audit.record(
            session, "event.update", "event_type", f"{code}@{version}", before, after, reason
        )
    return event


def delete_event(session: Session, code: str, version: str, reason: str | None = None) -> None:
    """Delete one version of an event (with its samples); refused while registrations
    subscribe to the event and no other version of it would remain."""
    event = catalog.get_event(session, code, version)
    others = session.scalar(
        select(func.count()).where(EventType.code == code, EventType.id != event.id)
    )
    if not others:
        _not_subscribed(session, code, "delete")
    before = _event_doc(event)
    session.delete(event)
    audit.record(
        session, "event.delete", "event_type", f"{code}@{version}", before=before, reason=reason
    )
    session.flush()


def _renamable(session: Session, event: EventType, new_code: str) -> None:
    if new_code != event.code:
        _not_subscribed(session, event.code, "rename")


def _not_subscribed(session: Session, code: str, action: str) -> None:
    users = session.scalar(
        select(func.count())
        .select_from(RegistrationEvent)
        .where(RegistrationEvent.event_code == code)
    )
    if users:
        raise Conflict(
            f"{users} registrations subscribe to '{code}'; remove it from them before you "
            f"{action} it."
        )


def _event_key_free(session: Session, code: str, version: str) -> None:
    found = session.scalar(
        select(EventType.id).where(EventType.code == code, EventType.version == version)
    )
    if found is not None:
        raise Conflict(f"There is already an event '{code}' {version}.")


def _event_key(event: EventType) -> str:
    return f"{event.code}@{event.version}"


def _event_doc(event: EventType) -> dict:
    return {
        "code": event.code,
        "version": event.version,
        "name": event.name,
        "description": event.description,
        "json_schema": event.json_schema,
    }


# --- sample payloads ---------------------------------------------------------------------


def add_sample(
    session: Session, code: str, version: str, name: str, payload, reason: str | None = None
) -> SamplePayload:
    event = catalog.get_event(session, code, version)
    _check_code(name, "sample")
    if any(s.name == name for s in event.samples):
        raise Conflict(f"Event '{code}' {version} already has a sample '{name}'.")
    _check_payload(event, event.json_schema, name, payload)
    sample = SamplePayload(name=name, payload=copy.deepcopy(payload))
    event.samples.append(sample)
    session.flush()
    _audit_sample(session, "sample.add", event, name, None, payload, reason)
    return sample


def update_sample(
    session: Session, code: str, version: str, name: str, payload, reason: str | None = None
) -> SamplePayload:
    event = catalog.get_event(session, code, version)
    sample = _sample(event, name)
    _check_payload(event, event.json_schema, name, payload)
    before = sample.payload
    sample.payload = copy.deepcopy(payload)
    _audit_sample(session, "sample.update", event, name, before, payload, reason)
    return sample


def delete_sample(
    session: Session, code: str, version: str, name: str, reason: str | None = None
) -> None:
    event = catalog.get_event(session, code, version)
    sample = _sample(event, name)
    event.samples.remove(sample)
    _audit_sample(session, "sample.delete", event, name, sample.payload, None, reason)
    session.flush()


def _sample(event: EventType, name: str) -> SamplePayload:
    for sample in event.samples:
        if sample.name == name:
            return sample
    names = ", ".join(s.name for s in event.samples) or "none"
    raise NotFound(f"Event '{event.code}' {event.version} has no sample '{name}'; it has {names}.")


def _check_payload(event: EventType, schema: dict, name: str, payload) -> None:
    problems = payload_problems(schema, payload)
    if problems:
        raise InvalidInput(
            f"The sample '{name}' does not match the {event.code} {event.version} schema: "
            + "; ".join(problems)
        )


def _audit_sample(session, action, event, name, before, after, reason) -> None:
    audit.record(
        session,
        action,
        "sample_payload",
        f"{_event_key(event)}/{name}",
        before=None if before is None else {"payload": before},
        after=None if after is None else {"payload": after},
        reason=reason,
    )

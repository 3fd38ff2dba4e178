"""Firing an event: the outbox. One transaction writes the deliveries; the engine sends them."""

from __future__ import annotations

import json

from sqlalchemy import insert
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, EventType, Registration, new_uuid, utcnow
from webhook_desk.errors import InvalidInput
from webhook_desk.services import catalog, registration_rules, registrations
from webhook_desk.settings import PAYLOAD_LIMIT_BYTES
from webhook_desk.vocabulary import AuthType, DeliveryStatus, RegistrationStatus

MAX_COUNT = 100_000
SIGNING_AUTH = (AuthType.HMAC, AuthType.STANDARD_WEBHOOKS)
# The platform spells identifiers three ways; history filters need all of them.
HOSTED_ONE_AT_A_TIME = "The ECG module posts one event at a time, checked by the module."
STUDY_KEYS = ("studyId", "study_id", "StudyId")
SUBJECT_KEYS = ("subjectId", "subject_id", "SubjectId")


def fire(
    session: Session,
    event_code: str,
    to_registration: int | Registration | None = None,
    url: str | None = None,
    payload: dict | list | str | bytes | None = None,
    count: int = 1,
    validate: bool = True,
    sign_as: int | None = None,
    sign_throwaway: bool = False,
) -> list[Delivery]:
    """Queue `count` deliveries of an event to a registration or an ad-hoc URL.

    An ad-hoc delivery is unsigned unless `sign_as` names a registration whose secret signs
    it, or `sign_throwaway` asks for the throwaway secret the built-in receiver knows.

    The payload is the event's sample unless given (as data or as JSON text, sent byte for
    byte). A payload that breaks the event's JSON Schema is refused with every broken field
    named, unless validate=False (for testing how receivers cope).
    """
    reg = _target_registration(session, to_registration, url)
    signing = _adhoc_signing(session, reg, sign_as, sign_throwaway)
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(f"--count must be between 1 and {MAX_COUNT:,}.")
    event = catalog.get_event(session, event_code, reg.event_version if reg else None)
    body, data = _body(event, payload)
    too_big = size_problems(body)
    if too_big:
        raise InvalidInput(too_big[0])
    if validate:
        problems = catalog.validate_payload(event, data)
        if problems:
            raise InvalidInput(
                f"The payload does not match the {event.code} {event.version} schema: "
                + "; ".join(problems)
                + " (use --no-validate to send it anyway)."
            )
    now = utcnow()
    study, subject = identifiers(data)
    row = {
        "registration_id": reg.id if reg else None,
        "target_url": reg.url if reg else (url or "").strip(),
        "event_code": event.code,
        "event_version": event.version,
        "payload": body,
        "study_id": study or (reg.study_id if reg else None),
        "subject_id": subject,
        "status": DeliveryStatus.PENDING,
        "created_at": now,
        "next_attempt_at": now,
        **signing,
    }
    # One multi-row INSERT ... RETURNING: firing 10,000 costs one statement, not 10,000 objects.
    rows = [{**row, "uuid": new_uuid()} for _ in range(count)]
    deliveries = list(
        session.scalars(insert(Delivery).returning(Delivery, sort_by_parameter_order=True), rows)
    )
    return deliveries


def signing_registrations(session: Session) -> list[Registration]:
    """Registrations whose secret can sign an ad-hoc delivery."""
    return [r for r in registrations.list_all(session) if r.auth_type in SIGNING_AUTH]


def _adhoc_signing(
    session: Session, reg: Registration | None, sign_as: int | None, sign_throwaway: bool
) -> dict:
    """The delivery's signing columns, or the sentence saying why that signing is refused."""
    if sign_as is None and not sign_throwaway:
        return {}
    if reg is not None:
        raise InvalidInput(
            "Only a delivery to a URL can be signed with another secret; a registration "
            "signs with its own."
        )
    if sign_as is not None and sign_throwaway:
        raise InvalidInput("Sign with a registration's secret or the throwaway one, not both.")
    if sign_as is not None:
        signer = registrations.get(session, sign_as)
        if signer.auth_type not in SIGNING_AUTH:
            raise InvalidInput(
                f"Registration {signer.id} has no signing secret (its authentication is "
                f"{signer.auth_type}); choose one that uses HMAC or Standard Webhooks."
            )
    return {"signing_registration_id": sign_as, "signing_throwaway": sign_throwaway}


def _target_registration(
    session: Session, to_registration: int | Registration | None, url: str | None
) -> Registration | None:
    if (to_registration is None) == (url is None):
        raise InvalidInput("Fire at a registration (--to ID) or at a URL (--url URL), not both.")
    if url is not None:
        problems = url_problems(url)
        if problems:
            raise InvalidInput(problems[0])
        return None
    if isinstance(to_registration, Registration):
        to_registration = to_registration.id
    reg = registrations.get_local(session, to_registration)  # never fire at a platform mirror
    if reg.status != RegistrationStatus.ENABLED:
        raise InvalidInput(f"Registration {reg.id} is {reg.status}; enable it to send it events.")
    return reg


def _body(event, payload) -> tuple[str, object]:
    """The exact body text to send and the parsed data it holds."""
    if payload is None:
        data = catalog.sample_payload(event)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False), data
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("The payload is not UTF-8 text.") from None
    if isinstance(payload, str):
        try:
            return payload, json.loads(payload)
        except json.JSONDecodeError as exc:
            raise InvalidInput(_not_json(exc)) from None
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False), payload


def fire_targets(session: Session, event_code: str) -> list[dict]:
    """The registrations an event may be fired at now: local, enabled, subscribed to it."""
    return [
        {"id": r.id, "name": r.name, "url": r.url}
        for r in registrations.list_all(session)
        if r.status == RegistrationStatus.ENABLED
        and r.source == "local"
        and event_code in r.event_codes
    ]


def hosted_fire_problem(count: int, validate: bool) -> str | None:
    """Why a fire at a hosted ECG subscription cannot go as asked (it goes to the module,
    which posts one event and checks the payload itself), or None."""
    return HOSTED_ONE_AT_A_TIME if count != 1 or not validate else None


def url_problems(url: str) -> list[str]:
    """What is wrong with an ad-hoc target. Those are for testing receivers, so plain http is
    fine, as for a development registration."""
    return registration_rules.url_problems(url, development=True)


def size_problems(body: str) -> list[str]:
    """A payload over the limit, which holds even when the schema check is waived."""
    size = len(body.encode("utf-8"))
    if size <= PAYLOAD_LIMIT_BYTES:
        return []
    return [
        f"The payload is {size / 1024 / 1024:,.1f} MB; payloads are limited to "
        f"{PAYLOAD_LIMIT_BYTES // 1024 // 1024} MB, the most the built-in receiver accepts."
    ]


def payload_problems(event: EventType, text: str) -> tuple[list[str], bool]:
    """What is wrong with a payload text for `event`, and whether only its schema is (which a
    tester may waive); ([], True) when it can go as it is. The dialogs check with this live."""
    too_big = size_problems(text)
    if too_big:
        return too_big, False
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [_not_json(exc)], False
    return catalog.validate_payload(event, data), True


def _not_json(exc: json.JSONDecodeError) -> str:
    return f"Not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} of the payload."


def identifiers(data) -> tuple[str | None, str | None]:
    """The study and subject a payload is about, whichever way the event spells them."""
    if not isinstance(data, dict):
        return None, None
    return _first(data, STUDY_KEYS), _first(data, SUBJECT_KEYS)


def _first(data: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = data.get(key)
        if value is not None and value != "":
            return str(value)[:100]
    return None

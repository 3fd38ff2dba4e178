"""Edit and resend: a delivery (or a request the built-in receiver captured) sent again with
a changed payload, to its own target or another, signed afresh when the engine sends it.

The edited payload meets the same rules as firing (the event's schema unless waived, the
target's status and URL). The new delivery points back at the delivery it repeats, and the
audit trail keeps the edit as an RFC 6902 patch from the original body, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk import redaction
from webhook_desk.db.models import Delivery, EventType, ReceivedRequest
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.services import audit, catalog, firing, json_diff
from webhook_desk.services.resend import find, handshake_refusal, resend_route
from webhook_desk.settings import receiver_default_url


@dataclass(frozen=True)
class Source:
    """What an edit starts from, whatever it was."""

    ref: str  # "12" (a delivery) or "capture:7"
    label: str  # "delivery 12", "capture 7"
    event_code: str
    event_version: str | None
    payload: str
    delivery_id: int | None  # the delivery this repeats (for a capture, when it is ours)
    registration_id: int | None
    target_url: str
    extra_headers: dict | None = None


@dataclass(frozen=True)
class EditForm:
    """What the form starts from: the source, its event (for the live schema check) and the
    registrations it may go to instead."""

    source: Source
    event: EventType
    targets: list[dict]
    secrets: redaction.Redactor  # which headers carry secrets (the user's own included)


def source(session: Session, ref) -> Source:
    text = str(ref).strip()
    if text.startswith("capture:"):
        return _capture_source(session, text)
    delivery = find(session, text)
    refusal = (
        handshake_refusal(delivery) or resend_route(delivery.id, delivery.source, True).sentence
    )
    if refusal:
        raise InvalidInput(refusal)
    return _delivery_source(delivery, text, f"delivery {delivery.id}")


def _delivery_source(delivery: Delivery, ref: str, label: str) -> Source:
    return Source(
        ref=ref,
        label=label,
        event_code=delivery.event_code,
        event_version=delivery.event_version,
        payload=delivery.payload,
        delivery_id=delivery.id,
        registration_id=delivery.registration_id,
        target_url=delivery.target_url,
        extra_headers=delivery.extra_headers,
    )


def _capture_source(session: Session, ref: str) -> Source:
    ident = ref.removeprefix("capture:")
    capture = session.get(ReceivedRequest, int(ident)) if ident.isdigit() else None
    if capture is None:
        raise NotFound(f"No capture {ident} in the receiver's inbox.")
    if not capture.event:
        raise InvalidInput(
            f"Capture {capture.id} carries no X-ActiGraph-Event header, so its event is "
            "unknown; fire it from the Events tab instead."
        )
    payload = capture.body.decode("utf-8", errors="replace")
    query = select(Delivery).where(Delivery.uuid == capture.delivery_id)
    ours = session.scalars(query).first() if capture.delivery_id else None
    if ours is not None:  # the app's own delivery: resend it where it went
        return replace(_delivery_source(ours, ref, f"capture {capture.id}"), payload=payload)
    return Source(
        ref=ref,
        label=f"capture {capture.id}",
        event_code=capture.event,
        event_version=None,
        payload=payload,
        delivery_id=None,
        registration_id=None,
        target_url=receiver_default_url().rstrip("/") + capture.path,
    )


# Set by the sender as each request goes out, never by hand: transport, identity, signature.
SENDER_HEADERS = frozenset(
    (
        "host", "content-length", "transfer-encoding", "connection", "x-actigraph-delivery",
        "x-actigraph-signature", "webhook-id", "webhook-timestamp", "webhook-signature",
    )
)  # fmt: skip


def headers_from_text(text: str) -> tuple[dict[str, str], list[str]]:
    """Headers typed one per line as `Name: value`, and the sentences for lines that are not."""
    headers, problems = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            problems.append(f"Header line {number} needs a colon: Name: value.")
            continue
        headers[name.strip()] = value.strip()
    return headers, problems


def header_problems(headers: dict[str, str], secret: redaction.Redactor) -> list[str]:
    """What is wrong with headers a tester wants an edited resend to carry; `secret` is
    redaction's rule for this database (redaction.redactor(session))."""
    problems = []
    for name, value in headers.items():
        problem = redaction.header_name_problem(name)
        if problem is None and name.lower() in SENDER_HEADERS:
            problem = f"{name} is set by the sender as the request goes out; it cannot be edited."
        elif problem is None and secret.is_secret(name):
            problem = (
                f"{name} carries a secret and would be stored with the delivery; credentials "
                "belong in a registration, whose secrets stay in the keyring."
            )
        elif problem is None and ("\r" in value or "\n" in value):
            problem = f"The value of {name} must be one line."
        if problem:
            problems.append(problem)
    return problems


def edit_form(session: Session, ref) -> EditForm:
    found = source(session, ref)
    event = catalog.get_event(session, found.event_code, found.event_version)
    targets = firing.fire_targets(session, found.event_code)
    return EditForm(found, event, targets, redaction.redactor(session))


def resend_edited(
    session: Session,
    ref,
    payload: str,
    to_registration: int | None = None,
    url: str | None = None,
    reason: str | None = None,
    validate: bool = True,
    headers: dict[str, str] | None = None,
) -> Delivery:
    """Queue `payload` as an edit of `ref` (a delivery or capture:ID), to its own target
    unless another registration or a URL is given, with `headers` over the platform's."""
    problems = header_problems(headers or {}, redaction.redactor(session))
    if problems:
        raise InvalidInput(" ".join(problems))
    original = source(session, ref)
    if to_registration is None and url is None:
        to_registration = original.registration_id
        url = None if to_registration is not None else original.target_url
    (copy,) = firing.fire(
        session, original.event_code, to_registration, url, payload=payload, validate=validate
    )
    copy.resent_from_id = original.delivery_id
    copy.extra_headers = headers or None
    audit.record(
        session,
        "resend_edited",
        "delivery",
        copy.id,
        before={"source": original.label, "target_url": original.target_url},
        after={
            "target_url": copy.target_url,
            "payload_patch": _patch(original.payload, payload),
            "headers": headers or {},
        },
        reason=reason,
    )
    session.flush()
    return copy


def _patch(before: str, after: str) -> list[dict] | None:
    """The edit as RFC 6902 operations; None when either body is not JSON."""
    try:
        return json_diff.json_patch(json.loads(before), json.loads(after))
    except ValueError:
        return None

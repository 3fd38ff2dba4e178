"""Resending: a new delivery of the same event and body, pointing at the one it repeats.

It goes to the registration's current URL (the target may have moved since) and through the
engine like any other delivery; the original keeps its own history untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, Registration, utcnow
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.history.queries import Filters, iter_matching

CHUNK = 1000


@dataclass(frozen=True)
class BulkResend:
    matched: int
    queued: int  # 0 on a dry run
    skipped: int  # to disabled, archived or deleted registrations, or handshakes


def find(session: Session, delivery_ref) -> Delivery:
    """A delivery by its number or by its X-ActiGraph-Delivery id."""
    text = str(delivery_ref).strip()
    if text.isdigit():
        found = session.get(Delivery, int(text))
    else:
        found = session.scalars(select(Delivery).where(Delivery.uuid == text)).first()
    if found is None:
        raise NotFound(f"No delivery {text}.")
    return found


def resend(session: Session, delivery_ref) -> Delivery:
    """Queue the delivery again; refused for a handshake or a registration that takes no events."""
    original = find(session, delivery_ref)
    reg = session.get(Registration, original.registration_id) if original.registration_id else None
    problem = _why_not(original, reg)
    if problem:
        raise InvalidInput(problem)
    copy = _copy(original, reg)
    session.add(copy)
    session.flush()
    return copy


def resend_matching(session: Session, filters: Filters, dry_run: bool = False) -> BulkResend:
    """Queue every delivery matching the history filters again (or count them, on a dry run)."""
    regs: dict[int, Registration | None] = {}
    matched = queued = skipped = 0
    pending: list[Delivery] = []
    for original in iter_matching(session, filters):
        matched += 1
        reg_id = original.registration_id
        if reg_id is not None and reg_id not in regs:
            regs[reg_id] = session.get(Registration, reg_id)
        reg = regs.get(reg_id)
        if _why_not(original, reg):
            skipped += 1
            continue
        if not dry_run:
            pending.append(_copy(original, reg))
            queued += 1
        if len(pending) >= CHUNK:
            _flush(session, pending)
    _flush(session, pending)
    return BulkResend(matched, queued, skipped)


def _flush(session: Session, pending: list[Delivery]) -> None:
    """Write a chunk. The walk goes newest first by key, so it never meets these new rows."""
    session.add_all(pending)
    session.flush()
    pending.clear()


def _why_not(original: Delivery, reg: Registration | None) -> str | None:
    if original.is_validation:
        return (
            f"Delivery {original.id} is a validation handshake; run "
            f"`registrations validate {original.registration_id}` instead."
        )
    if original.registration_id is not None and reg is None:
        return f"Delivery {original.id} belonged to a registration that was deleted."
    if reg is not None and reg.status != "enabled":
        return f"Registration {reg.id} is {reg.status}; enable it to resend its deliveries."
    return None


def _copy(original: Delivery, reg: Registration | None) -> Delivery:
    now = utcnow()
    return Delivery(
        registration_id=original.registration_id,
        target_url=reg.url if reg is not None else original.target_url,
        event_code=original.event_code,
        event_version=original.event_version,
        payload=original.payload,
        study_id=original.study_id,
        subject_id=original.subject_id,
        status="pending",
        resent_from_id=original.id,
        created_at=now,
        next_attempt_at=now,
    )

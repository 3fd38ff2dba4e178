"""Why a pending delivery is not being sent, in words: the engine only sends to a registration
that is enabled and has passed the validation handshake (engine.claim.sendable), and a
delivery held back by that must say so wherever it is shown."""

from __future__ import annotations

from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, Registration


def waiting_reason(session: Session, delivery: Delivery) -> str | None:
    """The sentence saying what holds the delivery back and what to do; None when nothing
    about its registration does (sent, ad-hoc, or simply waiting for its next try)."""
    if delivery.status != "pending" or delivery.registration_id is None:
        return None
    reg = session.get(Registration, delivery.registration_id)
    if reg is None:
        return None
    name = f"registration {reg.id} ({reg.name})" if reg.name else f"registration {reg.id}"
    if reg.status != "enabled":
        return f"Held back: {name} is {reg.status}; enable it to send its deliveries."
    if reg.validation_state == "failed":
        return (
            f"Held back: {name} failed validation ({reg.validation_error or 'no reason given'}). "
            "Fix the endpoint, then validate the registration again."
        )
    if reg.validation_state != "validated":
        return (
            f"Held back until {name} passes the validation handshake, which runs before "
            "its first delivery; validate it now to send sooner."
        )
    return None

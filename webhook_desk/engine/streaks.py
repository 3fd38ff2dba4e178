"""A registration's run of failures: counted per attempt, reset by a success, and after the
configured time (default 5 days) without any success the registration is disabled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.db.models import Registration, utcnow
from webhook_desk.engine.bookkeeping import Bookkeeping
from webhook_desk.vocabulary import DeliveryStatus, RegistrationStatus

DEFAULT_DISABLE_AFTER = timedelta(days=5)
DEFAULT_WARN_AFTER = timedelta(days=1)


@dataclass
class RunOfOutcomes:
    """What one batch saw for one registration, in the order the attempts finished."""

    succeeded: bool = False  # at least one success in the batch
    failures_after_success: int = 0
    first_failure_after_success: datetime | None = None
    last_at: datetime | None = None
    last_status: DeliveryStatus | None = None

    def add(self, ok: bool, at: datetime) -> None:
        if ok:
            self.succeeded = True
            self.failures_after_success, self.first_failure_after_success = 0, None
        else:
            self.failures_after_success += 1
            self.first_failure_after_success = self.first_failure_after_success or at
        self.last_at, self.last_status = (
            at,
            (DeliveryStatus.SUCCEEDED if ok else DeliveryStatus.FAILED),
        )


def apply(
    session: Session,
    runs: dict[int, RunOfOutcomes],
    book: Bookkeeping,
    disable_after: timedelta = DEFAULT_DISABLE_AFTER,
    now: datetime | None = None,
) -> list[int]:
    """Update each registration's streak; returns the ids this disabled."""
    now = now or utcnow()
    disabled = []
    regs = session.scalars(select(Registration).where(Registration.id.in_(runs))).all()
    for reg in regs:
        run = runs[reg.id]
        if run.succeeded:
            reg.failure_streak = run.failures_after_success
            reg.failing_since = run.first_failure_after_success
        else:
            reg.failure_streak = (reg.failure_streak or 0) + run.failures_after_success
            reg.failing_since = reg.failing_since or run.first_failure_after_success
        reg.last_delivery_at, reg.last_delivery_status = run.last_at, run.last_status
        if _due_for_disabling(reg, disable_after, now):
            _disable(session, book, reg, disable_after)
            disabled.append(reg.id)
    return disabled


def _due_for_disabling(reg: Registration, disable_after: timedelta, now: datetime) -> bool:
    return (
        reg.status == RegistrationStatus.ENABLED
        and reg.failing_since is not None
        and now - reg.failing_since >= disable_after
    )


def _disable(
    session: Session, book: Bookkeeping, reg: Registration, disable_after: timedelta
) -> None:
    reason = (
        f"Every delivery failed for {_span(disable_after)} "
        f"({reg.failure_streak} failed attempts since {reg.failing_since:%Y-%m-%d %H:%M} UTC)."
    )
    before = {"status": reg.status, "disabled_reason": reg.disabled_reason}
    reg.status, reg.disabled_reason = RegistrationStatus.DISABLED, reason
    after = {"status": reg.status, "disabled_reason": reason}
    book.audit(session, "registration.auto-disable", reg, before, after, reason)


def _span(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:g} seconds"


def on_the_way_to_disabling(
    session: Session,
    now: datetime | None = None,
    disable_after: timedelta = DEFAULT_DISABLE_AFTER,
    warn_after: timedelta = DEFAULT_WARN_AFTER,
) -> list[dict]:
    """Enabled registrations failing for longer than `warn_after`: for `health` to warn about."""
    now = now or utcnow()
    regs = session.scalars(
        select(Registration)
        .where(
            Registration.status == RegistrationStatus.ENABLED,
            Registration.failing_since.is_not(None),
            Registration.failing_since <= now - warn_after,
        )
        .order_by(Registration.failing_since)
    ).all()
    return [_warning(reg, reg.failing_since, disable_after) for reg in regs if reg.failing_since]


def _warning(reg: Registration, since: datetime, disable_after: timedelta) -> dict:
    return {
        "id": reg.id,
        "name": reg.name,
        "failure_streak": reg.failure_streak,
        "failing_since": since,
        "disabled_at": since + disable_after,
        "message": (
            f"Registration {reg.id} has failed every delivery since "
            f"{since:%Y-%m-%d %H:%M} UTC; it will be disabled at "
            f"{since + disable_after:%Y-%m-%d %H:%M} UTC unless one succeeds."
        ),
    }

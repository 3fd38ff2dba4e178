"""How much delivery work there is right now: the figures of the GUI's status bar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, Registration
from webhook_desk.vocabulary import DeliveryStatus


@dataclass(frozen=True)
class DeliveryCounts:
    queued: int
    in_flight: int
    failed_last_hour: int


def counts(session: Session, now: datetime | None = None) -> DeliveryCounts:
    """Pending deliveries split by whether a worker holds a live lease, and recent failures."""
    now = now or datetime.now(UTC)
    leased = and_(Delivery.lease_owner.is_not(None), Delivery.lease_expires_at > now)
    pending = (
        select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
    )
    in_flight = session.scalar(pending.where(leased)) or 0
    queued = session.scalar(pending.where(or_(Delivery.lease_owner.is_(None), ~leased))) or 0
    hour_ago = now - timedelta(hours=1)
    failed = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.status == DeliveryStatus.FAILED, Delivery.last_sent_at >= hour_ago)
    )
    return DeliveryCounts(queued=queued, in_flight=in_flight, failed_last_hour=failed or 0)


def is_empty(session: Session) -> bool:
    """True for a database with no registrations and no deliveries: a first start."""
    has_registration = session.scalar(select(Registration.id).limit(1)) is not None
    has_delivery = session.scalar(select(Delivery.id).limit(1)) is not None
    return not (has_registration or has_delivery)

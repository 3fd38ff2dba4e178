"""Claiming due deliveries with a lease, safely with several workers and processes at once.

PostgreSQL: `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`, so two
processes never claim the same row. SQLite: the same single `UPDATE ... RETURNING`, which
takes the database's one write lock for its whole run, so it is atomic too. A lease that
expires (its worker died) makes the delivery claimable again: delivery is at least once.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import psutil
from sqlalchemy import CursorResult, exists, func, or_, select, update
from sqlalchemy.orm import Session

from webhook_desk.db.models import Attempt, Delivery, Registration, utcnow
from webhook_desk.vocabulary import DeliveryStatus, RegistrationStatus, ValidationState

DEFAULT_LEASE = timedelta(minutes=2)  # longer than a request's total timeout plus queueing


@dataclass(frozen=True)
class Claimed:
    """A snapshot of a claimed delivery: all a worker thread needs, no ORM object."""

    id: int
    uuid: str
    registration_id: int | None
    target_url: str
    event_code: str
    payload: str
    attempt_count: int
    signing_registration_id: int | None = None  # ad-hoc: sign as this registration does
    signing_throwaway: bool = False  # ad-hoc: sign with the throwaway secret
    extra_headers: dict | None = None  # an edited resend's own headers (edit_resend.py)
    previous_attempt_id: int | None = None


@dataclass(frozen=True)
class Exclusion:
    """Targets not to claim for now (they already hold their share of the threads)."""

    registration_ids: tuple[int, ...] = ()
    urls: tuple[str, ...] = ()

    @classmethod
    def of(cls, keys) -> Exclusion:
        """From target keys: a registration id, or "url:<url>" for ad-hoc deliveries."""
        ids = tuple(k for k in keys if isinstance(k, int))
        urls = tuple(k.removeprefix("url:") for k in keys if isinstance(k, str))
        return cls(ids, urls)

    def __bool__(self) -> bool:
        return bool(self.registration_ids or self.urls)

    def conditions(self) -> list:
        found = []
        if self.registration_ids:
            found.append(
                or_(
                    Delivery.registration_id.is_(None),
                    Delivery.registration_id.not_in(self.registration_ids),
                )
            )
        if self.urls:
            found.append(
                or_(Delivery.registration_id.is_not(None), Delivery.target_url.not_in(self.urls))
            )
        return found


def new_owner() -> str:
    """host:pid:random, so a restarted process on this host can recognise dead owners."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sendable(now: datetime):
    """Pending, due, not leased by a live worker, and its registration may receive events."""
    registration_ready = exists().where(
        Registration.id == Delivery.registration_id,
        Registration.status == RegistrationStatus.ENABLED,
        Registration.validation_state == ValidationState.VALIDATED,
    )
    return (
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.next_attempt_at <= now,
        or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at < now),
        or_(Delivery.registration_id.is_(None), registration_ready),
    )


def claim(
    session: Session,
    owner: str,
    limit: int,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
    exclude: Exclusion | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due deliveries to `owner`, oldest due first, in one statement."""
    if limit <= 0:
        return []
    now = now or utcnow()
    due = (
        select(Delivery.id)
        .where(*sendable(now), *(exclude.conditions() if exclude else ()))
        .order_by(Delivery.next_attempt_at)  # not also by id: that would sort every due row
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=Delivery)
    rows = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(lease_owner=owner, lease_expires_at=now + lease)
        .returning(
            Delivery.id,
            Delivery.uuid,
            Delivery.registration_id,
            Delivery.target_url,
            Delivery.event_code,
            Delivery.payload,
            Delivery.attempt_count,
            Delivery.signing_registration_id,
            Delivery.signing_throwaway,
            Delivery.extra_headers,
        )
        .execution_options(synchronize_session=False)
    ).all()
    previous = _last_attempts(session, [r.id for r in rows if r.attempt_count])
    claimed = [Claimed(*row, previous_attempt_id=previous.get(row.id)) for row in rows]
    claimed.sort(key=lambda c: c.id)
    return claimed


def _last_attempts(session: Session, delivery_ids: list[int]) -> dict[int, int]:
    if not delivery_ids:
        return {}
    rows = session.execute(
        select(Attempt.delivery_id, func.max(Attempt.id))
        .where(Attempt.delivery_id.in_(delivery_ids))
        .group_by(Attempt.delivery_id)
    )
    return dict(rows.all())


def release(session: Session, owner: str, delivery_ids: list[int]) -> None:
    """Give claimed deliveries back untouched (the engine stops before sending them)."""
    if delivery_ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(delivery_ids), Delivery.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )


def release_dead_local_owners(session: Session, now: datetime | None = None) -> int:
    """Free leases held by processes of this host that no longer run (killed, crashed).

    Without this a restarted `deliver` would wait out the lease; other hosts' leases
    are left to expire, since we cannot see their processes.
    """
    now = now or utcnow()
    prefix = socket.gethostname() + ":"
    owners = session.scalars(
        select(Delivery.lease_owner)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.lease_owner.startswith(prefix, autoescape=True),
            Delivery.lease_expires_at > now,
        )
        .distinct()
    ).all()
    dead = [o for o in owners if o is not None and not _process_alive(o)]
    if not dead:
        return 0
    result = session.execute(
        update(Delivery)
        .where(Delivery.lease_owner.in_(dead), Delivery.status == DeliveryStatus.PENDING)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult, result).rowcount or 0


def _process_alive(owner: str) -> bool:
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return True  # not ours to judge
    # Not os.kill(pid, 0): on Windows that sends CTRL_C to the process instead of probing it.
    return pid == os.getpid() or psutil.pid_exists(pid)

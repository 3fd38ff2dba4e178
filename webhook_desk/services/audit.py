"""The audit trail: who changed what, when, and why; secret values are never recorded."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.db.models import AuditEntry


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# Who the served API acts for (a token's subject); unset, the OS user acts.
_acting_for: ContextVar[str | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(who: str) -> Iterator[None]:
    """Audit every change made inside the block as made by `who`."""
    token = _acting_for.set(who)
    try:
        yield
    finally:
        _acting_for.reset(token)


def record(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the current unit of work (it commits with the change it records)."""
    entry = AuditEntry(
        actor=_acting_for.get() or os_user(),
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        reason=reason or None,
    )
    session.add(entry)
    return entry


def entries(session: Session, limit: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def as_dict(entry: AuditEntry) -> dict:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }

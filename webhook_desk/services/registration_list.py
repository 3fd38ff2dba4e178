"""The Registrations tab's rows, read by three plain statements (registrations, their events,
their secrets' metadata) rather than ORM objects, and kept compiled for the next start's first
paint, which runs them without SQLAlchemy (services/registration_rows.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.db.models import Registration, RegistrationEvent, SecretVersion
from webhook_desk.history.driver_reads import remember_compiled, run_compiled
from webhook_desk.services import registration_rows as shapes
from webhook_desk.services.registrations import listing_conditions

_EVENTS = select(RegistrationEvent.registration_id, RegistrationEvent.event_code).order_by(
    RegistrationEvent.registration_id, RegistrationEvent.event_code
)
_SECRETS = select(*(getattr(SecretVersion, f) for f in shapes.SECRET_FIELDS)).order_by(
    SecretVersion.registration_id, SecretVersion.version
)
_compiled: dict = {}  # by (dialect, name, shape)


def _listed(include_archived: bool):
    query = select(*(getattr(Registration, f) for f in shapes.FIELDS))
    return query.where(*listing_conditions(include_archived)).order_by(Registration.id)


def tab_rows(session: Session, include_archived: bool = False) -> list[dict]:
    """What the Registrations tab lists, as registration_rows.tab_rows shapes it."""
    session.flush()  # the driver's cursor does not flush the session's pending changes
    return shapes.tab_rows(
        _rows(session, shapes.LISTED, include_archived, lambda: _listed(include_archived)),
        _rows(session, shapes.EVENTS, (), lambda: _EVENTS),
        _rows(session, shapes.SECRETS, (), lambda: _SECRETS),
    )


def _rows(session: Session, name: str, shape, query) -> list[tuple]:
    dialect = session.connection().dialect
    compiled = _compiled.get((dialect.name, name, shape))
    if compiled is None:
        compiled = _compiled[(dialect.name, name, shape)] = query().compile(dialect=dialect)
    remember_compiled(name, shape, compiled, {})
    return run_compiled(session, compiled, {})

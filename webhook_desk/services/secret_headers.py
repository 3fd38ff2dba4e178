"""Naming headers secret (Settings): the list is redaction.py's; here, headers already kept
under a newly named one are redacted where they are stored, so its values do not stay in the
database (or in SQLite's freed pages and WAL) once the user has said they are secret."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Text, cast, or_, select, update
from sqlalchemy.orm import Session

from webhook_desk import redaction
from webhook_desk.db.models import Attempt, ReceivedRequest
from webhook_desk.services import erasure

STORED_HEADERS = (
    (Attempt, ("request_headers", "response_headers")),
    (ReceivedRequest, ("headers",)),
)
BATCH = 1000


def name_secret_headers(db, names: Iterable[str]) -> list[str]:
    """Make `names` the user's secret headers (refused whole with a sentence if one is not a
    header name); what is stored under a newly named one is redacted at once."""
    with db.session() as session:
        before = {name.lower() for name in redaction.user_header_names(session)}
        kept = redaction.set_user_header_names(session, names)
        added = [name for name in kept if name.lower() not in before]
        if added:
            erasure.forget_freed_pages(session)
            redactor = redaction.redactor(session)
            for model, columns in STORED_HEADERS:
                for column in columns:
                    _redact_stored(session, model, column, added, redactor)
    if added:
        erasure.compact(db)
    return kept


def _redact_stored(session: Session, model, column: str, names: list[str], redactor) -> None:
    stored = getattr(model, column)
    # The JSON text holds each name as a quoted key; the redactor decides on the exact match.
    named = or_(*(cast(stored, Text).ilike(f'%"{name}"%') for name in names))
    rows = session.execute(select(model.id, stored).where(named)).all()
    changed = [{"id": i, column: redactor.headers(headers)} for i, headers in rows]
    for start in range(0, len(changed), BATCH):
        session.execute(update(model), changed[start : start + BATCH])

"""A study participant's data erased on request, everywhere the product keeps it, with proof.

Erasing a subject of a study turns each delivery about them into a tombstone (the payload and
every attempt's bodies removed, the subject column cleared; id, event, status, dates and the
SHA-256 of the payload kept, so counts stay true), deletes the receiver's captures of them,
and takes the words out of the payload text index, in one transaction. Then the database
is made to forget: freed pages are overwritten (SQLite's secure_delete), the text index is
merged, the WAL is checkpointed and emptied (on PostgreSQL: VACUUM). The audit trail records
the erasure with the counts, who, when and why, naming the subject only by a keyed
fingerprint; the certificate file handed to the requester names them in full.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import Session

from webhook_desk.db import Database
from webhook_desk.db.models import Attempt, Delivery, ReceivedRequest, utcnow
from webhook_desk.errors import InvalidInput, UserError
from webhook_desk.history import payload_text
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit
from webhook_desk.services.firing import STUDY_KEYS, SUBJECT_KEYS

# Keys that carry a participant's identifier, in any event's payload.
IDENTIFYING_KEYS = (*SUBJECT_KEYS, "subject_identifier", "subjectIdentifier", "SubjectIdentifier")
ERASED = ""  # what a tombstone's payload holds
TOMBSTONE_CHUNK = 500  # deliveries per statement


@dataclass(frozen=True)
class Erasure:
    study: str
    subject_fingerprint: str
    deliveries: int
    attempts: int
    captures: int
    at: str
    actor: str
    reason: str | None
    audit_entry: int | None = None
    audit_hash: str | None = None

    @property
    def found(self) -> int:
        return self.deliveries + self.captures


def erase_subject(
    db: Database,
    store: SecretStore,
    study: str,
    subject: str,
    reason: str | None,
    dry_run: bool = False,
) -> Erasure:
    """Erase (or, on a dry run, count) everything about `subject` of `study`."""
    study, subject = _required(study, "--study"), _required(subject, "--subject")
    tag = store.fingerprint(f"{study}\x00{subject}")
    with db.session() as session:
        if not dry_run:
            forget_freed_pages(session)
        delivery_ids = _deliveries_about(session, study, subject)
        capture_ids = _captures_about(session, study, subject, delivery_ids)
        attempts = _attempt_count(session, delivery_ids)
        result = Erasure(
            study, tag, len(delivery_ids), attempts, len(capture_ids), utcnow().isoformat(),
            audit.os_user(), reason or None,
        )  # fmt: skip
        if dry_run or not result.found:
            return result
        tombstone(session, delivery_ids)
        session.execute(delete(ReceivedRequest).where(ReceivedRequest.id.in_(capture_ids)))
        entry = audit.record(
            session, "subject.erase", "study", study, after=_counts(result), reason=reason
        )
        session.flush()
        result = Erasure(
            **{**asdict(result), "audit_entry": entry.id, "audit_hash": entry.entry_hash}
        )
    compact(db)
    return result


def _required(value: str, option: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"Say which participant: {option} is required.")
    return value


def _deliveries_about(session: Session, study: str, subject: str) -> list[int]:
    """Deliveries of the study whose subject is `subject`, by the column or anywhere in the
    payload under an identifying key (a nested or differently spelled one)."""
    in_study = Delivery.study_id == study
    candidates = select(Delivery.id, Delivery.subject_id, Delivery.payload).where(
        in_study,
        Delivery.erased_at.is_(None),
        or_(Delivery.subject_id == subject, payload_text.condition(session, subject)),
    )
    return [
        row.id
        for row in session.execute(candidates)
        if row.subject_id == subject or _mentions(row.payload, subject)
    ]


def _captures_about(session, study: str, subject: str, delivery_ids: list[int]) -> list[int]:
    uuids = set(session.scalars(select(Delivery.uuid).where(Delivery.id.in_(delivery_ids))))
    rows = session.execute(
        select(ReceivedRequest.id, ReceivedRequest.delivery_id, ReceivedRequest.body)
    )
    return [
        row.id for row in rows if row.delivery_id in uuids or _mentions(row.body, subject, study)
    ]


def _mentions(body: str | bytes | None, subject: str, study: str | None = None) -> bool:
    """Whether a JSON body names `subject` under an identifying key (and, when given, is of
    `study`)."""
    try:
        data = json.loads(body or "")
    except (ValueError, UnicodeDecodeError):
        return False
    found = dict(_identifying_values(data))
    if study is not None and not any(str(found.get(k)) == study for k in STUDY_KEYS):
        return False
    return any(str(found.get(key)) == subject for key in IDENTIFYING_KEYS if key in found)


def _identifying_values(data, depth: int = 0):
    """(key, value) for every study or identifying key, at any depth (bounded)."""
    if depth > 20:
        return
    if isinstance(data, dict):
        for key, value in data.items():
            if key in IDENTIFYING_KEYS or key in STUDY_KEYS:
                yield key, value
            yield from _identifying_values(value, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _identifying_values(item, depth + 1)


def _attempt_count(session: Session, delivery_ids: list[int]) -> int:
    ids = session.scalars(select(Attempt.id).where(Attempt.delivery_id.in_(delivery_ids)))
    return len(ids.all())


def tombstone(session: Session, delivery_ids: list[int]) -> None:
    """Payload gone (its hash and the time kept), subject cleared, attempts' bodies gone."""
    now = utcnow()
    for chunk in chunks(delivery_ids, TOMBSTONE_CHUNK):
        for row in session.execute(
            select(Delivery.id, Delivery.payload).where(Delivery.id.in_(chunk))
        ).all():
            digest = hashlib.sha256(row.payload.encode("utf-8")).hexdigest()
            session.execute(
                update(Delivery)
                .where(Delivery.id == row.id)
                .values(payload=ERASED, subject_id=None, payload_sha256=digest, erased_at=now)
            )
        session.execute(
            update(Attempt)
            .where(Attempt.delivery_id.in_(chunk))
            .values(request_body=None, response_body=None)
        )


def chunks(ids: list[int], size: int):
    """`ids` in pieces of `size`, so no statement carries an unbounded IN list."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _counts(result: Erasure) -> dict:
    return {
        "subject_fingerprint": result.subject_fingerprint,
        "deliveries": result.deliveries,
        "attempts": result.attempts,
        "captures": result.captures,
    }


def forget_freed_pages(session: Session) -> None:
    """On SQLite, pages freed from now on are overwritten with zeros, not left readable."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete = ON"))


def compact(db: Database) -> None:
    """Make the database forget what the transaction removed: merge the text index (deleted
    words otherwise linger in its segments), empty the WAL; on PostgreSQL, vacuum the dead
    row versions away."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as connection:
            connection.execute(text("PRAGMA secure_delete = ON"))
            connection.execute(text("INSERT INTO delivery_text(delivery_text) VALUES ('optimize')"))
        with db.engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM delivery, attempt, received_request"))


def write_certificate(result: Erasure, subject: str, path: str | Path) -> Path:
    """The erasure certificate for the requester: what was erased, when, by whom and why,
    and the audit entry (with its chain hash) that records it."""
    target = Path(path)
    document = {
        "certificate": "erasure of a study participant's data",
        "study": result.study,
        "subject": subject,
        **_counts(result),
        "erased_at": result.at,
        "erased_by": result.actor,
        "reason": result.reason,
        "audit_entry": result.audit_entry,
        "audit_entry_hash": result.audit_hash,
        "verify_with": "webhook-desk audit verify",
    }
    try:
        target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise UserError(
            f"Cannot write the certificate {target}: {error.strerror or error}."
        ) from None
    return target

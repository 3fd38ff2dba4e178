"""Retention: data kept no longer than the study's policy.

A policy (per study, and one default for the rest) says how many days deliveries keep their
payloads and bodies, and how many days their records are kept at all. A purge applies it:
payloads past their time become tombstones (counts and charts stay true; erasure.py's
mechanics), records past theirs are deleted with their attempts, and captures in the
receiver's inbox go after the default payload time. Every run first counts (a dry run says
exactly what a purge removes), reports progress, and is one audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from webhook_desk.db import Database
from webhook_desk.db.models import Delivery, ReceivedRequest, RetentionPolicy, utcnow
from webhook_desk.errors import InvalidInput
from webhook_desk.services import audit
from webhook_desk.services.erasure import chunks, compact, forget_freed_pages, tombstone

DEFAULT = None  # the study_id of the default policy
CHUNK = 1_000
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class Policy:
    study: str | None  # None: the default
    payload_days: int | None  # None: kept for ever
    metadata_days: int | None

    def describe(self) -> str:
        """ "189: payloads 30 days, records kept for ever", as the CLI and the window say it."""
        return (
            f"{self.study or '(default)'}: payloads {_days(self.payload_days)}, "
            f"records {_days(self.metadata_days)}"
        )

    def as_dict(self) -> dict:
        return {
            "study": self.study or "(default)",
            "payload_days": self.payload_days,
            "metadata_days": self.metadata_days,
        }


@dataclass(frozen=True)
class Purge:
    payloads: int  # deliveries that become tombstones
    records: int  # deliveries deleted with their attempts
    captures: int  # receiver captures deleted
    dry_run: bool
    audit_entry: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def policy_problems(payload_days: int | None, metadata_days: int | None) -> list[str]:
    """What is wrong with a policy, as sentences (the Settings form and the CLI show them)."""
    problems = [
        f"{name} must be at least 1 day (leave it empty to keep for ever)."
        for name, days in (("Payload days", payload_days), ("Record days", metadata_days))
        if days is not None and days < 1
    ]
    if payload_days and metadata_days and metadata_days < payload_days:
        problems.append("Records cannot go before their payloads: record days ≥ payload days.")
    return problems


def set_policy(
    session: Session, study: str | None, payload_days: int | None, metadata_days: int | None,
    reason: str | None = None,
) -> Policy:  # fmt: skip
    problems = policy_problems(payload_days, metadata_days)
    if problems:
        raise InvalidInput(" ".join(problems))
    study = (study or "").strip() or DEFAULT
    row = session.scalars(select(RetentionPolicy).where(_is_study(study))).first()
    before = _policy(row).as_dict() if row else None
    if row is None:
        row = RetentionPolicy(study_id=study)
        session.add(row)
    row.payload_days, row.metadata_days = payload_days, metadata_days
    policy = _policy(row)
    audit.record(
        session, "retention.set", "study", study or "(default)", before, policy.as_dict(), reason
    )
    return policy


def policies(session: Session) -> list[Policy]:
    rows = session.scalars(select(RetentionPolicy).order_by(RetentionPolicy.study_id))
    return [_policy(row) for row in rows]


def _policy(row: RetentionPolicy) -> Policy:
    return Policy(row.study_id, row.payload_days, row.metadata_days)


def _is_study(study: str | None):
    column = RetentionPolicy.study_id
    return column.is_(None) if study is None else column == study


def purge(
    db: Database,
    dry_run: bool = False,
    progress: Progress | None = None,
    reason: str | None = None,
) -> Purge:
    """Apply every policy (or count what that would remove)."""
    now = utcnow()
    with db.session() as session:
        if not dry_run:
            forget_freed_pages(session)
        rules = policies(session)
        expired_records = _expired(session, rules, "metadata_days", now)
        expired_payloads = [
            i for i in _expired(session, rules, "payload_days", now, live_only=True)
            if i not in set(expired_records)
        ]  # fmt: skip
        captures = _expired_captures(session, rules, now)
        result = Purge(len(expired_payloads), len(expired_records), len(captures), dry_run)
        if dry_run or not (result.payloads or result.records or result.captures):
            return result
        total, done = result.payloads + result.records, 0
        for chunk in chunks(expired_payloads, CHUNK):
            tombstone(session, chunk)
            done += len(chunk)
            _report(progress, done, total)
        for chunk in chunks(expired_records, CHUNK):
            # A resend of a deleted delivery stays, no longer pointing at it.
            unlink = update(Delivery).where(Delivery.resent_from_id.in_(chunk))
            session.execute(unlink.values(resent_from_id=None))
            session.execute(delete(Delivery).where(Delivery.id.in_(chunk)))
            done += len(chunk)
            _report(progress, done, total)
        session.execute(delete(ReceivedRequest).where(ReceivedRequest.id.in_(captures)))
        entry = audit.record(
            session, "retention.purge", "history", "all", after=result.as_dict(), reason=reason
        )
        session.flush()
        result = Purge(result.payloads, result.records, result.captures, False, entry.id)
    compact(db)
    return result


def _expired(session, rules: list[Policy], field: str, now, live_only=False) -> list[int]:
    """Deliveries older than their study's `field` days (the default's for other studies)."""
    default = next((r for r in rules if r.study is None), None)
    own = {r.study: r for r in rules if r.study is not None}
    found: list[int] = []
    for study, rule in [*own.items(), (None, default)]:
        days = getattr(rule, field) if rule else None
        if not days:
            continue
        query = select(Delivery.id).where(Delivery.created_at < now - timedelta(days=days))
        if study is not None:
            query = query.where(Delivery.study_id == study)
        else:
            query = query.where((Delivery.study_id.is_(None)) | (Delivery.study_id.not_in(own)))
        if live_only:
            query = query.where(Delivery.erased_at.is_(None))
        found += session.scalars(query).all()
    return found


def _expired_captures(session: Session, rules: list[Policy], now) -> list[int]:
    default = next((r for r in rules if r.study is None), None)
    if default is None or not default.payload_days:
        return []
    cutoff = now - timedelta(days=default.payload_days)
    return list(
        session.scalars(select(ReceivedRequest.id).where(ReceivedRequest.received_at < cutoff))
    )


def _days(days: int | None) -> str:
    return f"{days} days" if days else "kept for ever"


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)

"""Resending: a new delivery of the same event and body, pointing at the one it repeats.

It goes to the registration's current URL (the target may have moved since) and through the
engine like any other delivery; the original keeps its own history untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery, Registration, ResendJob, ResendJobRetry, utcnow
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.history.queries import Filters, iter_matching
from webhook_desk.vocabulary import DeliveryStatus, RegistrationStatus

CHUNK = 1000  # deliveries per transaction
PROGRESS_EVERY = 200  # matched deliveries between progress reports

Progress = Callable[[int, int], None]  # (matched so far, queued so far)


@dataclass(frozen=True)
class BulkResend:
    matched: int
    queued: int  # 0 on a dry run; on a cancel, the batches already written
    skipped: int  # to disabled, archived or deleted registrations, or handshakes
    cancelled: bool = False
    already_queued: int = 0  # by an earlier run of the same job that was interrupted
    hosted: tuple[int, ...] = ()  # pulled from an ECG module: its retry route resends them
    read_only: int = 0  # pulled from CentrePoint, which has no route to resend them
    already_retried: int = 0  # hosted ones an interrupted run of the job had retried
    job_id: int | None = None  # the ResendJob, left open while `hosted` await their retries

    @property
    def local(self) -> int:
        """How many are (or, on a dry run, would be) queued here."""
        hosted = len(self.hosted) + self.already_retried
        kept = self.skipped + self.already_queued + hosted + self.read_only
        return self.matched - kept


LOCAL, MODULE, REFUSED = "local", "module", "refused"


@dataclass(frozen=True)
class Route:
    """How a resend of one delivery goes: queued here, retried by the ECG module it was pulled
    from, or refused (`sentence` says why and what to do instead)."""

    way: str
    sentence: str = ""


def resend_route(delivery_id: int, source: str, edited: bool = False) -> Route:
    """The one rule for where a resend of a delivery goes, by where the delivery came from.

    CentrePoint's API (seeds) has no write route, so its deliveries are resent there or not at
    all. The ECG module's retry route posts an activity again as it was; an edited payload is
    a new event, which its fire route sends (Fire), so an edited resend is refused here.
    """
    if source == "centrepoint":
        return Route(
            REFUSED,
            f"Delivery {delivery_id} was pulled from CentrePoint, which offers no route to "
            "resend it: resend it in CentrePoint itself.",
        )
    if source == "ecg" and edited:
        return Route(
            REFUSED,
            f"Delivery {delivery_id} was pulled from the ECG module, which resends a delivery "
            "only as it was: Resend has the module retry it, and Fire (`webhook-desk fire "
            "EVENT --to REGISTRATION --payload FILE`) has it post an edited payload.",
        )
    if source == "ecg":
        return Route(MODULE, f"The ECG module retries delivery {delivery_id}.")
    return Route(LOCAL)


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
    problem = _why_not(original, reg) or resend_route(original.id, original.source).sentence
    if problem:  # a hosted one goes to its module: the caller routes it there
        raise InvalidInput(problem)
    copy = _copy(original, reg)
    session.add(copy)
    session.flush()
    return copy


def resend_matching(
    session: Session,
    filters: Filters,
    dry_run: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BulkResend:
    """Queue every delivery matching the history filters again (or count them, on a dry run).

    Each batch of CHUNK copies is committed on its own, so a cancel (asked between
    deliveries) keeps the batches already written, drops only the one being gathered, and
    reports exactly how many were queued. `progress` and `cancelled` may run on any thread.
    The run is a ResendJob: one that was killed or cancelled is resumed by the next run with
    the same filters, which skips what it had queued (and the copies it made) and the hosted
    deliveries it had retried. With hosted ones to retry the job stays open: `retried` records
    each the module took and `finish` closes it.
    """
    job = _unfinished_job(session, filters)
    if job is None and not dry_run:
        job = ResendJob(filters=_filters_key(filters))
        session.add(job)
        session.commit()  # recorded before the first batch, so a kill leaves it to resume
    done, made = _done_by(session, job)
    retried_before = _retried_by(session, job)
    regs: dict[int, Registration | None] = {}
    matched = queued = skipped = already = read_only = already_retried = 0
    hosted: list[int] = []
    pending: list[Delivery] = []
    for original in iter_matching(session, filters):
        if cancelled is not None and cancelled():
            return BulkResend(matched, queued, skipped, True, already, tuple(hosted), read_only)
        if original.id in made:
            continue  # a copy this job queued before it was interrupted
        matched += 1
        way = resend_route(original.id, original.source).way
        if way != LOCAL and not original.is_validation:
            if way == MODULE and original.id in retried_before:
                already_retried += 1
            elif way == MODULE:
                hosted.append(original.id)
            else:
                read_only += 1
            continue
        reg_id = original.registration_id
        if reg_id is not None and reg_id not in regs:
            regs[reg_id] = session.get(Registration, reg_id)
        reg = regs.get(reg_id)
        if _why_not(original, reg):
            skipped += 1
        elif original.id in done:
            already += 1
        elif not dry_run:
            pending.append(_copy(original, reg, job))
        if len(pending) >= CHUNK:
            queued += _commit(session, pending)
        if progress is not None and matched % PROGRESS_EVERY == 0:
            progress(matched, queued)
    queued += _commit(session, pending)
    if job is not None and not dry_run and not hosted:
        finish(session, job.id)
    if progress is not None:
        progress(matched, queued)
    job_id = job.id if job is not None and not dry_run else None
    return BulkResend(
        matched, queued, skipped, False, already, tuple(hosted), read_only, already_retried, job_id
    )


def retried(session: Session, job_id: int | None, delivery_id: int) -> None:
    """Record that the job's hosted delivery was retried by its module (committed at once, so
    an interruption right after it keeps the record)."""
    if job_id is not None:
        session.add(ResendJobRetry(job_id=job_id, delivery_id=delivery_id))
        session.commit()


def finish(session: Session, job_id: int | None) -> None:
    """The job has sent everything: a later run with the same filters is a new job."""
    job = session.get(ResendJob, job_id) if job_id is not None else None
    if job is not None:
        job.finished_at = utcnow()
        session.commit()


def summary(bulk: BulkResend, dry_run: bool, retried: int = 0, failed: Sequence[str] = ()) -> str:
    """What a resend of all matching deliveries did (or, on a dry run, would do), each way:
    queued here, retried by the ECG module (`retried` of them; `failed` the module's
    refusals), skipped."""
    count = bulk.local
    verb = "would be resent" if dry_run else "queued again"
    text = f"{count:,} deliver{'y' if count == 1 else 'ies'} {verb}"
    if bulk.hosted:
        hosted = len(bulk.hosted)
        text += (
            f"; {hosted:,} would be retried by the ECG module"
            if dry_run
            else f"; {retried:,} of {hosted:,} retried by the ECG module"
        )
    if bulk.already_queued:
        text += f"; {bulk.already_queued:,} already queued by an interrupted run of it"
    if bulk.already_retried:
        text += (
            f"; {bulk.already_retried:,} already retried by the ECG module in an interrupted "
            "run of it"
        )
    if bulk.skipped:
        text += f"; {bulk.skipped:,} skipped (handshakes or registrations not enabled)"
    if bulk.read_only:
        text += f"; {bulk.read_only:,} pulled from CentrePoint left alone (it has no resend route)"
    text += "."
    if failed:
        text += " The ECG module refused: " + " ".join(failed[:3])
        text += f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
    return text


def stopped(bulk: BulkResend, tried: int) -> str:
    """What a resend of all matching deliveries says when cancelled during the ECG module's
    retries (its job stays open, so the next run goes on with the rest)."""
    return (
        f"Stopped after {tried:,} of {len(bulk.hosted):,} retries through the ECG module; "
        "resend all matching again to go on."
    )


def _filters_key(filters: Filters) -> str:
    return json.dumps(asdict(filters), sort_keys=True, default=str)


def _unfinished_job(session: Session, filters: Filters) -> ResendJob | None:
    return session.scalars(
        select(ResendJob)
        .where(ResendJob.filters == _filters_key(filters), ResendJob.finished_at.is_(None))
        .order_by(ResendJob.id.desc())
    ).first()


def _done_by(session: Session, job: ResendJob | None) -> tuple[set[int], set[int]]:
    """The originals `job` has queued again, and the copies it made of them."""
    if job is None or job.id is None:
        return set(), set()
    rows = session.execute(
        select(Delivery.resent_from_id, Delivery.id).where(Delivery.resend_job_id == job.id)
    )
    done: set[int] = set()
    made: set[int] = set()
    for original_id, copy_id in rows:
        if original_id is not None:  # a copy always names its original
            done.add(original_id)
        made.add(copy_id)
    return done, made


def _retried_by(session: Session, job: ResendJob | None) -> set[int]:
    """The hosted deliveries `job` has had their module retry."""
    if job is None or job.id is None:
        return set()
    query = select(ResendJobRetry.delivery_id).where(ResendJobRetry.job_id == job.id)
    return set(session.scalars(query))


def _commit(session: Session, pending: list[Delivery]) -> int:
    """Write a batch in its own transaction. The walk goes newest first by key, so it never
    meets these new rows."""
    if not pending:
        return 0
    session.add_all(pending)
    session.commit()
    written = len(pending)
    pending.clear()
    return written


def handshake_refusal(original: Delivery) -> str | None:
    """Why a handshake is not resent (plainly or edited); None for any other delivery."""
    if not original.is_validation:
        return None
    return (
        f"Delivery {original.id} is a validation handshake; run "
        f"`registrations validate {original.registration_id}` instead."
    )


def _why_not(original: Delivery, reg: Registration | None) -> str | None:
    if original.is_validation:
        return handshake_refusal(original)
    if original.registration_id is not None and reg is None:
        return f"Delivery {original.id} belonged to a registration that was deleted."
    if reg is not None and reg.status != RegistrationStatus.ENABLED:
        return f"Registration {reg.id} is {reg.status}; enable it to resend its deliveries."
    return None


def _copy(original: Delivery, reg: Registration | None, job: ResendJob | None = None) -> Delivery:
    now = utcnow()
    return Delivery(
        registration_id=original.registration_id,
        target_url=reg.url if reg is not None else original.target_url,
        event_code=original.event_code,
        event_version=original.event_version,
        payload=original.payload,
        extra_headers=original.extra_headers,
        study_id=original.study_id,
        subject_id=original.subject_id,
        status=DeliveryStatus.PENDING,
        resent_from_id=original.id,
        resend_job_id=job.id if job is not None else None,
        created_at=now,
        next_attempt_at=now,
    )

"""Demo data: a handful of realistic registrations and a synthetic delivery history.

The history is generated in bulk (Core executemany in large batches, ids assigned here) so a
million deliveries with their attempts load in seconds, not minutes.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webhook_desk.db.database import SQLITE_CACHE_KB
from webhook_desk.db.models import Attempt, Delivery, Registration, utcnow
from webhook_desk.history import payload_text
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.settings import receiver_default_url
from webhook_desk.vocabulary import AuthType, DeliveryStatus

BATCH = 20_000
BULK_INDEX_THRESHOLD = 50_000
BULK_CACHE_KB = 512 * 1024
HISTORY_DAYS = 30
ORGANIZATION = "7152ff07-72b4-4934-b96c-9283003188a1"

DEMO_REGISTRATIONS = [
    RegistrationInput(
        url=receiver_default_url() + "hooks/study-1064",
        name="Built-in receiver (local)",
        study_id="1064",
        auth_type=AuthType.HMAC,
        is_development=True,
        events=[
            "upload",
            "raw_processing_complete",
            "data_retrieval_complete",
            "daily_statistics_complete",
        ],
    ),
    RegistrationInput(
        url="https://hooks.sleeplab.example.org/centrepoint",
        name="Sleep lab data hub",
        study_id="189",
        auth_type=AuthType.HMAC,
        events=["upload", "raw_processing_complete", "daily_statistics_complete"],
    ),
    RegistrationInput(
        url="https://ingest.cardio-trial.example.com/webhooks",
        name="Cardio trial ingest",
        study_id="8",
        auth_type=AuthType.BASIC,
        username="centrepoint",
        events=["upload", "cp2_daily_statistics_complete", "data_retrieval_complete"],
    ),
    RegistrationInput(
        url="https://warehouse.example.net/hooks/actigraph",
        name="Research warehouse",
        study_id="2358",
        auth_type=AuthType.STANDARD_WEBHOOKS,
        events=["upload", "raw_processing_complete"],
    ),
    RegistrationInput(
        url="https://ecg.example-health.org/api/webhooks",
        name="ECG monitoring",
        organization_id=ORGANIZATION,
        auth_type=AuthType.STANDARD_WEBHOOKS,
    ),
]

# (response code or None for a network error, error text, weight)
OUTCOMES = [
    (200, None, 820),
    (204, None, 40),
    (500, "Internal Server Error", 40),
    (502, "Bad Gateway", 15),
    (503, "Service Unavailable", 20),
    (404, "Not Found", 20),
    (401, "Unauthorized", 10),
    (410, "Gone", 5),
    (None, "Connection timed out after 15 s", 20),
    (None, "Failed to resolve domain", 10),
]
RETRY_WAITS = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)]


@dataclass
class DemoResult:
    registrations: int
    deliveries: int
    attempts: int
    warning: str | None = None


def load_demo(
    session: Session,
    store: SecretStore,
    deliveries: int = 1000,
    progress: Callable[[int, int], None] | None = None,
    seed: int | None = None,
) -> DemoResult:
    """Add the demo registrations and `deliveries` synthetic history records."""
    rng = random.Random(seed)
    warning = store.unusable_reason()
    regs, added = [], 0
    for data in DEMO_REGISTRATIONS:
        # Run again on a database with data, the demo adds history, not a second set of
        # registrations under the same names.
        reg = _existing_demo_registration(session, data)
        if reg is None:
            reg = _add_registration(session, store, data, rng, warning is None)
            added += 1
        regs.append(reg)
    session.flush()
    targets = [(r.id, r.url, r.study_id, r.event_codes) for r in regs]
    samples = _sample_bodies(session)
    first_id = _next_id(session, Delivery)
    rows = history_rows(
        rng, targets, samples, deliveries, utcnow(), first_id, _next_id(session, Attempt)
    )
    attempts = insert_history(session, rows, deliveries, first_id, progress)
    for reg in regs:
        _note_last_delivery(session, reg)
    if warning:
        warning = "Demo registrations were added without authentication. " + warning
    return DemoResult(added, deliveries, attempts, warning)


def _existing_demo_registration(session: Session, data: RegistrationInput):
    same = select(Registration).where(Registration.name == data.name, Registration.url == data.url)
    return session.scalars(same.order_by(Registration.id).limit(1)).first()


def _add_registration(session, store, data: RegistrationInput, rng, with_secrets: bool):
    if not with_secrets:
        data = RegistrationInput(**{**data.__dict__, "auth_type": AuthType.NONE, "username": None})
    secret = f"demo-{rng.getrandbits(64):016x}" if data.auth_type == AuthType.BASIC else None
    reg, _ = registrations.add(session, store, data, secret=secret, reason="demo data")
    if reg.study_id == "2358":
        registrations.set_status(session, reg.id, "disable", "demo: receiver retired")
    return reg


def _note_last_delivery(session: Session, reg) -> None:
    """Show the newest generated delivery on the registration, as the engine would have."""
    newest = session.execute(
        select(Delivery.last_sent_at, Delivery.status)
        .where(Delivery.registration_id == reg.id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(1)
    ).first()
    if newest:
        reg.last_delivery_at, reg.last_delivery_status = newest


def _next_id(session: Session, model) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _sample_bodies(session: Session) -> dict[str, list[dict]]:
    return {
        e.code: [s.payload for s in e.samples] for e in catalog.list_events(session) if e.samples
    }


def _with_subject(payload: dict, study: str | None, subject: int) -> dict:
    """A sample payload re-keyed to a demo study and subject, whichever spelling it uses."""
    body = dict(payload)
    for key in ("studyId", "study_id"):
        if key in body and study:
            body[key] = study if isinstance(body[key], str) else int(study)
    for key in ("subjectId", "subject_id"):
        if key in body:
            body[key] = str(subject) if isinstance(body[key], str) else subject
    return body


DELIVERY_COLUMNS = (
    "id",
    "uuid",
    "registration_id",
    "target_url",
    "event_code",
    "event_version",
    "payload",
    "study_id",
    "subject_id",
    "status",
    "response_code",
    "attempt_count",
    "error",
    "duration_ms",
    "is_validation",
    "source",
    "created_at",
    "last_sent_at",
)
ATTEMPT_COLUMNS = (
    "id",
    "delivery_id",
    "number",
    "retried_attempt_id",
    "started_at",
    "url",
    "request_headers",
    "request_body",
    "response_code",
    "response_headers",
    "response_body",
    "duration_ms",
    "error",
)
_RESPONSE_HEADERS = json.dumps({"Content-Type": "application/json", "Server": "nginx"})


_UUID_SLOT = "{delivery-uuid}"


def _stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a naive UTC time on SQLite (PostgreSQL reads it too); isoformat
    is several times faster than strftime, which matters a million times over."""
    return moment.isoformat(" ", "microseconds")


def history_rows(
    rng: random.Random,
    targets: list[tuple[int, str, str | None, list[str]]],
    samples: dict[str, list[dict]],
    count: int,
    now: datetime,
    first_delivery_id: int,
    first_attempt_id: int,
) -> Iterator[tuple[tuple, list[tuple]]]:
    """Synthetic deliveries with their attempts, spread over the last 30 days, as rows in
    DELIVERY_COLUMNS / ATTEMPT_COLUMNS order with values every driver takes as they are."""
    codes, errors, weights = zip(*OUTCOMES, strict=True)
    outcome_ids = rng.choices(range(len(OUTCOMES)), weights=weights, k=count)
    span = HISTORY_DAYS * 86400
    now = now.replace(tzinfo=None)
    attempt_id = first_attempt_id
    bodies = _body_pool(rng, targets, samples)
    # Oldest first, so ids rise with time as in a real history, and every index of the
    # form (column, created_at, id) grows at its end: cheap to keep up while loading.
    ages = sorted((rng.random() * span for _ in range(count)), reverse=True)
    header_templates = {
        (reg_id, event): json.dumps(_request_headers(reg_id, event, _UUID_SLOT))
        for reg_id, _, _, events in targets
        for event in events
    }
    for i in range(count):
        reg_id, url, study, subject, event, body = bodies[rng.randrange(len(bodies))]
        created = now - timedelta(seconds=ages[i])
        code, error = codes[outcome_ids[i]], errors[outcome_ids[i]]
        tries = 1 if code is not None and code < 300 else rng.randint(1, 4)
        if tries > 1 and rng.random() < 0.4:  # some failures recovered on a later try
            code, error = 200, None
        delivery_id = first_delivery_id + i
        delivery_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        headers = header_templates[reg_id, event].replace(_UUID_SLOT, delivery_uuid)
        attempts, sent = [], created
        for number in range(1, tries + 1):
            last = number == tries
            a_code = code if last else rng.choice((500, 503, None))
            a_error = error if last else ("Service Unavailable" if a_code else "Read timed out")
            ok = a_code is not None and a_code < 300
            duration = int(rng.lognormvariate(4.5, 0.6)) if a_code else 15000
            attempts.append(
                (
                    attempt_id,
                    delivery_id,
                    number,
                    attempt_id - 1 if number > 1 else None,
                    _stamp(sent),
                    url,
                    headers,
                    None,
                    a_code,
                    _RESPONSE_HEADERS if a_code else None,
                    "" if ok else (a_error or ""),
                    duration,
                    None if ok else a_error,
                )
            )
            attempt_id += 1
            if not last:
                sent = sent + RETRY_WAITS[min(number - 1, len(RETRY_WAITS) - 1)]
        ok = code is not None and code < 300
        yield (
            (
                delivery_id,
                delivery_uuid,
                reg_id,
                url,
                event,
                "v1",
                body,
                study,
                subject,
                DeliveryStatus.SUCCEEDED if ok else DeliveryStatus.FAILED,
                code,
                tries,
                None if ok else error,
                duration,
                False,
                "demo",
                _stamp(created),
                _stamp(sent),
            ),
            attempts,
        )


def _subject_of(payload: dict) -> str | None:
    for key in ("subjectId", "subject_id"):
        if payload.get(key) is not None:
            return str(payload[key])
    return None


def _request_headers(reg_id: int, event: str, delivery_uuid: str) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "ActiGraph-Hookshot/1.0",
        "X-ActiGraph-Webhook-Id": str(reg_id),
        "X-ActiGraph-Event": event,
        "X-ActiGraph-Delivery": delivery_uuid,
        "X-Client-Cert-Used": "false",
    }


def _body_pool(rng, targets, samples) -> list[tuple]:
    """A few thousand distinct bodies to draw from: varied, but cheap per row."""
    pool = []
    for reg_id, url, study, events in targets:
        for event in events:
            for payload in samples.get(event, []):
                for _ in range(300):
                    body = _with_subject(payload, study, rng.randint(10_000, 99_999))
                    pool.append((reg_id, url, study, _subject_of(body), event, json.dumps(body)))
    return pool


def insert_history(
    session: Session,
    rows: Iterator[tuple[tuple, list[tuple]]],
    total: int,
    first_id: int,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write generated deliveries and attempts in large executemany batches."""
    connection = session.connection()
    if total < BULK_INDEX_THRESHOLD:
        return _insert_batches(connection, rows, total, progress)
    with _indexes_deferred(connection), payload_text.bulk_load(connection, first_id):
        return _insert_batches(connection, rows, total, progress)


@contextmanager
def _indexes_deferred(connection):
    """Build the history indexes once after a bulk load instead of row by row: far faster."""
    indexes = [ix for table in (Delivery.__table__, Attempt.__table__) for ix in table.indexes]
    for index in indexes:
        index.drop(connection)
    yield
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # index builds sort in the page cache: give them room, then hand it back
        connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KB}")
    for index in indexes:
        index.create(connection)
    if sqlite:
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")


def _insert_batches(connection, rows, total, progress) -> int:
    deliveries, attempts, done, attempt_total = [], [], 0, 0
    for delivery, its_attempts in rows:
        deliveries.append(delivery)
        attempts.extend(its_attempts)
        if len(deliveries) >= BATCH:
            attempt_total += _flush(connection, deliveries, attempts)
            done += len(deliveries)
            deliveries, attempts = [], []
            if progress:
                progress(done, total)
    if deliveries:
        attempt_total += _flush(connection, deliveries, attempts)
        done += len(deliveries)
    if progress:
        progress(done, total)
    return attempt_total


def _flush(connection, deliveries: list[tuple], attempts: list[tuple]) -> int:
    # Straight to the driver's executemany: the rows are already in storage form.
    connection.exec_driver_sql(_insert_sql(connection, "delivery", DELIVERY_COLUMNS), deliveries)
    connection.exec_driver_sql(_insert_sql(connection, "attempt", ATTEMPT_COLUMNS), attempts)
    return len(attempts)


def _insert_sql(connection, table: str, columns: tuple[str, ...]) -> str:
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"

"""Demo data: a handful of realistic registrations and a synthetic delivery history.

The history is generated in bulk (Core executemany in large batches, ids assigned here) so a
million deliveries with their attempts load in seconds, not minutes.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from webhook_desk import catalog, registrations
from webhook_desk.db.models import Attempt, Delivery, utcnow
from webhook_desk.registrations import RegistrationInput
from webhook_desk.secrets import SecretStore
from webhook_desk.settings import receiver_default_url

BATCH = 20_000
HISTORY_DAYS = 30
ORGANIZATION = "7152ff07-72b4-4934-b96c-9283003188a1"

DEMO_REGISTRATIONS = [
    RegistrationInput(
        url=receiver_default_url() + "hooks/study-1064",
        name="Built-in receiver (local)",
        study_id="1064",
        auth_type="hmac",
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
        auth_type="hmac",
        events=["upload", "raw_processing_complete", "daily_statistics_complete"],
    ),
    RegistrationInput(
        url="https://ingest.cardio-trial.example.com/webhooks",
        name="Cardio trial ingest",
        study_id="8",
        auth_type="basic",
        username="centrepoint",
        events=["upload", "cp2_daily_statistics_complete", "data_retrieval_complete"],
    ),
    RegistrationInput(
        url="https://warehouse.example.net/hooks/actigraph",
        name="Research warehouse",
        study_id="2358",
        auth_type="standard-webhooks",
        events=["upload", "raw_processing_complete"],
    ),
    RegistrationInput(
        url="https://ecg.example-health.org/api/webhooks",
        name="ECG monitoring",
        organization_id=ORGANIZATION,
        auth_type="standard-webhooks",
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
    regs = [
        _add_registration(session, store, data, rng, warning is None) for data in DEMO_REGISTRATIONS
    ]
    session.flush()
    targets = [(r.id, r.url, r.study_id, r.event_codes) for r in regs]
    samples = _sample_bodies(session)
    rows = history_rows(
        rng,
        targets,
        samples,
        deliveries,
        utcnow(),
        _next_id(session, Delivery),
        _next_id(session, Attempt),
    )
    attempts = insert_history(session, rows, deliveries, progress)
    if warning:
        warning = "Demo registrations were added without authentication. " + warning
    return DemoResult(len(regs), deliveries, attempts, warning)


def _add_registration(session, store, data: RegistrationInput, rng, with_secrets: bool):
    if not with_secrets:
        data = RegistrationInput(**{**data.__dict__, "auth_type": "none", "username": None})
    secret = f"demo-{rng.getrandbits(64):016x}" if data.auth_type == "basic" else None
    reg, _ = registrations.add(session, store, data, secret=secret, reason="demo data")
    if reg.study_id == "2358":
        registrations.set_status(session, reg.id, "disable", "demo: receiver retired")
    return reg


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


def history_rows(
    rng: random.Random,
    targets: list[tuple[int, str, str | None, list[str]]],
    samples: dict[str, list[dict]],
    count: int,
    now: datetime,
    first_delivery_id: int,
    first_attempt_id: int,
) -> Iterator[tuple[dict, list[dict]]]:
    """Synthetic deliveries with their attempts, spread over the last 30 days."""
    codes, errors, weights = zip(*OUTCOMES, strict=True)
    outcome_ids = rng.choices(range(len(OUTCOMES)), weights=weights, k=count)
    span = HISTORY_DAYS * 86400
    now = now.replace(tzinfo=None)
    attempt_id = first_attempt_id
    bodies = _body_pool(rng, targets, samples)
    for i in range(count):
        reg_id, url, study, event, body = bodies[rng.randrange(len(bodies))]
        created = now - timedelta(seconds=rng.random() * span)
        code, error = codes[outcome_ids[i]], errors[outcome_ids[i]]
        tries = 1 if code is not None and code < 300 else rng.randint(1, 4)
        # Some failures recovered on a later try.
        if tries > 1 and rng.random() < 0.4:
            code, error = 200, None
        delivery_id = first_delivery_id + i
        delivery_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        headers = _request_headers(reg_id, event, delivery_uuid)
        attempts, sent = [], created
        for number in range(1, tries + 1):
            last = number == tries
            a_code = code if last else rng.choice((500, 503, None))
            duration = int(rng.lognormvariate(4.5, 0.6)) if a_code else 15000
            attempts.append(
                {
                    "id": attempt_id,
                    "delivery_id": delivery_id,
                    "number": number,
                    "retried_attempt_id": attempt_id - 1 if number > 1 else None,
                    "started_at": sent,
                    "url": url,
                    "request_headers": headers,
                    "request_body": body,
                    "response_code": a_code,
                    "response_headers": _RESPONSE_HEADERS if a_code else None,
                    "response_body": ""
                    if a_code and a_code < 300
                    else (error if last else "error"),
                    "duration_ms": duration,
                    "error": None
                    if a_code and a_code < 400
                    else (error if last else "Service Unavailable"),
                }
            )
            attempt_id += 1
            if not last:
                sent = sent + RETRY_WAITS[min(number - 1, len(RETRY_WAITS) - 1)]
        ok = code is not None and code < 300
        yield (
            {
                "id": delivery_id,
                "uuid": delivery_uuid,
                "registration_id": reg_id,
                "target_url": url,
                "event_code": event,
                "event_version": "v1",
                "payload": body,
                "study_id": study,
                "subject_id": _subject_of(body),
                "status": "succeeded" if ok else "failed",
                "response_code": code,
                "attempt_count": tries,
                "error": None if ok else error,
                "duration_ms": attempts[-1]["duration_ms"],
                "is_validation": False,
                "source": "demo",
                "created_at": created,
                "last_sent_at": sent,
            },
            attempts,
        )


_RESPONSE_HEADERS = {"Content-Type": "application/json", "Server": "nginx"}
_SUBJECT_KEYS = ('"subjectId": "', '"subject_id": ', '"subjectId": ')


def _subject_of(body: str) -> str | None:
    for key in _SUBJECT_KEYS:
        start = body.find(key)
        if start >= 0:
            start += len(key)
            end = start
            while end < len(body) and body[end].isdigit():
                end += 1
            return body[start:end] or None
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


def _body_pool(rng, targets, samples) -> list[tuple[int, str, str | None, str, str]]:
    """A few thousand distinct bodies to draw from: varied, but cheap per row."""
    pool = []
    for reg_id, url, study, events in targets:
        for event in events:
            for payload in samples.get(event, []):
                for _ in range(300):
                    subject = rng.randint(10_000, 99_999)
                    body = json.dumps(_with_subject(payload, study, subject))
                    pool.append((reg_id, url, study, event, body))
    return pool


def insert_history(
    session: Session,
    rows: Iterator[tuple[dict, list[dict]]],
    total: int,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write generated deliveries and attempts in large executemany batches."""
    connection = session.connection()
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


def _flush(connection, deliveries: list[dict], attempts: list[dict]) -> int:
    connection.execute(insert(Delivery), deliveries)
    connection.execute(insert(Attempt), attempts)
    return len(attempts)

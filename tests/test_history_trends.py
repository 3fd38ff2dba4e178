"""The numbers behind the History charts, for a filter, on SQLite and PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

from webhook_desk.db.models import Delivery, Registration
from webhook_desk.history.queries import Filters
from webhook_desk.history.trends import trends

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def add(db, specs) -> None:
    """specs: (hours after START, registration id or None, status, duration ms)."""
    with db.session() as session:
        session.add_all(
            [
                Registration(id=1, name="Sleep lab", url="https://a.example.org"),
                Registration(id=2, name="Cardio", url="https://b.example.org"),
            ]
        )
        session.flush()
        for hours, reg, status, duration in specs:
            session.add(
                Delivery(
                    uuid=str(uuid.uuid4()),
                    registration_id=reg,
                    target_url="https://a.example.org",
                    event_code="upload",
                    payload="{}",
                    status=status,
                    duration_ms=duration,
                    created_at=START + timedelta(hours=hours, minutes=5),
                )
            )


def test_outcomes_latency_and_failing_registrations_follow_the_filter(any_db):
    add(
        any_db,
        [(0, 1, "succeeded", d) for d in range(10, 110, 10)]  # with the 900 below: p50 60, p95 900
        + [(0, 2, "failed", 900), (1, 2, "failed", 15000), (1, 1, "failed", 300)]
        + [(2, None, "pending", None)],
    )
    with any_db.session() as session:
        found = trends(session, Filters())
    assert found.bucket == timedelta(hours=1)
    assert [(o.start.hour, o.succeeded, o.failed, o.pending) for o in found.outcomes] == [
        (9, 10, 1, 0),
        (10, 0, 2, 0),
        (11, 0, 0, 1),
    ]
    assert [(p.start.hour, p.p50, p.p95) for p in found.latency] == [(9, 60, 900), (10, 300, 15000)]
    assert [(f.name, f.failed, f.total) for f in found.failing] == [
        ("Cardio", 2, 2),
        ("Sleep lab", 1, 11),
    ]
    with any_db.session() as session:
        only_cardio = trends(session, Filters(registration_id=2))
    assert [(f.name, f.failed) for f in only_cardio.failing] == [("Cardio", 2)]
    assert sum(o.succeeded for o in only_cardio.outcomes) == 0


def test_no_matching_deliveries_give_empty_charts(sqlite_db):
    with sqlite_db.session() as session:
        found = trends(session, Filters(study="nobody"))
    assert (found.outcomes, found.latency, found.failing) == ([], [], [])

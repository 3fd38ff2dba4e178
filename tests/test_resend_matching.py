"""Resend all matching: a running count, and a Cancel that keeps whole batches only."""

import signal
import subprocess
import sys

from sqlalchemy import func, select

from webhook_desk.db.models import Delivery
from webhook_desk.history.queries import Filters
from webhook_desk.services import firing, resend
from webhook_desk.services.catalog import sync_catalog

UNUSED_URL = "http://127.0.0.1:9/hook"


def fire_adhoc(db, count: int) -> None:
    with db.session() as session:
        sync_catalog(session)
        firing.fire(session, "upload", url=UNUSED_URL, count=count)


def resent_in_database(db) -> int:
    with db.session() as session:
        query = select(func.count()).where(Delivery.resent_from_id.is_not(None))
        return session.scalar(query)


def resend_uploads(db, monkeypatch, progress_every: int, cancel_at: int | None = None):
    """Resend every upload in batches of 10: the result and the progress reports seen."""
    monkeypatch.setattr(resend, "CHUNK", 10)
    monkeypatch.setattr(resend, "PROGRESS_EVERY", progress_every)
    seen: list[tuple[int, int]] = []
    with db.session() as session:
        result = resend.resend_matching(
            session,
            Filters(event="upload"),
            progress=lambda *counts: seen.append(counts),
            cancelled=lambda: cancel_at is not None and bool(seen) and seen[-1][0] >= cancel_at,
        )
    return result, seen


def test_cancelled_resend_keeps_the_batches_it_reported(any_db, monkeypatch):
    fire_adhoc(any_db, 35)
    result, seen = resend_uploads(any_db, monkeypatch, progress_every=1, cancel_at=25)
    assert result.cancelled
    assert (result.matched, result.queued, result.skipped) == (25, 20, 0)
    assert resent_in_database(any_db) == 20
    assert seen[-1] == (25, 20)


def test_resend_reports_progress_and_queues_every_match(sqlite_db, monkeypatch):
    fire_adhoc(sqlite_db, 23)
    result, seen = resend_uploads(sqlite_db, monkeypatch, progress_every=10)
    assert not result.cancelled
    assert (result.matched, result.queued) == (23, 23)
    assert seen == [(10, 10), (20, 20), (23, 23)]
    assert resent_in_database(sqlite_db) == 23


def test_dry_run_counts_without_queuing(sqlite_db):
    fire_adhoc(sqlite_db, 5)
    with sqlite_db.session() as session:
        result = resend.resend_matching(session, Filters(event="upload"), dry_run=True)
    assert (result.matched, result.queued, result.skipped) == (5, 0, 0)
    assert resent_in_database(sqlite_db) == 0


KILLED_MIDWAY = """
import os, signal, sys
from webhook_desk.history.queries import Filters
from webhook_desk.services import resend
from webhook_desk.services.startup import open_database

resend.CHUNK, resend.PROGRESS_EVERY = 10, 1
db = open_database(sys.argv[1])

def progress(matched, queued):
    if queued >= 20:
        os.kill(os.getpid(), signal.SIGKILL)  # two batches written, the third being gathered

with db.session() as session:
    resend.resend_matching(session, Filters(event="upload"), progress=progress)
"""


def test_a_bulk_resend_killed_midway_is_resumed_without_queuing_twice(sqlite_db, cli):
    fire_adhoc(sqlite_db, 35)
    killed = subprocess.run([sys.executable, "-c", KILLED_MIDWAY, sqlite_db.url], timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert resent_in_database(sqlite_db) == 20

    rerun = cli("resend", "--all-matching", "--event", "upload", db=sqlite_db)

    assert rerun.out.strip() == (
        "15 deliveries queued again; 20 already queued by an interrupted run of it."
    )
    with sqlite_db.session() as session:
        copies = session.execute(
            select(Delivery.resent_from_id, func.count())
            .where(Delivery.resent_from_id.is_not(None))
            .group_by(Delivery.resent_from_id)
        ).all()
    assert len(copies) == 35 and {n for _, n in copies} == {1}
    again = cli("resend", "--all-matching", "--event", "upload", "--dry-run", db=sqlite_db)
    assert again.out.strip() == "70 deliveries would be resent."  # finished: a new job

"""At least once, for real: `webhook-desk deliver` processes killed with SIGKILL, and two of
them sharing one PostgreSQL database, against a real HTTP receiver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from recording_server import RecordingServer, Reply
from sqlalchemy import func, select

from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.services import catalog, firing
from webhook_desk.services.delivery_engine import new_engine

COUNT = 2000
# SIGUSR1 makes a stuck process print every thread's stack, so a hang explains itself.
CLI = (
    "import faulthandler, signal, sys; faulthandler.register(signal.SIGUSR1); "
    "from webhook_desk.cli import main; sys.exit(main())"
)


def deliver_process(db_url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, "--db", db_url, "deliver", "--workers", "4", "--quiet", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float) -> tuple[str, str]:
    """Wait for the process; if it hangs, fail with the stacks of all its threads."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)
        time.sleep(1)
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"deliver did not finish in {timeout} s; its threads:\n{err[-6000:]}")


def fire_many(db, url: str, count: int = COUNT) -> set[str]:
    with db.session() as session:
        catalog.sync_catalog(session)
        return {d.uuid for d in firing.fire(session, "upload", url=url, count=count)}


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def attempts_are_whole(db) -> None:
    """Every attempt row belongs to a delivery that counts it, and says how it ended."""
    with db.session() as session:
        attempts = session.scalar(select(func.count()).select_from(Attempt))
        counted = session.scalar(select(func.coalesce(func.sum(Delivery.attempt_count), 0)))
        assert attempts == counted
        unfinished = session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.response_code.is_(None), Attempt.error.is_(None))
        )
        assert unfinished == 0
        over = session.scalar(
            select(func.count())
            .select_from(Attempt)
            .join(Delivery, Delivery.id == Attempt.delivery_id)
            .where(Attempt.number > Delivery.attempt_count)
        )
        assert over == 0


def test_a_killed_deliver_process_loses_nothing_when_started_again(sqlite_db):
    with RecordingServer() as receiver:
        fired = fire_many(sqlite_db, receiver.url())
        first = deliver_process(sqlite_db.url)
        wait_until(lambda: len(receiver.requests()) >= COUNT // 3, 120, "the first third")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        at_kill = len(receiver.requests())
        assert first.returncode == -signal.SIGKILL
        assert at_kill < COUNT, "the engine finished before it could be killed"
        attempts_are_whole(sqlite_db)

        again = deliver_process(sqlite_db.url, "--until-idle")
        out, err = finish(again, 180)
        assert again.returncode == 0, err
        arrived = Counter(r.header("X-ActiGraph-Delivery") for r in receiver.requests())

    assert set(arrived) == fired  # every delivery reached the receiver at least once
    duplicates = sum(n - 1 for n in arrived.values())
    # Only what the dead process had claimed and not yet recorded can arrive twice.
    assert duplicates <= new_engine(sqlite_db, workers=4).max_outstanding
    with sqlite_db.session() as session:
        statuses = Counter(session.scalars(select(Delivery.status)))
        leased = session.scalar(select(func.count()).where(Delivery.lease_owner.is_not(None)))
    assert statuses == {"succeeded": COUNT}
    assert leased == 0
    attempts_are_whole(sqlite_db)


@pytest.mark.postgres
def test_two_deliver_processes_on_one_postgres_database_never_send_a_delivery_twice(pg_db):
    # A little latency per request keeps both processes busy for the whole run.
    def slow_ok(_request):
        time.sleep(0.002)
        return Reply()

    with RecordingServer(slow_ok) as receiver:
        fired = fire_many(pg_db, receiver.url())
        processes = [deliver_process(pg_db.url, "--until-idle") for _ in range(2)]
        outputs = [finish(p, 240) for p in processes]
        arrived = Counter(r.header("X-ActiGraph-Delivery") for r in receiver.requests())

    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    assert set(arrived) == fired
    assert max(arrived.values()) == 1, "a delivery was sent by both processes"
    sent = [int(out.split("Sent ")[1].split(":")[0]) for out, _ in outputs]
    assert sum(sent) == COUNT
    assert all(n > 0 for n in sent), f"one process did all the work: {sent}"
    attempts_are_whole(pg_db)


def test_stopping_deliver_with_sigterm_finishes_cleanly_and_leaves_no_leases(sqlite_db):
    with RecordingServer() as receiver:
        fire_many(sqlite_db, receiver.url(), count=COUNT)
        process = deliver_process(sqlite_db.url)
        wait_until(lambda: len(receiver.requests()) >= 100, 60, "the first hundred")
        process.send_signal(signal.SIGTERM)
        out, err = finish(process, 60)
        arrived = len(receiver.requests())

    assert process.returncode == 0, err
    sent = int(out.split("Sent ")[1].split(":")[0])
    with sqlite_db.session() as session:
        leased = session.scalar(select(func.count()).where(Delivery.lease_owner.is_not(None)))
        done = session.scalar(select(func.count()).where(Delivery.status == "succeeded"))
    assert leased == 0
    assert done == sent == arrived  # everything that went out was recorded, nothing more
    assert sent < COUNT, "it finished before it was stopped"
    attempts_are_whole(sqlite_db)

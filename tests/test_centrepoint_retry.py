"""The platform's own retry policy as the named schedule `centrepoint`: two immediate retries,
then 24 hours later, then once more 24 hours after that, then only a manual resend. Run end to
end against the built-in receiver in fail mode, with the engine's clock moved on by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from receiver_client import captured, receivers
from sqlalchemy import select

from webhook_desk.db.models import Delivery
from webhook_desk.engine import attempt, claim, retry, streaks, validation, worker
from webhook_desk.engine.sender import Timeouts
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.services.delivery_engine import new_engine
from webhook_desk.services.registrations import RegistrationInput

DAY = timedelta(hours=24)


class Clock:
    """The engine's idea of now: real time plus however far the test has moved it on."""

    def __init__(self):
        self.ahead = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.ahead


@pytest.fixture
def clock(monkeypatch):
    moved = Clock()
    for module in (worker, claim, attempt, streaks, validation):
        monkeypatch.setattr(module, "utcnow", moved.now)
    return moved


@pytest.fixture
def receive(sqlite_db):
    yield from receivers(sqlite_db)


def test_the_centrepoint_schedule_is_two_immediate_retries_then_a_day_then_a_day():
    assert retry.parse_schedule("centrepoint") == [timedelta(0), timedelta(0), DAY, DAY]
    assert retry.parse_schedule(" CentrePoint ") == retry.parse_schedule("centrepoint")


def _delivery(db) -> Delivery:
    with db.session() as session:
        return session.scalars(select(Delivery).where(~Delivery.is_validation)).one()


def test_centrepoint_schedule_end_to_end_against_a_failing_receiver(
    sqlite_db, memory_keyring, receive, clock, cli
):
    receiver = receive(mode="fail", status=503)
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
        data = RegistrationInput(
            url=receiver.url + "hooks",
            is_development=True,
            auth_type="none",
            retry_schedule="centrepoint",
        )
        reg_id = registrations.add(session, SecretStore(), data)[0].id
        firing.fire(session, "upload", to_registration=reg_id)
    engine = new_engine(sqlite_db, SecretStore(), timeouts=Timeouts(1.0, 2.0))

    def send_what_is_due() -> Delivery:
        engine.run_until_idle()
        return _delivery(sqlite_db)

    for _ in range(3):  # the first try and the two immediate retries
        delivery = send_what_is_due()
    assert delivery.attempt_count == 3 and delivery.status == "pending"
    for wait in (DAY, DAY):
        due = delivery.next_attempt_at.replace(tzinfo=UTC) - clock.now()
        assert wait * (1 - retry.JITTER) - timedelta(seconds=5) <= due <= wait * (1 + retry.JITTER)
        assert send_what_is_due().attempt_count == delivery.attempt_count  # not due yet
        history = cli("history", "--json", db=sqlite_db).json()
        shown = [r["next_attempt_at"] for r in history if r["event"] == "upload"]
        assert [datetime.fromisoformat(t) for t in shown] == [
            delivery.next_attempt_at.replace(tzinfo=UTC)
        ]
        clock.ahead += due
        delivery = send_what_is_due()

    assert (delivery.attempt_count, delivery.status) == (5, "failed")
    assert delivery.next_attempt_at is None  # after that, only a manual resend
    clock.ahead += 3 * DAY
    assert send_what_is_due().attempt_count == 5
    events = [r for r in captured(receiver) if r["headers"].get("X-ActiGraph-Event") == "upload"]
    assert [r["status_code"] for r in events] == [503] * 5

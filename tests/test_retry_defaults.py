"""The engine's default retry schedule (Settings → Retry schedule): used by registrations
without one of their own and by ad-hoc deliveries; a registration's own schedule wins."""

import pytest
from recording_server import RecordingServer, Reply
from sqlalchemy import select

from webhook_desk.db.models import Delivery
from webhook_desk.engine.sender import Timeouts
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.services.delivery_engine import new_engine
from webhook_desk.services.registrations import RegistrationInput


@pytest.fixture
def db(sqlite_db, memory_keyring):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
    return sqlite_db


def register(db, url, retry_schedule=None) -> int:
    data = RegistrationInput(
        url=url, is_development=True, auth_type="none", retry_schedule=retry_schedule
    )
    with db.session() as session:
        return registrations.add(session, SecretStore(), data)[0].id


def deliver_until_settled(db, default_schedule, **target) -> list[Delivery]:
    """Fire one delivery and run the engine until it succeeded or gave up."""
    with db.session() as session:
        firing.fire(session, "upload", **target)
    engine = new_engine(
        db, SecretStore(), timeouts=Timeouts(1.0, 2.0), default_schedule=default_schedule
    )
    for _ in range(20):  # each run sends what is due; a 0s retry is due at once
        engine.run_until_idle()
        with db.session() as session:
            found = list(session.scalars(select(Delivery).where(~Delivery.is_validation)))
        if all(d.status != "pending" for d in found):
            return found
    raise AssertionError("the delivery was still pending")


def test_registration_without_a_schedule_retries_on_the_engine_default(db):
    with RecordingServer(lambda r: Reply(500)) as failing:
        reg_id = register(db, failing.url())
        [delivery] = deliver_until_settled(db, "0s,0s", to_registration=reg_id)
        assert len(failing.requests()) == 3
    assert delivery.status == "failed"


def test_a_registrations_own_schedule_wins_over_the_engine_default(db):
    with RecordingServer(lambda r: Reply(500)) as failing:
        reg_id = register(db, failing.url(), retry_schedule="0s")
        deliver_until_settled(db, "0s,0s,0s", to_registration=reg_id)
        assert len(failing.requests()) == 2


def test_an_adhoc_delivery_retries_on_the_engine_default(db):
    with RecordingServer(lambda r: Reply(503)) as failing:
        deliver_until_settled(db, "0s,0s,0s", url=failing.url())
        assert len(failing.requests()) == 4


def test_without_a_default_the_engine_keeps_the_platform_schedule(db):
    engine = new_engine(db, SecretStore())
    assert [int(step.total_seconds()) for step in engine.default_schedule] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
    ]


def test_a_mistyped_default_schedule_is_refused_in_one_sentence(db):
    with pytest.raises(InvalidInput) as refused:
        new_engine(db, SecretStore(), default_schedule="5s,5x")
    assert str(refused.value) == (
        "'5x' is not a retry wait; write a number and s, m, h or d "
        "(e.g. 5s,5m,30m), or name a schedule (centrepoint)."
    )


def test_deliver_takes_the_default_schedule_from_the_command_line(db, cli):
    with RecordingServer(lambda r: Reply(500)) as failing:
        cli("fire", "upload", "--url", failing.url())
        for _ in range(3):  # each run sends what is due: the first try, then the 0s retry
            ran = cli("deliver", "--until-idle", "--quiet", "--retry-schedule", "0s")
            assert ran.code == 0, ran.err
        assert len(failing.requests()) == 2


def test_deliver_refuses_a_mistyped_schedule_in_one_line(db, cli):
    refused = cli("deliver", "--until-idle", "--retry-schedule", "5s,soon")
    assert refused.code == 1
    assert refused.err == (
        "webhook-desk: 'soon' is not a retry wait; write a number and s, m, h or d "
        "(e.g. 5s,5m,30m), or name a schedule (centrepoint).\n"
    )

"""Acting on a hosted subscription's activity from the desk (retry, outcome, fire): each goes
to the ECG module (`webhook-desk serve` in its own process) first, then the desk pulls the
module's activity back; a refusal changes neither side."""

import pytest
from ecg_module import VITALS, mirrored_subscription, served_module
from sqlalchemy import func, select

from webhook_desk.db.models import Attempt, AuditEntry, Delivery
from webhook_desk.errors import UserError
from webhook_desk.platform import api_shapes
from webhook_desk.platform.ecg_activity_writes import EcgActivityWrites, Outcome
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.services import catalog
from webhook_desk.services.firing import HOSTED_ONE_AT_A_TIME

module = pytest.fixture(scope="module")(served_module)
mirrored = pytest.fixture(mirrored_subscription)


def _module_deliveries(module) -> int:
    with module.db.session() as session:
        return session.scalar(select(func.count()).select_from(Delivery))


def _desk_delivery(db) -> dict:
    with db.session() as session:
        delivery = session.scalars(select(Delivery).where(Delivery.source == "ecg")).one()
        return {"uuid": delivery.uuid, "status": delivery.status, "tries": len(delivery.attempts)}


def _sample(db) -> dict:
    with db.session() as session:
        return catalog.sample_payload(catalog.get_event(session, VITALS, "v1"))


@pytest.fixture
def failed(module, catalog_db, mirrored):
    """An activity of the subscription that failed on the module (500), pulled into the desk:
    (organisation, remote id, local registration id, the desk's delivery uuid)."""
    org, remote, reg_id = mirrored
    module.failed_activity(org, remote, _sample(catalog_db))
    sync_ecg(catalog_db, module.client(), org)
    return org, remote, reg_id, _desk_delivery(catalog_db)["uuid"]


def test_a_failed_activity_is_retried_by_the_module(module, catalog_db, failed):
    org, remote, reg_id, uuid = failed
    before = _module_deliveries(module)

    with EcgActivityWrites(catalog_db, module.client()) as writes:
        done = writes.retry(uuid, reason="receiver is back")

    assert _module_deliveries(module) == before + 1  # the module queued the retry
    assert done["activity"]
    with catalog_db.session() as session:
        entry = session.query(AuditEntry).filter_by(action="delivery.retry").one()
        assert entry.reason.startswith("receiver is back") and remote in entry.reason
        assert entry.after["activity"] == done["activity"]


def test_an_outcome_recorded_on_the_desk_is_the_modules_next_activity(
    module, catalog_db, failed, cli
):
    org, remote, reg_id, uuid = failed
    assert _desk_delivery(catalog_db)["status"] == "failed"

    done = cli("outcome", uuid, "--success", "--status-code", "200", "--reason", "checked by phone",
               "--token-stdin", "--json", db=catalog_db, stdin=module.token)  # fmt: skip

    assert done.code == 0, done.err
    assert done.json()["success"] is True and done.json()["records_added"] == 1
    with module.db.session() as session:
        served = session.get(Attempt, api_shapes.attempt_id_of(uuid)).delivery
        assert (served.status, served.response_code) == ("succeeded", 200)
    desk = _desk_delivery(catalog_db)
    assert desk == {"uuid": uuid, "status": "succeeded", "tries": 2}
    with catalog_db.session() as session:
        entry = session.query(AuditEntry).filter_by(action="delivery.outcome").one()
        assert entry.reason.startswith("checked by phone") and remote in entry.reason


def test_an_event_fired_at_a_mirror_is_posted_by_the_module(module, catalog_db, mirrored, cli):
    org, remote, reg_id = mirrored
    before = _module_deliveries(module)

    fired = cli("fire", VITALS, "--to", reg_id, "--reason", "smoke test", "--token-stdin",
                db=catalog_db, stdin=module.token)  # fmt: skip

    assert fired.code == 0, fired.err
    assert f"The ECG module posts {VITALS} to registration {reg_id}" in fired.out
    many = cli("fire", VITALS, "--to", reg_id, "--count", "2", db=catalog_db)
    assert many.code != 0 and many.err.strip() == f"webhook-desk: {HOSTED_ONE_AT_A_TIME}"
    assert _module_deliveries(module) == before + 1
    with module.db.session() as session:
        newest = session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()
        assert newest.event_code == VITALS
    with catalog_db.session() as session:
        assert session.query(Delivery).filter_by(source="local").count() == 0  # nothing queued here
        entry = session.query(AuditEntry).filter_by(action="registration.fire").one()
        assert entry.entity_id == str(reg_id) and entry.after["event"] == VITALS
        assert entry.reason.startswith("smoke test") and remote in entry.reason


def test_a_retry_the_module_refuses_changes_neither_side(module, catalog_db, failed, cli):
    org, remote, reg_id, uuid = failed
    before, desk = _module_deliveries(module), _desk_delivery(catalog_db)

    refused = cli("resend", uuid, "--token-stdin", db=catalog_db, stdin="not-the-token")

    assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1
    assert "refused the API token" in refused.err and "nothing was changed here" in refused.err
    assert _module_deliveries(module) == before and _desk_delivery(catalog_db) == desk
    with catalog_db.session() as session:
        assert session.query(AuditEntry).filter_by(action="delivery.retry").count() == 0


def test_an_outcome_the_module_refuses_changes_neither_side(module, catalog_db, failed):
    org, remote, reg_id, uuid = failed
    desk = _desk_delivery(catalog_db)

    with pytest.raises(UserError) as refused:
        EcgActivityWrites(catalog_db, module.client()).record_outcome(uuid, Outcome(True, 500))

    assert "did not take the change" in str(refused.value)
    assert _desk_delivery(catalog_db) == desk

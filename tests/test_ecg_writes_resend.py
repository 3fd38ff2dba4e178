"""Where a resend goes (services.resend.resend_route), from the CLI: a delivery pulled from the
ECG module (`webhook-desk serve` in its own process) is retried by the module, in a resend of
all matching too; an edited resend of one is refused, as is any resend of a delivery pulled
from CentrePoint (no write routes): one sentence, nothing queued on either side."""

import json

import pytest
from ecg_module import VITALS, mirrored_subscription, served_module
from sqlalchemy import func, select

from webhook_desk.db.models import Delivery
from webhook_desk.history.queries import Filters
from webhook_desk.platform import ecg_activity_writes as writes
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.services import catalog, resend
from webhook_desk.vocabulary import DeliveryStatus

module = pytest.fixture(scope="module")(served_module)
mirrored = pytest.fixture(mirrored_subscription)


def _count(db, **where) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(Delivery).filter_by(**where)
        return session.scalar(query)


def _pulled_failure(module, db, mirrored) -> str:
    """A post that failed (500) on the module, pulled into the desk: its uuid here."""
    org, remote, _reg_id = mirrored
    with db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, VITALS, "v1"))
    module.failed_activity(org, remote, sample)
    sync_ecg(db, module.client(), org)
    with db.session() as session:
        return session.scalars(select(Delivery.uuid).where(Delivery.source == "ecg")).one()


class Interrupted(Exception):
    """The run stopped midway, as a closed window or a killed process stops it."""


def test_a_resend_all_interrupted_midway_has_the_module_retry_each_hosted_delivery_once(
    module, catalog_db, mirrored, cli
):
    org, remote, _reg_id = mirrored
    with catalog_db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, VITALS, "v1"))
    for _ in range(3):
        module.failed_activity(org, remote, sample)
    sync_ecg(catalog_db, module.client(), org)
    before = module.deliveries()

    def interrupt_after_two(tried: int) -> None:
        if tried == 2:
            raise Interrupted

    with catalog_db.session() as session:
        first = resend.resend_matching(session, Filters(status="failed"))
    with pytest.raises(Interrupted):
        writes.retry_each(catalog_db, lambda hosted: writes.EcgActivityWrites(
            catalog_db, module.client()), first, progress=interrupt_after_two)  # fmt: skip
    assert len(first.hosted) == 3 and module.deliveries() == before + 2

    done = cli("resend", "--all-matching", "--status", "failed", "--token-stdin",
               db=catalog_db, stdin=module.token)  # fmt: skip

    assert done.code == 0, done.err
    assert done.out.strip() == (
        "0 deliveries queued again; 1 of 1 retried by the ECG module; 2 already retried by "
        "the ECG module in an interrupted run of it."
    )
    assert module.deliveries() == before + 3  # each retried exactly once
    later = cli("resend", "--all-matching", "--status", "failed", "--dry-run", db=catalog_db)
    assert (
        later.out.strip() == "0 deliveries would be resent; 3 would be retried by the ECG module."
    )


def _failed_here(db, source: str = "local") -> int:
    """A failed delivery of the desk's own (or, with `source`, pulled from elsewhere)."""
    with db.session() as session:
        delivery = Delivery(
            target_url="http://127.0.0.1:9/hook", event_code=VITALS, event_version="v1",
            payload="{}", status=DeliveryStatus.FAILED, source=source,
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        return delivery.id


def test_resend_all_matching_retries_hosted_ones_on_the_module_and_queues_the_rest_here(
    module, catalog_db, mirrored, cli
):
    uuid = _pulled_failure(module, catalog_db, mirrored)
    with catalog_db.session() as session:
        hosted = session.scalars(select(Delivery.id).where(Delivery.uuid == uuid)).one()
    _failed_here(catalog_db)
    _failed_here(catalog_db, "centrepoint")
    before = module.deliveries()

    one = cli("resend", hosted, "--dry-run", db=catalog_db)
    assert one.out.strip() == f"Would resend delivery {hosted} through the ECG module (its retry)."
    dry = cli("resend", "--all-matching", "--status", "failed", "--dry-run", db=catalog_db)
    assert dry.out.strip() == (
        "1 delivery would be resent; 1 would be retried by the ECG module; 1 pulled from "
        "CentrePoint left alone (it has no resend route)."
    )
    assert module.deliveries() == before

    done = cli("resend", "--all-matching", "--status", "failed", "--reason", "receiver is back",
               "--token-stdin", db=catalog_db, stdin=module.token)  # fmt: skip

    assert done.code == 0, done.err
    assert done.out.strip() == (
        "1 delivery queued again; 1 of 1 retried by the ECG module; 1 pulled from "
        "CentrePoint left alone (it has no resend route)."
    )
    assert module.deliveries() == before + 1  # the module queued its retry
    assert _count(catalog_db, source="local", status=DeliveryStatus.PENDING) == 1  # ours, here
    with catalog_db.session() as session:  # nothing hosted or read-only was copied here
        copied = session.scalars(select(Delivery.resent_from_id).where(
            Delivery.resent_from_id.is_not(None))).all()  # fmt: skip
        sources = {session.get(Delivery, original).source for original in copied}
    assert sources == {"local"}


def test_a_module_that_refuses_the_retry_is_named_in_the_summary(module, catalog_db, mirrored, cli):
    uuid = _pulled_failure(module, catalog_db, mirrored)
    _failed_here(catalog_db)
    before = module.deliveries()

    done = cli("resend", "--all-matching", "--status", "failed", "--token-stdin", "--json",
               db=catalog_db, stdin="not-the-token")  # fmt: skip

    assert done.code == 1
    result = done.json()
    assert (result["queued"], result["hosted"], result["retried_by_module"]) == (1, 1, 0)
    [refusal] = result["module_refused"]
    assert "refused the API token" in refusal and "nothing was changed here" in refusal
    assert module.deliveries() == before
    with catalog_db.session() as session:
        delivery = session.scalars(select(Delivery).where(Delivery.uuid == uuid)).one()
        assert delivery.status == DeliveryStatus.FAILED


def test_an_edited_resend_of_a_hosted_delivery_is_refused_with_what_to_do(
    module, catalog_db, mirrored, cli, tmp_path
):
    uuid = _pulled_failure(module, catalog_db, mirrored)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps({"changed": True}))
    before, ours = module.deliveries(), _count(catalog_db)

    refused = cli("resend", uuid, "--edit", edited, db=catalog_db)

    assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1
    assert "resends a delivery only as it was" in refused.err
    assert "webhook-desk fire EVENT --to REGISTRATION --payload FILE" in refused.err
    assert module.deliveries() == before and _count(catalog_db) == ours


def test_a_delivery_pulled_from_centrepoint_is_not_resent(catalog_db, cli):
    pulled = _failed_here(catalog_db, "centrepoint")

    for argv in (("resend", pulled), ("resend", pulled, "--dry-run")):
        refused = cli(*argv, db=catalog_db)
        assert refused.code != 0
        assert refused.err.strip() == (
            f"webhook-desk: Delivery {pulled} was pulled from CentrePoint, which offers no "
            "route to resend it: resend it in CentrePoint itself."
        )
    assert _count(catalog_db) == 1

"""A study's data is kept no longer than its policy: old payloads become tombstones (counts
stay true), older records go, the dry run says exactly what the purge removes, and each run
is one audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from webhook_desk.db.models import Delivery, utcnow
from webhook_desk.history.queries import Filters, count
from webhook_desk.services import audit, catalog, firing

# (study, age in days) of each delivery
AGES = [("189", 5), ("189", 40), ("189", 100), ("190", 5), ("190", 15), (None, 200)]


@pytest.fixture
def db(any_db, memory_keyring):
    with any_db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, "upload"))
        for study, days in AGES:
            body = {**sample, "studyId": study} if study else {"note": "no study"}
            (d,) = firing.fire(
                session, "upload", url="http://127.0.0.1:9/x", payload=body, validate=False
            )
            when = utcnow() - timedelta(days=days)
            session.execute(update(Delivery).where(Delivery.id == d.id).values(created_at=when))
    return any_db


def _policies(cli, db):
    assert cli("retention", "set", "--study", "189", "--payload-days", "30",
               "--metadata-days", "90", db=db).code == 0  # fmt: skip
    assert cli("retention", "set", "--payload-days", "10", db=db).code == 0


def test_a_dry_run_counts_exactly_what_the_purge_removes(db, cli):
    _policies(cli, db)
    dry = cli("retention", "purge", "--dry-run", "--json", db=db).json()
    # 189: 40 days -> payload gone, 100 days -> record gone; default (190, none): 15 and 200
    assert (dry["payloads"], dry["records"], dry["captures"]) == (3, 1, 0)
    with db.session() as session:
        assert count(session, Filters()) == 6

    done = cli("retention", "purge", "--reason", "weekly", "--json", db=db).json()
    assert (done["payloads"], done["records"]) == (dry["payloads"], dry["records"])
    with db.session() as session:
        assert count(session, Filters()) == 5  # tombstones still count; one record deleted
        assert count(session, Filters(study="189")) == 2
        erased = session.query(Delivery).filter(Delivery.erased_at.is_not(None)).count()
        assert erased == 3
        entry = audit.entries(session, limit=1)[0]
        assert (entry.action, entry.reason, entry.after["records"]) == (
            "retention.purge",
            "weekly",
            1,
        )
        assert audit.verify(session).ok
    again = cli("retention", "purge", "--dry-run", "--json", db=db).json()
    assert (again["payloads"], again["records"]) == (0, 0)


def test_policies_are_listed_and_bad_ones_refused_in_one_line(db, cli):
    _policies(cli, db)
    listed = cli("retention", "show", "--json", db=db).json()
    assert {(p["study"], p["payload_days"], p["metadata_days"]) for p in listed} == {
        ("189", 30, 90),
        ("(default)", 10, None),
    }
    bad = cli("retention", "set", "--payload-days", "30", "--metadata-days", "7", db=db)
    assert bad.code == 1
    assert bad.err == (
        "webhook-desk: Records cannot go before their payloads: record days ≥ payload days.\n"
    )
    zero = cli("retention", "set", "--study", "190", "--payload-days", "0", db=db)
    assert "Payload days must be at least 1 day" in zero.err

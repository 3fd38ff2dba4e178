"""Refreshing a connected ECG module incrementally: only the subscriptions and the activity
after what the desk holds are asked for (no catalog), and the deliveries a new activity left
failed are named, for the window's notification; against `webhook-desk serve` in its own
process."""

import pytest
from ecg_module import VITALS, mirrored_subscription, served_module

from webhook_desk.platform.ecg_sync import Connection, refresh
from webhook_desk.platform.sync import token_key
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog

module = pytest.fixture(scope="module")(served_module)
mirrored = pytest.fixture(mirrored_subscription)


@pytest.fixture
def connection(module, mirrored, memory_keyring) -> Connection:
    """The module's token kept as `sync ecg --token-stdin` keeps it."""
    SecretStore().put(token_key(module.url), module.token)
    return Connection(module.url, mirrored[0])


def _sample(db) -> dict:
    with db.session() as session:
        return catalog.sample_payload(catalog.get_event(session, VITALS, "v1"))


def test_a_refresh_with_nothing_new_asks_two_questions(catalog_db, connection):
    pulled = refresh(catalog_db, SecretStore(), connection)

    # the organisation's subscriptions, and the activity after what is stored: no catalog
    assert pulled.requests == 2
    assert (pulled.records_added, pulled.new_failed, pulled.catalog_added) == (0, [], 0)


def test_new_failed_activity_since_the_last_refresh_is_named(
    module, catalog_db, mirrored, connection
):
    org, remote, reg_id = mirrored
    failed = module.failed_activity(org, remote, _sample(catalog_db))

    pulled = refresh(catalog_db, SecretStore(), connection)

    assert pulled.new_failed == [failed]  # a delivery here is named by its first post's id
    assert pulled.records_added == 1 and pulled.requests == 2
    again = refresh(catalog_db, SecretStore(), connection)
    assert (again.records_added, again.new_failed) == (0, [])


def test_sync_ecg_changes_only_skips_the_catalog_and_lists_the_new_failures(
    module, catalog_db, mirrored, cli
):
    org, remote, reg_id = mirrored
    failed = module.failed_activity(org, remote, _sample(catalog_db))

    pulled = cli("sync", "ecg", "--organization", org, "--api-url", module.url, "--token-stdin",
                 "--changes-only", "--json", db=catalog_db, stdin=module.token)  # fmt: skip
    assert pulled.code == 0, pulled.err
    assert pulled.json()["new_failed"] == [failed] and pulled.json()["requests"] == 2

    module.failed_activity(org, remote, _sample(catalog_db))
    said = cli("sync", "ecg", "--organization", org, "--api-url", module.url, "--changes-only",
               db=catalog_db)  # fmt: skip
    assert said.code == 0, said.err
    assert "1 history records added (1 deliveries)" in said.out and "1 newly failed" in said.out

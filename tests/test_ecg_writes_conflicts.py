"""A change made on the ECG module since the desk read it, as data: both versions field by
field, and the user's two ways out (keep mine, take theirs), against `webhook-desk serve` in
its own process. Also the module's secrets: made by the module, and listed by fingerprint."""

import pytest
from ecg_module import PHONE, VITALS, local, mirrored_subscription, served_module

from webhook_desk.db.models import AuditEntry, Registration
from webhook_desk.errors import UserError
from webhook_desk.platform.ecg_writes import EcgWrites, FieldConflict, ModuleConflict
from webhook_desk.secrets import SecretStore

module = pytest.fixture(scope="module")(served_module)
mirrored = pytest.fixture(mirrored_subscription)


def _conflict(module, catalog_db, mirrored) -> ModuleConflict:
    """The module's events changed to PHONE since the sync; the desk wants VITALS and PHONE."""
    org, remote, reg_id = mirrored
    module.patch(org, remote, [{"op": "replace", "path": "/events", "value": [PHONE]}])
    with pytest.raises(ModuleConflict) as refused:
        EcgWrites(catalog_db, module.client()).edit(reg_id, {"events": [VITALS, PHONE]})
    return refused.value


def test_a_conflict_carries_mine_theirs_and_what_was_last_read(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored

    conflict = _conflict(module, catalog_db, mirrored)

    assert conflict.fields == [
        FieldConflict("events", mine=[VITALS, PHONE], theirs=[PHONE], last_read=[VITALS])
    ]
    assert conflict.as_dict()["fields"][0]["theirs"] == [PHONE]
    assert "changed on the ECG module since it was last synced" in str(conflict)
    assert local(catalog_db, reg_id)["events"] == [VITALS]


def test_keep_mine_sends_the_change_over_the_modules_newer_copy(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    conflict = _conflict(module, catalog_db, mirrored)

    shown = EcgWrites(catalog_db, module.client()).keep_mine(conflict, reason="both events")

    assert sorted(module.registration(remote)["events"]) == [PHONE, VITALS]
    assert shown["events"] == [PHONE, VITALS] == local(catalog_db, reg_id)["events"]
    with catalog_db.session() as session:
        entry = session.query(AuditEntry).filter_by(action="registration.update").one()
        assert entry.reason.startswith("both events") and remote in entry.reason


def test_keep_mine_still_stops_at_a_third_change(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    conflict = _conflict(module, catalog_db, mirrored)
    module.patch(org, remote, [{"op": "replace", "path": "/events", "value": [VITALS]}])

    class _ChangedAgain(type(module.client())):
        """Someone changes the events once more after the desk read them for keep-mine."""

        def send(self, method, path_or_url, params=None, body=None):
            if method == "PATCH":
                module.patch(org, remote, [{"op": "replace", "path": "/events", "value": [PHONE]}])
            return super().send(method, path_or_url, params, body)

    with pytest.raises(ModuleConflict) as again:
        EcgWrites(catalog_db, _ChangedAgain(module.url, module.token)).keep_mine(conflict)

    assert again.value.fields[0].theirs == [PHONE]
    assert again.value.fields[0].last_read == [VITALS]  # what keep-mine read and tested
    assert "nothing was changed here" in str(again.value)
    assert module.registration(remote)["events"] == [PHONE]
    assert local(catalog_db, reg_id)["events"] == [VITALS]


def test_take_theirs_updates_the_mirror_from_the_module_and_sends_nothing(
    module, catalog_db, mirrored
):
    org, remote, reg_id = mirrored
    conflict = _conflict(module, catalog_db, mirrored)
    client = module.client()

    shown = EcgWrites(catalog_db, client).take_theirs(conflict.reg_id, reason="theirs is right")

    assert shown["events"] == [PHONE] == local(catalog_db, reg_id)["events"]
    assert module.registration(remote)["events"] == [PHONE]
    assert client.requests == 1  # one read, no write
    with catalog_db.session() as session:
        entry = session.query(AuditEntry).filter_by(action="registration.mirror-update").one()
        assert entry.reason.startswith("theirs is right; took the ECG module's version")


def test_a_status_conflict_is_kept_mine_by_doing_the_action(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    client = module.client()
    client.send("POST", f"/api/organizations/{org}/webhook-subscriptions/{remote}/deactivate")
    writes = EcgWrites(catalog_db, module.client())

    with pytest.raises(ModuleConflict) as refused:
        writes.set_status(reg_id, "archive")
    assert refused.value.fields == [FieldConflict("status", "archive", "disabled", "enabled")]

    assert writes.keep_mine(refused.value)["status"] == "archived"
    assert module.registration(remote)["status"] == "archived"


# ---- secrets -------------------------------------------------------------------------------


def test_a_secret_the_module_makes_is_read_once_and_kept_only_in_the_keyring(
    module, catalog_db, mirrored, cli, memory_keyring
):
    org, remote, reg_id = mirrored
    versions = module.secret_versions(remote)

    done = cli("registrations", "rotate-secret", reg_id, "--token-stdin", "--reason", "leaked",
               "--json", db=catalog_db, stdin=module.token)  # fmt: skip

    assert done.code == 0, done.err
    assert module.secret_versions(remote) == versions + 1
    with catalog_db.session() as session:
        kept = session.get(Registration, reg_id).secrets[-1]
        value = SecretStore().get(kept.keyring_key)
        entry = session.query(AuditEntry).filter_by(action="secret.rotate").one()
        assert entry.reason.startswith("leaked") and remote in entry.reason
    served = module.client().get(f"/api/organizations/{org}/webhook-subscriptions/{remote}/secrets")
    assert value == served["secretKey"]  # the module's new secret, kept here
    assert done.json()["fingerprint"] == SecretStore().fingerprint(value)
    assert value not in done.out + done.err


def test_the_modules_secret_history_is_listed_by_fingerprint(
    module, catalog_db, mirrored, cli, memory_keyring
):
    org, remote, reg_id = mirrored
    secret = "whsec-listed-by-fingerprint-91b"
    EcgWrites(catalog_db, module.client()).set_secret(reg_id, SecretStore(), secret)

    listed = cli("registrations", "secrets", reg_id, "--token-stdin", "--json", db=catalog_db,
                 stdin=module.token)  # fmt: skip

    assert listed.code == 0, listed.err
    history = listed.json()
    assert [v["version"] for v in history] == list(range(1, module.secret_versions(remote) + 1))
    assert all(v["created_at"] and v["fingerprint"] for v in history)
    with catalog_db.session() as session:
        kept = session.get(Registration, reg_id).secrets[-1].fingerprint
    assert history[-1]["fingerprint"] == kept == SecretStore().fingerprint(secret)
    assert len({v["fingerprint"] for v in history}) == len(history)  # one per value
    assert secret not in listed.out
    shown = cli("registrations", "secrets", reg_id, db=catalog_db)
    assert shown.code == 0 and "v1 " in shown.out and secret not in shown.out


def test_a_rotation_the_module_refuses_keeps_the_secret_here(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    before = local(catalog_db, reg_id)

    with pytest.raises(UserError) as refused:
        EcgWrites(catalog_db, module.client("not-a-token")).rotate_secret(reg_id, SecretStore())

    assert "refused the API token" in str(refused.value)
    assert "nothing was changed here" in str(refused.value)
    assert local(catalog_db, reg_id) == before

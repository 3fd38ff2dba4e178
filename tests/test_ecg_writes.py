"""Changing a mirrored ECG subscription from the desk: the change goes to the module first
(`webhook-desk serve` in its own process, with its own database), then to the mirror here."""

import socket

import pytest
from ecg_module import (
    PHONE,
    VITALS,
    Module,
    local,
    mirrored_subscription,
    served_module,
    serving,
)
from recording_server import HANG, RecordingServer, Reply
from test_secret_headers_everywhere import written_bytes

from webhook_desk.db.models import AuditEntry, Registration
from webhook_desk.errors import Conflict, InvalidInput, UserError
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_writes import EcgWrites
from webhook_desk.secrets import SecretStore

module = pytest.fixture(scope="module")(served_module)
mirrored = pytest.fixture(mirrored_subscription)


def test_an_edit_on_the_desk_reaches_the_module_then_the_mirror(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    writes = EcgWrites(catalog_db, module.client())
    changes = {"url": "https://example.org/new", "events": [VITALS, PHONE], "is_development": False}

    shown = writes.edit(reg_id, changes, reason="move to the new receiver")

    served = module.registration(remote)
    assert served["url"] == "https://example.org/new"
    assert sorted(served["events"]) == [PHONE, VITALS]
    assert served["is_development"] is False
    assert shown["url"] == "https://example.org/new" and shown["events"] == [PHONE, VITALS]
    with catalog_db.session() as session:
        entry = session.query(AuditEntry).filter_by(action="registration.update").one()
        assert entry.entity_id == str(reg_id) and entry.after["url"] == "https://example.org/new"
        assert remote in entry.reason and entry.reason.startswith("move to the new receiver")


def test_status_changes_on_the_desk_reach_the_module(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    writes = EcgWrites(catalog_db, module.client())
    for action, status in [
        ("disable", "disabled"),
        ("archive", "archived"),
        ("restore", "disabled"),
        ("enable", "enabled"),
    ]:
        assert writes.set_status(reg_id, action, reason="test")["status"] == status
        assert module.registration(remote)["status"] == status
        assert local(catalog_db, reg_id)["status"] == status


def test_a_change_on_the_module_since_the_sync_is_a_conflict(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    module.patch(org, remote, [{"op": "replace", "path": "/postUri", "value": "https://o.org/x"}])
    before = local(catalog_db, reg_id)

    with pytest.raises(Conflict) as refused:
        EcgWrites(catalog_db, module.client()).edit(reg_id, {"url": "https://example.org/mine"})

    assert "https://o.org/x" in str(refused.value) and "https://example.org/hook" in str(
        refused.value
    )
    assert module.registration(remote)["url"] == "https://o.org/x"
    assert local(catalog_db, reg_id) == before


class _ChangedAfterRead(PlatformClient):
    """A client after whose first read someone changes the subscription on the module."""

    def __init__(self, module: Module, org: str, remote: str):
        super().__init__(module.url, module.token)
        self.change = lambda: module.patch(
            org, remote, [{"op": "replace", "path": "/postUri", "value": "https://o.org/race"}]
        )

    def send(self, method, path_or_url, params=None, body=None):
        answer = super().send(method, path_or_url, params, body)
        if method == "GET" and self.change:
            self.change, change = None, self.change
            change()
        return answer


def test_a_change_on_the_module_between_read_and_write_fails_the_patch_test(
    module, catalog_db, mirrored
):
    org, remote, reg_id = mirrored
    before = local(catalog_db, reg_id)

    with pytest.raises(Conflict) as refused:
        EcgWrites(catalog_db, _ChangedAfterRead(module, org, remote)).edit(
            reg_id, {"url": "https://example.org/mine"}
        )

    assert "409" in str(refused.value) or "test" in str(refused.value)
    assert "nothing was changed here" in str(refused.value)
    assert module.registration(remote)["url"] == "https://o.org/race"
    assert local(catalog_db, reg_id) == before


def test_a_refused_token_changes_neither_side(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    before, served = local(catalog_db, reg_id), module.registration(remote)

    with pytest.raises(UserError) as refused:
        EcgWrites(catalog_db, module.client("not-a-token")).set_status(reg_id, "disable")

    assert "refused the API token" in str(refused.value)
    assert "nothing was changed here" in str(refused.value)
    assert local(catalog_db, reg_id) == before and module.registration(remote) == served


def test_an_edit_the_module_refuses_changes_neither_side(module, catalog_db, mirrored):
    org, remote, reg_id = mirrored
    before, served = local(catalog_db, reg_id), module.registration(remote)

    with pytest.raises(UserError) as refused:
        EcgWrites(catalog_db, module.client()).edit(reg_id, {"url": "not a url"})

    sentence = str(refused.value)
    assert sentence.startswith("The ECG module did not take the change: The platform refused")
    assert "'not a url' is not an absolute http(s) URL" in sentence
    assert "\n" not in sentence
    assert local(catalog_db, reg_id) == before and module.registration(remote) == served


@pytest.mark.parametrize(
    ("switches", "options", "answered"),
    [
        (("--failure-rate", "1"), {}, "kept answering 503"),
        (("--latency-ms", "1000"), {"timeout": (2.0, 0.2)}, "did not answer within 0.2 s"),
    ],
    ids=["flaky", "slow"],
)
def test_a_module_failing_or_too_slow_changes_neither_side(
    module, catalog_db, mirrored, switches, options, answered
):
    org, remote, reg_id = mirrored
    before, served = local(catalog_db, reg_id), module.registration(remote)

    with serving(module.db_url, *switches) as base:
        client = PlatformClient(base, module.token, tries=2, backoff_s=0.01, **options)
        with pytest.raises(UserError) as refused:
            EcgWrites(catalog_db, client).edit(reg_id, {"url": "https://example.org/mine"})

    assert answered in str(refused.value)
    assert "nothing was changed here" in str(refused.value)
    assert local(catalog_db, reg_id) == before and module.registration(remote) == served


def test_a_write_the_token_may_not_make_says_what_was_refused(catalog_db, mirrored):
    org, remote, reg_id = mirrored
    before = local(catalog_db, reg_id)
    with RecordingServer(lambda _request: Reply(403, body=b"{}"), handshake=False) as forbidding:
        client = PlatformClient(forbidding.url(""), "t", tries=1)
        with pytest.raises(UserError) as refused:
            client.send("POST", f"/api/organizations/{org}/webhook-subscriptions/{remote}/archive")

    sentence = str(refused.value)
    assert sentence == (
        f"The platform at {forbidding.url('')} does not let this API token post to "
        f"/api/organizations/{org}/webhook-subscriptions/{remote}/archive (403); ask for a "
        "token with the CentrePoint or webhooks scope that allows it."
    )
    assert "read" not in sentence
    assert local(catalog_db, reg_id) == before


def test_a_write_that_timed_out_is_not_sent_again_and_may_have_been_made():
    with RecordingServer(lambda _request: HANG, handshake=False) as silent:
        client = PlatformClient(silent.url(""), "t", tries=3, backoff_s=0.01, timeout=(2.0, 0.2))
        with pytest.raises(UserError) as refused:
            client.send("POST", "/api/organizations/o/webhook-subscriptions/s/archive")
        assert len(silent.requests()) == 1  # a second post could archive, fire or add twice

    assert str(refused.value) == (
        f"The platform at {silent.url('')} did not answer within 0.2 s (1 try), so it is not "
        "known whether it made the change; sync to see."
    )


def test_a_module_that_cannot_be_reached_changes_nothing_here(catalog_db, mirrored):
    org, remote, reg_id = mirrored
    before = local(catalog_db, reg_id)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once it is closed
    client = PlatformClient(f"http://127.0.0.1:{port}", "t", tries=2, backoff_s=0.01)

    with pytest.raises(UserError) as refused:
        EcgWrites(catalog_db, client).set_status(reg_id, "archive")

    assert str(refused.value) == (
        f"The ECG module did not answer: The platform at http://127.0.0.1:{port} cannot be "
        "reached (connection refused); nothing was changed here."
    )
    assert local(catalog_db, reg_id) == before


# ---- the command line ----------------------------------------------------------------------


def test_the_cli_changes_an_ecg_mirror_on_the_module_it_was_synced_from(
    module, catalog_db, mirrored, cli, tmp_path
):
    org, remote, reg_id = mirrored

    # no --api-url: the mirror knows the API it was synced from
    disabled = cli("registrations", "disable", reg_id, "--token-stdin", db=catalog_db,
                   stdin=module.token)  # fmt: skip
    assert disabled.code == 0, disabled.err
    assert "disabled, on the ECG module and here" in disabled.out
    assert module.registration(remote)["status"] == "disabled"

    patch = tmp_path / "patch.json"
    patch.write_text('[{"op": "replace", "path": "/url", "value": "https://example.org/cli"}]')
    # the token of the first call was kept in the keyring: no --token-stdin this time
    patched = cli(
        "registrations", "patch", reg_id, "--json-patch", patch, "--reason", "new receiver",
        db=catalog_db,
    )  # fmt: skip
    assert patched.code == 0, patched.err
    assert "url changed, on the ECG module and here" in patched.out
    assert module.registration(remote)["url"] == "https://example.org/cli"
    assert local(catalog_db, reg_id)["url"] == "https://example.org/cli"


def test_the_cli_asks_for_the_api_of_a_mirror_synced_before_it_was_kept(
    module, catalog_db, mirrored, cli
):
    org, remote, reg_id = mirrored
    with catalog_db.session() as session:
        session.get(Registration, reg_id).remote_origin = None

    refused = cli("registrations", "archive", reg_id, db=catalog_db)

    assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1
    assert "pass --api-url" in refused.err
    assert module.registration(remote)["status"] == "enabled"
    assert local(catalog_db, reg_id)["status"] == "enabled"


def test_the_cli_reports_a_conflict_in_one_line(module, catalog_db, mirrored, cli, tmp_path):
    org, remote, reg_id = mirrored
    module.patch(org, remote, [{"op": "replace", "path": "/isDevelopment", "value": False}])
    patch = tmp_path / "patch.json"
    patch.write_text('[{"op": "replace", "path": "/is_development", "value": false}]')

    refused = cli(
        "registrations", "patch", reg_id, "--json-patch", patch, "--api-url", module.url,
        "--token-stdin", db=catalog_db, stdin=module.token,
    )  # fmt: skip

    assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1
    assert "changed on the ECG module since it was last synced" in refused.err
    assert local(catalog_db, reg_id)["is_development"] is True

    # the user's change made over the module's: the module's other change is kept too
    patch.write_text('[{"op": "replace", "path": "/url", "value": "https://example.org/mine"}]')
    module.patch(org, remote, [{"op": "replace", "path": "/postUri", "value": "https://o.org/t"}])
    kept = cli("registrations", "patch", reg_id, "--json-patch", patch, "--keep-mine",
               db=catalog_db)  # fmt: skip
    assert kept.code == 0, kept.err
    assert module.registration(remote)["url"] == "https://example.org/mine"
    assert local(catalog_db, reg_id)["url"] == "https://example.org/mine"
    assert local(catalog_db, reg_id)["is_development"] is False  # the module's, read back


def test_deleting_an_ecg_mirror_deletes_the_subscription_on_the_module(
    module, catalog_db, mirrored, cli
):
    org, remote, reg_id = mirrored

    deleted = cli("registrations", "delete", reg_id, "--token-stdin", "--reason", "retired",
                  db=catalog_db, stdin=module.token)  # fmt: skip

    assert deleted.code == 0, deleted.err
    assert module.find(remote) is None
    with catalog_db.session() as session:
        assert session.get(Registration, reg_id) is None
        entry = session.query(AuditEntry).filter_by(action="registration.delete").one()
        assert entry.reason.startswith("retired") and remote in entry.reason


def test_a_delete_the_module_refuses_keeps_the_mirror(module, catalog_db, mirrored, cli):
    org, remote, reg_id = mirrored

    refused = cli("registrations", "delete", reg_id, "--token-stdin", db=catalog_db,
                  stdin="not-the-token")  # fmt: skip

    assert refused.code != 0 and "refused the API token" in refused.err
    assert module.find(remote) is not None
    assert local(catalog_db, reg_id)["id"] == reg_id


SECRET = "whsec-set-on-the-desk-7f3a9c"


def test_a_secret_set_on_the_desk_goes_to_the_module_once_and_only_to_the_keyring_here(
    module, catalog_db, mirrored, cli, memory_keyring, caplog
):
    org, remote, reg_id = mirrored
    versions = module.secret_versions(remote)

    done = cli("registrations", "rotate-secret", reg_id, "--secret-stdin", "--token-stdin",
               "--json", db=catalog_db, stdin=f"{SECRET}\n{module.token}\n")  # fmt: skip

    assert done.code == 0, done.err
    assert module.secret_versions(remote) == versions + 1
    shown = done.json()
    with catalog_db.session() as session:
        kept = session.get(Registration, reg_id).secrets[-1]
        assert (kept.version, kept.fingerprint) == (shown["version"], shown["fingerprint"])
        key = kept.keyring_key
        entry = session.query(AuditEntry).filter_by(action="secret.rotate").one()
        assert remote in entry.reason and SECRET not in str(entry.after)
    assert SecretStore().get(key) == SECRET
    stored = written_bytes(catalog_db)
    assert b"secret.rotate" in stored  # the files the audit went to
    assert SECRET.encode() not in stored
    assert SECRET not in done.out + done.err + caplog.text


def test_a_secret_is_not_sent_over_plain_http_to_another_machine(catalog_db, mirrored):
    org, remote, reg_id = mirrored
    client = PlatformClient("http://ecg.example.org", "t")

    with pytest.raises(InvalidInput) as refused:
        EcgWrites(catalog_db, client).set_secret(reg_id, SecretStore(), SECRET)

    assert "only sent to the ECG module over HTTPS" in str(refused.value)
    assert client.requests == 0


def test_a_subscription_added_on_the_desk_is_made_on_the_module_and_mirrored(
    module, catalog_db, cli, memory_keyring
):
    made = cli("registrations", "add", "--url", "https://example.org/created", "--organization",
               "org-created", "--events", VITALS, "--api-url", module.url, "--token-stdin",
               "--reason", "new site", "--json", db=catalog_db, stdin=module.token)  # fmt: skip

    assert made.code == 0, made.err
    shown = made.json()
    assert shown["source"] == "ecg" and shown["url"] == "https://example.org/created"
    with catalog_db.session() as session:
        reg = session.get(Registration, shown["id"])
        remote, origin = reg.remote_id, reg.remote_origin
        kept = SecretStore().get(reg.secrets[-1].keyring_key)
        entry = session.query(AuditEntry).filter_by(action="registration.add").one()
        assert remote in entry.reason and entry.reason.startswith("new site")
    served = module.registration(remote)
    assert (served["organization_id"], served["url"]) == (
        "org-created",
        "https://example.org/created",
    )
    assert origin == module.url and kept == shown["secret"]


def test_the_module_refusing_a_new_subscription_adds_nothing_here(module, catalog_db, cli):
    refused = cli("registrations", "add", "--url", "not a url", "--organization", "org-refused",
                  "--events", VITALS, "--api-url", module.url, "--token-stdin", db=catalog_db,
                  stdin=module.token)  # fmt: skip

    assert refused.code != 0 and "not an absolute http(s) URL" in refused.err
    with catalog_db.session() as session:
        assert session.query(Registration).count() == 0

"""No secret of a hosted ECG subscription leaves the OS keyring: after it is made by the module
(a new subscription, a rotation) or set from the desk, and after the module refused one, no
value is in the desk's database, its logs, its exports of history and audit (CSV, XLSX, NDJSON,
v3 and v1 JSON) or any text it printed; against `webhook-desk serve` in its own process."""

import logging
import zipfile

import pytest
from ecg_module import VITALS, mirrored_subscription, served_module
from test_secret_headers_everywhere import written_bytes

from webhook_desk.services import catalog

module = pytest.fixture(scope="module")(served_module)
mirrored = pytest.fixture(mirrored_subscription)
SET_HERE = "whsec-set-on-the-desk-leak-check-5d1e"


def _file_text(path) -> bytes:
    if path.suffix == ".xlsx":  # a zip of XML: the cells are inside
        with zipfile.ZipFile(path) as book:
            return b"".join(book.read(name) for name in book.namelist())
    return path.read_bytes()


def test_no_secret_of_a_hosted_subscription_leaves_the_keyring(
    module, catalog_db, mirrored, cli, memory_keyring, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    org, remote, reg_id = mirrored
    token = module.token
    with catalog_db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, VITALS, "v1"))
    module.failed_activity(org, remote, sample)  # history to export

    made = cli("registrations", "add", "--url", "https://example.org/leak", "--organization",
               org, "--events", VITALS, "--api-url", module.url, "--token-stdin", "--json",
               db=catalog_db, stdin=token)  # fmt: skip
    assert made.code == 0, made.err
    printed = [made.err]  # its stdout shows the module's new secret once, by design
    runs = [
        ("registrations", "rotate-secret", reg_id, "--secret-stdin", f"{SET_HERE}\n"),
        ("registrations", "rotate-secret", reg_id, "--reason", "module makes it", ""),
        ("sync", "ecg", "--organization", org, "--api-url", module.url, "--json", ""),
        ("registrations", "secrets", reg_id, "--json", ""),
        ("registrations", "show", str(reg_id), "--json", ""),
        ("audit", "--json", ""),
        ("history", "--json", ""),
        # last: a refused token is not kept, but it is still never written anywhere
        ("registrations", "rotate-secret", reg_id, "--secret-stdin", "--token-stdin",
         "refused-value-0042\nnot-the-token\n"),
    ]  # fmt: skip
    for *argv, stdin in runs:
        done = cli(*argv, db=catalog_db, stdin=stdin)
        printed += [done.out, done.err]
        refused = "not-the-token" in stdin
        assert (done.code != 0) == refused, done.err
        if refused:  # one sentence, which names no value
            assert "refused the API token" in done.err and done.err.count("\n") == 1

    exports = []
    for kind in ("csv", "xlsx", "ndjson", "v3", "v1"):
        exports.append(tmp_path / f"history.{kind}")
        written = cli("export", "--format", kind, "--output", exports[-1], db=catalog_db)
        assert written.code == 0, written.err
    exports.append(tmp_path / "audit.csv")
    assert cli("audit", "export", "--output", exports[-1], db=catalog_db).code == 0

    secrets = set(memory_keyring.values.values()) | {"refused-value-0042"}
    assert SET_HERE in secrets and len(secrets) >= 5  # token, fingerprint key, three secrets
    stored = written_bytes(catalog_db)
    assert b"secret.rotate" in stored  # the audit of the rotations is in what was read
    for secret in secrets:
        assert secret.encode() not in stored, "a secret is in the database"
        assert secret not in caplog.text, "a secret is in the log"
        assert not any(secret in text for text in printed), "a secret was printed"
        for path in exports:
            assert secret.encode() not in _file_text(path), f"a secret is in {path.name}"

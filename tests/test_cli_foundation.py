"""The command line as scripts and people use it: ids out, one-line errors, non-zero exits."""

import logging
import uuid

import pytest

# A registration whose secret the keyring must hold (generated unless given on stdin).
ADD_HMAC_REGISTRATION = (
    "registrations",
    "add",
    "--url",
    "https://x.org/h",
    "--events",
    "upload",
    "--auth",
    "hmac",
)


def test_add_prints_the_new_id_and_list_shows_it(cli, memory_keyring):
    added = cli(
        "registrations",
        "add",
        "--url",
        "https://hooks.example.org/cp",
        "--study",
        "189",
        "--events",
        "upload,raw_processing_complete",
        "--name",
        "Sleep lab",
    )
    assert added.code == 0, added.err
    reg_id = int(added.out.strip())
    listed = cli("registrations", "list", "--json").json()
    assert [(r["id"], r["name"], r["events"]) for r in listed] == [
        (reg_id, "Sleep lab", ["raw_processing_complete", "upload"])
    ]


def test_add_with_json_returns_id_url_status_and_the_generated_secret_once(cli, memory_keyring):
    added = cli(
        "registrations",
        "add",
        "--url",
        "https://hooks.example.org/cp",
        "--study",
        "8",
        "--events",
        "upload",
        "--auth",
        "hmac",
        "--json",
    )
    document = added.json()
    assert {"id", "url", "status", "secret"} <= document.keys()
    assert document["status"] == "enabled"
    shown = cli("registrations", "show", str(document["id"]), "--json").json()
    assert document["secret"] not in str(shown)
    assert shown["secrets"][0]["kind"] == "hmac"


def test_basic_password_and_oauth_secret_come_from_stdin(cli, memory_keyring):
    basic = cli(
        "registrations",
        "add",
        "--url",
        "https://hooks.example.org/b",
        "--study",
        "8",
        "--events",
        "upload",
        "--auth",
        "basic",
        "--username",
        "cp",
        stdin="s3cr3t-pass\n",
    )
    oauth = cli(
        "registrations",
        "add",
        "--url",
        "https://hooks.example.org/o",
        "--study",
        "8",
        "--events",
        "upload",
        "--auth",
        "oauth2",
        "--token-url",
        "https://login.example.org/token",
        "--client-id",
        "desk",
        "--scope",
        "hooks",
        stdin="client-secret-1\n",
    )
    assert basic.code == 0 and oauth.code == 0, basic.err + oauth.err
    assert {"s3cr3t-pass", "client-secret-1"} <= set(memory_keyring.values.values())


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["registrations", "add", "--url", "not a url"], None, "is not an absolute http(s) URL"),
        (["registrations", "add", "--url", "http://x.org/h"], None, "only a development"),
        (
            ["registrations", "add", "--url", "https://x.org/h", "--events", "nope"],
            None,
            "no event 'nope' in the catalog",
        ),
        (
            [
                "registrations",
                "add",
                "--url",
                "https://x.org/h",
                "--auth",
                "basic",
                "--username",
                "u",
            ],
            "",
            "empty",
        ),
        (
            [
                "registrations",
                "add",
                "--url",
                "https://x.org/h",
                "--auth",
                "standard-webhooks",
                "--secret-stdin",
            ],
            "not-a-whsec-secret!\n",
            "whsec_ followed by base64",
        ),
        (["registrations", "show", "999"], None, "No registration with id 999."),
        (["registrations", "show", "abc"], None, "'abc' is not a registration id"),
        (["registrations", "disable", "42"], None, "No registration with id 42."),
        (["registrations", "rotate-secret", "7"], None, "No registration with id 7."),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_a_failing_exit(
    cli, memory_keyring, argv, stdin, message
):
    result = cli(*argv, stdin=stdin)
    assert result.code != 0
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
    assert cli("registrations", "list", "--json").json() == []


def test_an_unreachable_database_is_one_sentence(cli, tmp_path):
    result = cli("registrations", "list", db="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.code == 1
    assert result.err.startswith("webhook-desk: Cannot open the database")
    assert len(result.err.strip().splitlines()) == 1


def test_a_locked_database_is_one_sentence_and_nothing_is_half_written(
    cli, sqlite_db, memory_keyring, monkeypatch
):
    import sqlite3

    import webhook_desk.db.database as database

    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)  # fail fast, not in 5 s
    path = sqlite_db.engine.url.database
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli(
            "registrations",
            "add",
            "--url",
            "https://x.org/h",
            "--events",
            "upload",
            db=f"sqlite:///{path}",
        )
    finally:
        holder.rollback()
        holder.close()
    assert result.code == 1
    assert "is locked by another program" in result.err
    assert cli("registrations", "list", "--json").json() == []


def test_the_audit_trail_names_the_user_the_action_and_the_reason(cli, memory_keyring):
    reg_id = cli(
        "registrations", "add", "--url", "https://x.org/h", "--events", "upload"
    ).out.strip()
    cli("registrations", "disable", reg_id, "--reason", "site visit")
    entries = cli("audit", "--json").json()
    assert [e["action"] for e in entries] == ["registration.disable", "registration.add"]
    assert entries[0]["reason"] == "site visit"
    assert (
        entries[0]["before"]["status"] == "enabled" and entries[0]["after"]["status"] == "disabled"
    )
    assert entries[0]["actor"]


def test_health_reports_schema_revision_and_keyring(cli, memory_keyring):
    report = cli("health", "--json").json()
    assert report["database"]["ok"] and report["database"]["revision"] == report["database"]["head"]
    assert report["keyring"]["ok"]


def test_version_is_printed(capsys):
    from webhook_desk import __version__
    from webhook_desk.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.secret_service
def test_a_secret_never_reaches_the_database_wal_logs_or_exports(
    cli, sqlite_db, secret_service, caplog, tmp_path
):
    """Adds a registration with a unique secret on the real Secret Service, then greps every
    byte the app wrote for it."""
    secret = f"unique-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    added = cli(*ADD_HMAC_REGISTRATION, "--secret-stdin", stdin=secret + "\n")
    assert added.code == 0, added.err
    reg_id = added.out.strip()
    rotated = cli("registrations", "rotate-secret", reg_id, "--json")
    new_secret = rotated.json()["secret"]
    fired = cli("fire", "upload", "--to", reg_id, "--count", "2")
    assert fired.code == 0, fired.err
    exports = []
    for form, extra in (("csv", ["--attempts"]), ("ndjson", []), ("v3", []), ("v1", [])):
        target = tmp_path / f"history.{form}"
        assert cli("export", "--format", form, "--output", str(target), *extra).code == 0
        exports.append(target.read_text())
    outputs = [
        *exports,
        cli("history", "--json").out,
        cli("registrations", "show", reg_id, "--json").out,
        cli("audit", "--json").out,
        cli("registrations", "list", "--json").out,
    ]
    import keyring

    assert keyring.get_password("webhook-desk", f"registration-{reg_id}/hmac/v1") == secret
    path = sqlite_db.engine.url.database
    files = [path, path + "-wal", path + "-shm"]
    written = b"".join(open(f, "rb").read() for f in files if __import__("os").path.exists(f))
    for value in (secret, new_secret):
        assert value.encode() not in written
        assert value not in caplog.text
        assert all(value not in out for out in outputs)


def test_with_no_keyring_adding_a_secret_names_the_backend_and_writes_nothing(cli, sqlite_db):
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        result = cli(*ADD_HMAC_REGISTRATION)
    finally:
        keyring.set_keyring(previous)
    assert result.code == 1
    assert "No usable keyring: found keyring.backends.fail.Keyring" in result.err
    assert "gnome-keyring" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert cli("registrations", "list", "--all", "--json").json() == []
    assert cli("audit", "--json").json() == []


def test_deleting_a_registration_fails_its_unsent_deliveries_instead_of_sending_them(
    cli, memory_keyring
):
    reg_id = cli("registrations", "add", "--url", "https://x.org/h", "--events", "upload").out
    assert cli("fire", "upload", "--to", reg_id.strip(), "--count", "3").code == 0
    assert cli("registrations", "delete", reg_id.strip()).code == 0
    rows = cli("history", "--json").json()
    assert [r["status"] for r in rows] == ["failed"] * 3


def test_firing_at_a_platform_mirror_is_refused(cli, sqlite_db, memory_keyring):
    from webhook_desk.services import registrations

    reg_id = cli("registrations", "add", "--url", "https://x.org/h", "--events", "upload").out
    with sqlite_db.session() as session:
        registrations.get(session, reg_id.strip()).source = "centrepoint"
    result = cli("fire", "upload", "--to", reg_id.strip())
    assert result.code == 1 and "read-only here" in result.err
    assert cli("history", "--json").json() == []


def test_health_warns_about_a_registration_on_its_way_to_being_disabled(
    cli, sqlite_db, memory_keyring
):
    from datetime import timedelta

    from webhook_desk.db.models import utcnow
    from webhook_desk.services import registrations

    reg_id = cli("registrations", "add", "--url", "https://x.org/h", "--events", "upload").out
    with sqlite_db.session() as session:
        reg = registrations.get(session, reg_id.strip())
        reg.failure_streak, reg.failing_since = 25, utcnow() - timedelta(days=4)
    report = cli("health", "--json").json()
    assert (
        len(report["warnings"]) == 1 and f"Registration {reg_id.strip()}" in report["warnings"][0]
    )
    assert "warning" in cli("health").out

"""A user's database from an older version opens in a newer one with its data intact."""

from sqlalchemy import create_engine, inspect, text

from webhook_desk.db import Database
from webhook_desk.db.migrate import current_revision, head_revision, upgrade
from webhook_desk.db.models import Delivery


def test_a_database_made_by_the_first_migration_upgrades_to_head_with_its_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine, "0001")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO registration (id, name, url, event_version, auth_type, is_development,"
                " status, validation_state, failure_streak, source, created_at, updated_at)"
                " VALUES (7, 'Sleep lab', 'https://hooks.example.org/cp', 'v1', 'none', 0,"
                " 'enabled', 'validated', 0, 'local', '2026-01-02 03:04:05', '2026-01-02 03:04:05')"
            )
        )
        c.execute(text("INSERT INTO registration_event VALUES (7, 'upload')"))
        c.execute(
            text(
                "INSERT INTO delivery (id, uuid, registration_id, target_url, event_code,"
                " event_version, payload, status, attempt_count, is_validation, source, created_at)"
                " VALUES (1, 'bc0e8916-ca49-41d8-9c97-eb6b286dcc78', 7, 'https://hooks.example.org/cp',"
                " 'upload', 'v1', '{\"status\": \"started\"}', 'succeeded', 1, 0, 'local',"
                " '2026-01-02 03:04:06')"
            )
        )
        c.execute(
            text(
                "INSERT INTO attempt (id, delivery_id, number, started_at, url, request_headers,"
                " request_body, response_code) VALUES (1, 1, 1, '2026-01-02 03:04:06',"
                " 'https://hooks.example.org/cp', '{}', '{\"status\": \"started\"}', 200)"
            )
        )
        c.execute(
            text(
                "INSERT INTO attempt (id, delivery_id, number, retried_attempt_id, started_at,"
                " url, request_headers, request_body, response_code) VALUES (2, 1, 2, 1,"
                " '2026-01-02 03:09:06', 'https://hooks.example.org/cp', '{}', '{}', 200)"
            )
        )
    engine.dispose()

    db = Database.open(url)
    assert current_revision(db.engine) == head_revision()
    from webhook_desk.services import registrations

    with db.session() as session:
        reg = registrations.get(session, 7)
        assert (reg.name, reg.url, reg.event_codes, reg.validation_state) == (
            "Sleep lab",
            "https://hooks.example.org/cp",
            ["upload"],
            "validated",
        )
        assert reg.created_at.isoformat() == "2026-01-02T03:04:05+00:00"
        first, retry = session.get(Delivery, 1).attempts
        assert (first.request_body, first.response_code) == ('{"status": "started"}', 200)
        assert retry.retried_attempt_id == first.id


def test_start_up_creates_every_table_on_postgresql_too(pg_db):
    tables = set(inspect(pg_db.engine).get_table_names())
    assert {
        "registration",
        "secret_version",
        "event_type",
        "delivery",
        "attempt",
        "received_request",
        "audit_entry",
    } <= tables
    assert current_revision(pg_db.engine) == head_revision()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_db):
    with sqlite_db.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000

"""Demo data: a working set of registrations and a history that looks like the real thing."""

from sqlalchemy import func, select

from webhook_desk.db.models import Attempt, Delivery


def test_demo_adds_registrations_and_a_month_of_mixed_history(cli, sqlite_db, memory_keyring):
    result = cli("demo", "--deliveries", "3000")
    assert result.code == 0, result.err
    regs = cli("registrations", "list", "--all", "--json").json()
    assert any(r["is_development"] and r["url"].startswith("http://127.0.0.1:8787/") for r in regs)
    assert all(r["last_delivery_at"] and r["last_delivery_status"] for r in regs)
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 3000
        assert session.scalar(select(func.count(Attempt.id))) > 3000
        codes = set(session.scalars(select(Delivery.response_code).distinct()))
        studies = set(session.scalars(select(Delivery.study_id).distinct()))
        events = set(session.scalars(select(Delivery.event_code).distinct()))
        first, last = session.execute(
            select(func.min(Delivery.created_at), func.max(Delivery.created_at))
        ).one()
        retried = session.scalar(select(func.count()).where(Delivery.attempt_count > 1))
        uuids = session.scalar(select(func.count(Delivery.uuid.distinct())))
    assert {200, 500, None} <= codes and len(codes) >= 6
    assert len(studies) >= 3 and len(events) >= 4
    assert (last - first).days >= 25
    assert retried > 0 and uuids == 3000


def test_demo_runs_twice_without_clashing_ids(cli, sqlite_db, memory_keyring):
    assert cli("demo", "--deliveries", "200").code == 0
    assert cli("demo", "--deliveries", "200").code == 0
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 400


def test_demo_on_a_database_with_data_adds_history_not_duplicate_registrations(
    cli, sqlite_db, memory_keyring
):
    assert cli("demo", "--deliveries", "100").code == 0
    first = cli("registrations", "list", "--all", "--json").json()
    again = cli("demo", "--deliveries", "100")
    assert again.code == 0
    assert again.out.startswith("Added 0 registrations, 100 deliveries")
    regs = cli("registrations", "list", "--all", "--json").json()
    assert sorted(r["id"] for r in regs) == sorted(r["id"] for r in first)
    assert len({r["name"] for r in regs}) == len(regs)


def test_a_large_demo_load_rebuilds_the_history_indexes_on_postgresql(cli, pg_db, memory_keyring):
    """Over the bulk threshold the indexes are dropped and rebuilt; they must all be back."""
    from sqlalchemy import inspect

    import webhook_desk.services.demo as demo

    before = {ix["name"] for ix in inspect(pg_db.engine).get_indexes("delivery")}
    saved, demo.BULK_INDEX_THRESHOLD = demo.BULK_INDEX_THRESHOLD, 100
    try:
        assert cli("demo", "--deliveries", "500", db=pg_db).code == 0
    finally:
        demo.BULK_INDEX_THRESHOLD = saved
    after = {ix["name"] for ix in inspect(pg_db.engine).get_indexes("delivery")}
    assert before == after and "ix_delivery_study_created" in after
    with pg_db.session() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 500
        subjects = session.scalars(select(Delivery.subject_id).limit(50)).all()
    assert any(s and s.isdigit() for s in subjects)


def test_a_bulk_demo_load_is_searchable_by_payload_text_and_keeps_indexing_after(
    cli, sqlite_db, memory_keyring, tmp_path
):
    import webhook_desk.services.demo as demo

    saved, demo.BULK_INDEX_THRESHOLD = demo.BULK_INDEX_THRESHOLD, 100
    try:
        assert cli("demo", "--deliveries", "400").code == 0
    finally:
        demo.BULK_INDEX_THRESHOLD = saved
    found = cli("history", "--text", "TAS1F39160412", "--limit", "1000", "--json").json()
    with sqlite_db.session() as session:
        expected = session.scalar(
            select(func.count()).where(Delivery.payload.contains("TAS1F39160412"))
        )
    assert expected > 0 and len(found) == expected
    payload = tmp_path / "upload.json"
    payload.write_text(
        '{"status": "error", "message": "Upload of TAS1Z99999999 failed", "uploadId": "1",'
        ' "subjectId": "2", "studyId": "3"}'
    )
    assert cli("fire", "upload", "--url", "https://x.org/h", "--payload", str(payload)).code == 0
    assert len(cli("history", "--text", "TAS1Z99999999", "--json").json()) == 1


def _journal_mode(path) -> str:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_bulk_load_alone_on_the_file_leaves_it_in_wal_mode_with_everything_written(
    cli, tmp_path, memory_keyring
):
    path = tmp_path / "alone.sqlite3"
    assert cli("demo", "--deliveries", "300", db=f"sqlite:///{path}").code == 0
    assert _journal_mode(path) == "wal"
    history = cli("history", "--limit", "1000", "--json", db=f"sqlite:///{path}").json()
    assert len(history) == 300


def test_a_bulk_load_beside_another_open_connection_still_works(cli, sqlite_db, memory_keyring):
    path = sqlite_db.engine.url.database
    with sqlite_db.engine.connect() as other:  # e.g. a GUI with the same file open
        other.exec_driver_sql("SELECT 1")
        assert cli("demo", "--deliveries", "300").code == 0
    assert _journal_mode(path) == "wal"
    with sqlite_db.session() as session:
        assert session.scalar(select(func.count(Delivery.id))) == 300

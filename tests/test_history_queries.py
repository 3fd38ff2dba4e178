"""Filtering the history: every filter, alone and together, on SQLite and PostgreSQL, paged
by key; text within payloads found through its index whether it is rare or common."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from webhook_desk.db import Database
from webhook_desk.db.migrate import upgrade
from webhook_desk.db.models import Delivery
from webhook_desk.history import payload_text, queries
from webhook_desk.history.queries import Filters

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def add_deliveries(db, specs) -> None:
    """specs: (minutes after START, study, subject, status, code, payload dict)."""
    with db.session() as session:
        for minutes, study, subject, status, code, payload in specs:
            session.add(
                Delivery(
                    uuid=str(uuid.uuid4()),
                    target_url="https://hooks.example.org/cp",
                    event_code="upload",
                    payload=json.dumps(payload),
                    study_id=study,
                    subject_id=subject,
                    status=status,
                    response_code=code,
                    created_at=START + timedelta(minutes=minutes),
                )
            )


def found(db, filters, limit=100) -> list[str]:
    with db.session() as session:
        return [d.subject_id for d in queries.list_deliveries(session, filters, limit).rows]


@pytest.fixture
def history(any_db):
    cp8 = {"studyId": "8"}
    ecg = {"study_id": 189}
    add_deliveries(
        any_db,
        [
            (1, "8", "2358", "succeeded", 200, {**cp8, "subjectId": "2358", "status": "completed"}),
            (2, "8", "2359", "failed", 503, {**cp8, "subjectId": "2359", "status": "error"}),
            (3, "189", "19525", "failed", 404, {**ecg, "subject_id": 19525, "n": "PT-100977 nack"}),
            (
                4,
                "189",
                "19526",
                "succeeded",
                204,
                {**ecg, "subject_id": 19526, "status": "started"},
            ),
            (5, "8", "2358", "pending", None, {**cp8, "subjectId": "2358", "status": "started"}),
        ],
    )
    return any_db


@pytest.mark.parametrize(
    ("filters", "subjects"),
    [
        (Filters(subject="2358"), ["2358", "2358"]),
        (Filters(study="189"), ["19526", "19525"]),
        (Filters(text="completed"), ["2358"]),
        (Filters(text="PT-100977"), ["19525"]),
        (Filters(text="PT-1009"), ["19525"]),  # a word typed in part
        (Filters(text="STARTED"), ["2358", "19526"]),
        (Filters(text="no such words"), []),
        (Filters(include_codes="5xx,404"), ["19525", "2359"]),
        (Filters(exclude_codes="2xx"), ["2358", "19525", "2359"]),
        (Filters(study="8", status="failed", text="error"), ["2359"]),
        (Filters(since=at(2), until=at(4)), ["19525", "2359"]),
    ],
)  # fmt: skip
def test_each_filter_finds_the_deliveries_a_user_means(history, filters, subjects):
    assert found(history, filters) == subjects
    with history.session() as session:  # the table's plain pages agree
        rows = queries.page_rows(session, filters, 100).rows
        assert [queries.row_as_dict(r)["subject_id"] for r in rows] == subjects


def test_pages_of_the_same_shape_take_their_own_values(history):
    with history.session() as session:
        for study, codes, subjects in [
            ("8", "5xx", ["2359"]),
            ("189", "4xx", ["19525"]),
            ("8", "2xx", ["2358"]),
        ]:
            page = queries.page_rows(session, Filters(study=study, include_codes=codes), 10)
            assert [queries.row_as_dict(r)["subject_id"] for r in page.rows] == subjects


def test_common_text_pages_by_key_the_same_as_rare_text(sqlite_db, monkeypatch):
    add_deliveries(
        sqlite_db,
        [(m, "8", str(m), "succeeded", 200, {"status": "completed", "n": m}) for m in range(30)],
    )
    with sqlite_db.session() as session:
        rare = [d.id for d in queries.iter_matching(session, Filters(text="completed"), 7)]
    monkeypatch.setattr(payload_text, "RARE_LIMIT", 3)  # now "completed" counts as common
    with sqlite_db.session() as session:
        common = [d.id for d in queries.iter_matching(session, Filters(text="completed"), 7)]
        assert queries.count(session, Filters(text="completed")) == 30
    assert common == rare and len(rare) == 30


def test_a_search_with_no_words_says_so(sqlite_db):
    from webhook_desk.errors import InvalidInput

    with pytest.raises(InvalidInput, match="'--' has no letters or digits"):
        found(sqlite_db, Filters(text="--"))


def test_payload_text_of_history_from_before_the_index_is_searchable(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine, "0002")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO delivery (id, uuid, target_url, event_code, event_version, payload,"
                " status, attempt_count, is_validation, source, created_at, subject_id) VALUES"
                " (1, 'bc0e8916-ca49-41d8-9c97-eb6b286dcc78', 'https://h.example.org', 'upload',"
                " 'v1', '{\"uploadId\": \"362288\"}', 'succeeded', 1, 0, 'local',"
                " '2026-01-02 03:04:06', '2358')"
            )
        )
    engine.dispose()
    db = Database.open(url)
    assert found(db, Filters(text="362288")) == ["2358"]
    db.dispose()


def test_cli_history_filters_by_subject_and_text(history, cli):
    result = cli("history", "--subject", "2358", "--text", "started", "--json", db=history)
    assert result.code == 0, result.err
    assert [(r["subject_id"], r["status"]) for r in result.json()] == [("2358", "pending")]


def test_plain_row_pages_walk_the_same_deliveries_as_full_ones(history):
    with history.session() as session:
        full = [d.id for d in queries.iter_matching(session, Filters(), 2)]
        walked, key = [], None
        while True:
            page = queries.page_rows(session, Filters(), 2, after_key=key)
            walked += [queries.row_as_dict(r)["id"] for r in page.rows]
            if page.next_key is None:
                break
            key = page.next_key
        keys, total = queries.page_keys(session, Filters(), 2)
        from_bookmark = queries.page_rows(session, Filters(), 2, first_key=keys[1]).rows
    assert walked == full and total == 5 and len(keys) == 3
    assert [queries.row_as_dict(r)["id"] for r in from_bookmark] == full[2:4]
    assert queries.row_as_dict(from_bookmark[0])["created_at"].tzinfo is not None


def test_until_a_date_includes_that_whole_day_in_the_cli_and_the_filter(history, cli):
    day = START.astimezone().date()  # the deliveries' local day
    result = cli("history", "--until", day.isoformat(), "--json", db=history)
    assert result.code == 0, result.err
    assert len(result.json()) == 5
    before = cli("history", "--until", (day - timedelta(days=1)).isoformat(), "--json", db=history)
    assert before.json() == []
    # A time is the instant itself, not the end of its day.
    assert queries.parse_until("2026-03-01T09:03+00:00", "Until") == at(3)
    assert found(history, Filters(until=queries.parse_until(day.isoformat(), "Until"))) == [
        "2358", "19526", "19525", "2359", "2358"
    ]  # fmt: skip

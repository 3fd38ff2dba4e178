"""Sorting the history by a column, either way, on SQLite and PostgreSQL: pages walked by key,
pages read from a bookmark and a delivery's row all agree with the order a user expects, with
empty values (no response code, never sent, no subject) first going up and last going down."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from webhook_desk.db.models import Delivery
from webhook_desk.history import queries
from webhook_desk.history.queries import Filters
from webhook_desk.history.sort_order import SORT_COLUMNS, Sort, parse_sort

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# (minutes, event, status, code, attempts, sent after minutes, study, subject): equal times,
# codes and subjects on purpose, so ties are broken by time and id.
SPECS = [
    (1, "upload", "succeeded", 200, 1, 1, "8", "2358"),
    (1, "upload", "failed", 503, 3, 9, "8", None),
    (2, "vitals.created", "pending", None, 0, None, "189", "19525"),
    (2, "upload", "failed", 404, 2, 4, "189", "19525"),
    (3, "ecg.created", "succeeded", 200, 1, 3, None, None),
    (4, "upload", "pending", None, 1, 5, "8", "2358"),
    (4, "upload", "succeeded", 204, 1, 4, "8", "2401"),
    (5, "vitals.created", "failed", 503, 2, None, "189", "19526"),
]
ATTRIBUTE = {
    "created": "created_at",
    "event": "event_code",
    "status": "status",
    "code": "response_code",
    "attempts": "attempt_count",
    "last-sent": "last_sent_at",
    "study": "study_id",
    "subject": "subject_id",
}


@pytest.fixture
def history(any_db):
    with any_db.session() as session:
        for minutes, event, status, code, attempts, sent, study, subject in SPECS:
            session.add(
                Delivery(
                    uuid=str(uuid.uuid4()),
                    target_url="https://hooks.example.org/cp",
                    event_code=event,
                    payload=json.dumps({"n": minutes}),
                    study_id=study,
                    subject_id=subject,
                    status=status,
                    response_code=code,
                    attempt_count=attempts,
                    created_at=START + timedelta(minutes=minutes),
                    last_sent_at=None if sent is None else START + timedelta(minutes=sent),
                )
            )
    return any_db


def expected(db, sort: Sort) -> list[int]:
    """The ids in the order a user expects: by the column, empty first going up, then by
    time and id the same way."""
    with db.session() as session:
        rows = [
            (getattr(d, ATTRIBUTE[sort.column]), d.created_at, d.id)
            for d in session.query(Delivery)
        ]
    rows.sort(key=lambda r: (r[0] is not None, r[0] or 0, r[1], r[2]), reverse=sort.descending)
    return [r[2] for r in rows]


SORTS = [Sort(c, d) for c in ATTRIBUTE for d in (False, True)]


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: s.text())
def test_every_column_sorts_both_ways_page_by_page(history, sort):
    order = expected(history, sort)
    with history.session() as session:
        walked, key = [], None
        while True:  # the table's plain pages, three at a time
            page = queries.page_rows(session, Filters(), 3, after_key=key, sort=sort)
            walked += [queries.row_as_dict(r)["id"] for r in page.rows]
            if page.next_key is None:
                break
            key = page.next_key
        full, key = [], None
        while True:  # the CLI's pages of deliveries
            listed = queries.list_deliveries(session, Filters(), 3, after_key=key, sort=sort)
            full += [d.id for d in listed.rows]
            if listed.next_key is None:
                break
            key = listed.next_key
        keys, total = queries.page_keys(session, Filters(), 3, sort)
        bookmarked = [
            queries.row_as_dict(r)["id"]
            for k in keys
            for r in queries.page_rows(session, Filters(), 3, first_key=k, sort=sort).rows
        ]
        rows = [queries.position(session, Filters(), sort, i) for i in order]
    assert walked == full == bookmarked == order
    assert total == len(SPECS) and len(keys) == 3
    assert rows == list(range(len(SPECS)))


def test_a_sort_keeps_to_the_filter_and_a_filtered_out_delivery_has_no_row(history):
    sort = Sort("code", descending=True)
    filters = Filters(study="8")
    with history.session() as session:
        page = queries.page_rows(session, filters, 10, sort=sort)
        listed = [queries.row_as_dict(r) for r in page.rows]
        other = session.query(Delivery).filter(Delivery.study_id == "189").first().id
        assert queries.position(session, filters, sort, other) is None
    assert [r["response_code"] for r in listed] == [503, 204, 200, None]
    assert {r["study_id"] for r in listed} == {"8"}


@pytest.mark.parametrize(
    ("text", "sort"),
    [
        ("status", Sort("status", False)),
        ("Status:DESC", Sort("status", True)),
        ("last_sent:asc", Sort("last-sent", False)),
        ("last sent:desc", Sort("last-sent", True)),
    ],
)
def test_sort_options_read_as_a_user_writes_them(text, sort):
    assert parse_sort(text) == sort


NOT_A_COLUMN = f"'colour' is not a column History sorts by; use one of {', '.join(SORT_COLUMNS)}."


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("colour", NOT_A_COLUMN),
        ("status:up", "'up' is not a sort direction; add :asc or :desc."),
    ],
)
def test_cli_history_refuses_a_sort_it_cannot_do_in_one_sentence(history, cli, text, sentence):
    result = cli("history", "--sort", text, db=history)
    assert result.code != 0
    assert len(result.err.strip().splitlines()) == 1
    assert sentence in result.err


def test_cli_history_sorts_by_a_column(history, cli):
    result = cli("history", "--sort", "code:desc", "--limit", "3", "--json", db=history)
    assert result.code == 0, result.err
    assert [r["id"] for r in result.json()] == expected(history, Sort("code", True))[:3]

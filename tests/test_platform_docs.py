"""The platform's published examples, kept as fixtures: every payload in ActiGraph's webhook
documentation is accepted by the catalog, through the service and through `events validate`.

tests/fixtures/centrepoint_docs/*.json hold each example's headers and body copied verbatim
from actigraph/CentrePointWebhookDocumentation ("source" names the page).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webhook_desk.services import catalog

DOCS = Path(__file__).parent / "fixtures" / "centrepoint_docs"
EXAMPLES = sorted(DOCS.glob("*.json"))


def _example(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def session(sqlite_db):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
        yield session


def test_every_centrepoint_event_of_the_catalog_has_a_documented_example(session):
    documented = {_example(path)["event"] for path in EXAMPLES}
    events = catalog.list_events(session)
    assert documented == {e.code for e in events if e.category.module == "centrepoint"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_catalog_accepts_the_documented_example(session, path):
    example = _example(path)
    event = catalog.get_event(session, example["event"])
    assert catalog.validate_payload(event, example["payload"]) == []


@pytest.mark.parametrize(
    ("fixture", "field"),
    [
        ("cp2_daily_statistics_complete", "wearFilteredMets"),
        ("cp2_daily_statistics_complete", "awakeWearFilteredMets"),
    ],
)
def test_documented_fields_once_refused_are_in_the_examples(fixture, field):
    """The fields the closed schemas used to refuse really are in the platform's examples."""
    assert field in _example(DOCS / f"{fixture}.json")["payload"]


def test_a_failed_data_retrieval_with_its_error_message_is_accepted(session):
    example = _example(DOCS / "data_retrieval_complete.json")["payload"]
    failed = {**example, "request_status": "Error", "files": [], "error_message": "No data"}
    event = catalog.get_event(session, "data_retrieval_complete")
    assert catalog.validate_payload(event, failed) == []
    assert catalog.validate_payload(event, {**failed, "error_mesage": "x"}) == [
        "error_mesage: unexpected field"
    ]


def test_events_validate_accepts_the_cp2_example(cli):
    payload = _example(DOCS / "cp2_daily_statistics_complete.json")["payload"]
    result = cli("events", "validate", "cp2_daily_statistics_complete", stdin=json.dumps(payload))
    assert result.code == 0, result.err

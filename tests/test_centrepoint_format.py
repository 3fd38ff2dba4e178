"""CentrePoint's v3 history items and v1 history records, read and written as the platform
does, with the seeds' own samples (trailing commas and all) as fixtures."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.history import centrepoint_format as cp

FIXTURES = Path(__file__).parent / "fixtures"
SEED_HASH = "0f9G3fde-8Baf-0c83-1591-517307kpp19c"
V3_ITEM_KEYS = ["id", "webhookId", "webhookEventId", "webhookEvent", "createdDate", "lastSentDate"]
V1_RECORD_KEYS = ["Id", "WebhookId", "WebhookDeliveryHash", "WebhookEvent", "Request"]


def seed_v3_page() -> dict:
    return cp.loads_lenient((FIXTURES / "centrepoint_v3_history_seed001.json").read_text())


def seed_v1_records() -> list[dict]:
    return cp.loads_lenient((FIXTURES / "centrepoint_v1_history_seed002.json").read_text())


def a_delivery(**changes) -> Delivery:
    delivery = Delivery(
        id=7,
        uuid="3f2b8a1e-0c4d-4e5f-9a6b-7c8d9e0f1a2b",
        registration_id=3,
        target_url="https://hooks.example.org/cp",
        event_code="upload",
        payload='{"status":"completed","studyId":"8","subjectId":"2358"}',
        status="succeeded",
        response_code=200,
        source="local",
        created_at=datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
        last_sent_at=datetime(2024, 5, 1, 12, 0, 5, 250000, tzinfo=UTC),
        **changes,
    )
    delivery.attempts = [
        Attempt(
            id=11,
            number=1,
            started_at=datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
            url=delivery.target_url,
            request_headers={
                "Content-Type": "application/json",
                "X-ActiGraph-Delivery": delivery.uuid,
            },
            request_body=None,
            response_code=None,
            error="Read timed out",
        ),
        Attempt(
            id=12,
            number=2,
            started_at=datetime(2024, 5, 1, 12, 0, 5, 250000, tzinfo=UTC),
            url=delivery.target_url,
            request_headers={
                "Authorization": "Basic Y3A6c2VjcmV0LXZhbHVl",
                "X-Client-Cert-Used": "false",
            },
            request_body=None,
            response_code=200,
            response_headers={"Server": "nginx"},
            response_body="",
        ),
    ]
    return delivery


def test_seed_001_v3_page_with_trailing_comma_reads_as_one_delivery_with_two_attempts():
    page = seed_v3_page()
    [found] = cp.group(cp.from_v3_item(item) for item in page["items"])
    assert found.delivery["uuid"] == SEED_HASH
    assert found.delivery["event_code"] == "raw_processing_complete"
    assert (found.delivery["study_id"], found.delivery["subject_id"]) == ("8", "2358")
    assert found.delivery["status"] == "failed"  # the later try could not resolve the domain
    assert found.delivery["error"].endswith("Failed to resolve domain")
    assert [a["response_code"] for a in found.attempts] == [200, None]
    assert found.attempts[0]["request_headers"]["X-ActiGraph-Delivery"] == SEED_HASH
    assert found.attempts[0]["request_body"] is None  # the delivery's payload, stored once
    assert json.loads(found.delivery["payload"])["uploadId"] == "362288"
    assert found.delivery["last_sent_at"] == datetime(2019, 6, 4, 21, 27, tzinfo=UTC)


def test_seed_002_v1_records_group_on_delivery_hash_in_the_order_they_were_sent():
    [found] = cp.group(cp.from_v1_record(r) for r in seed_v1_records())
    assert found.delivery["uuid"] == SEED_HASH
    assert found.delivery["remote_id"] == "14"
    # 3925 failed at 00:37:55, 3924 succeeded at 08:43:12: the delivery ended well.
    assert [a["remote_id"] for a in found.attempts] == [3925, 3924]
    assert found.delivery["status"] == "succeeded"
    assert found.delivery["attempt_count"] == 2
    assert found.attempts[1]["response_headers"]["Server"] == "Apache-Coyote/1.1"


@pytest.mark.parametrize(
    ("event", "platform_id"),
    [
        ("upload", 3),
        ("data_retrieval_complete", 4),
        ("raw_processing_complete", 5),
        ("daily_statistics_complete", None),  # the platform publishes no id for it
    ],
)
def test_exports_give_the_platforms_webhook_event_id(event, platform_id):
    delivery = a_delivery()
    delivery.event_code = event
    [item, _] = cp.to_v3_items(delivery)
    assert item["webhookEventId"] == platform_id


def test_v3_items_carry_the_seed_field_names_and_never_a_credential():
    items = cp.to_v3_items(a_delivery())
    assert list(items[0])[:6] == V3_ITEM_KEYS
    assert items[0]["errorMessage"] == "Read timed out" and "response" not in items[0]
    assert items[1]["response"] == {
        "responseCode": 200,
        "headers": '{"Server": ["nginx"]}',
        "body": "",
    }
    headers = json.loads(items[1]["request"]["headers"])
    assert headers["Authorization"] == ["Basic [redacted]"]
    assert "Y3A6c2VjcmV0LXZhbHVl" not in json.dumps(items)
    assert items[1]["lastSentDate"] == "2024-05-01T12:00:05"
    assert items[0]["request"]["body"] == a_delivery().payload


def test_v1_records_carry_the_seed_field_names_and_its_time_format():
    records = cp.to_v1_records(a_delivery())
    assert list(records[1])[:5] == V1_RECORD_KEYS
    assert list(records[1])[5:] == ["Response", "Created", "LastSent"]
    assert records[0]["ErrorMessage"] == "Read timed out"
    assert records[1]["LastSent"] == "2024-05-01T12:00:05.2500000"
    assert records[1]["Created"] == "2024-05-01T12:00:00"
    assert records[1]["WebhookDeliveryHash"] == a_delivery().uuid
    assert "Y3A6c2VjcmV0LXZhbHVl" not in json.dumps(records)


@pytest.mark.parametrize(
    ("write", "read"),
    [(cp.to_v3_items, cp.from_v3_item), (cp.to_v1_records, cp.from_v1_record)],
)
def test_written_history_reads_back_to_the_same_delivery(write, read):
    original = a_delivery()
    [found] = cp.group(read(x) for x in json.loads(json.dumps(write(original))))
    assert found.delivery["uuid"] == original.uuid
    assert found.delivery["payload"] == original.payload
    assert found.delivery["status"] == "succeeded"
    assert [a["response_code"] for a in found.attempts] == [None, 200]
    assert [a["error"] for a in found.attempts] == ["Read timed out", None]


def test_the_v3_envelope_matches_the_seed_page():
    page = cp.v3_page([], total=1, limit=100, offset=0)
    assert list(page) == list(seed_v3_page())


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ([], "expected a v3 history item (a JSON object)"),
        ({"id": 1}, "a v3 history item needs webhookEvent, createdDate, request"),
        (
            {"id": 1, "webhookEvent": "upload", "createdDate": "yesterday", "request": {}},
            "createdDate 'yesterday' is not a date",
        ),
        (
            {"id": 1, "webhookEvent": "upload", "createdDate": "2019-06-03T20:41:01",
             "request": {"headers": "Content-Type: text/plain"}},
            "request.headers is not a JSON object of header names",
        ),
    ],
)  # fmt: skip
def test_a_malformed_item_says_what_is_wrong(item, message):
    with pytest.raises(cp.FormatError) as raised:
        cp.from_v3_item(item)
    assert str(raised.value) == message


@pytest.mark.parametrize("source", ["import", "centrepoint", "ecg"])
def test_history_from_the_platform_exports_the_platforms_webhook_id(source):
    from webhook_desk.db.models import Delivery
    from webhook_desk.history.centrepoint_format import webhook_id

    assert webhook_id(Delivery(source=source, remote_id="236", registration_id=5)) == 236
    assert webhook_id(Delivery(source="local", remote_id=None, registration_id=5)) == 5

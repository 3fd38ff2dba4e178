"""`webhook-desk serve`: the platform's routes over real HTTP, answered from our services and
database, behind JWT bearer tokens (seed 004 and CentrePoint seeds 000-002)."""

import os
import re
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from serve_client import Client, seed_routes
from sqlalchemy import delete, select, update

from webhook_desk.api import tokens
from webhook_desk.api.routes import ROUTES
from webhook_desk.api.server import ApiServer
from webhook_desk.db.database import Database
from webhook_desk.db.models import Attempt, EventType, Registration
from webhook_desk.platform import api_shapes
from webhook_desk.platform.mock_api import add_webhook_history
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit, catalog

SUBJECT = "integration-dev@example"
ERROR_KEYS = {"statusCode", "message", "error"}


SEED_ROUTES = seed_routes()


@pytest.fixture
def served(request, memory_keyring):
    """serve over a fresh database (SQLite, or PostgreSQL for tests that ask for any_db)."""
    db = request.getfixturevalue("any_db" if "any_db" in request.fixturenames else "sqlite_db")
    key = tokens.signing_key(SecretStore())
    with ApiServer(db, key) as api:
        client = Client(api.url, tokens.issue(key, SUBJECT, timedelta(hours=1)))
        client.db, client.key = db, key
        yield client
        client.close()


@pytest.fixture(scope="module")
def route_server(tmp_path_factory):
    """One server for the route-by-route coverage test; its calls change nothing."""
    from webhook_desk.services.startup import open_database

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('routes') / 'routes.sqlite3'}")
    key = "coverage-test-key-" * 3
    with ApiServer(db, key) as api:
        yield Client(api.url, tokens.issue(key, SUBJECT, timedelta(hours=1)))
    db.dispose()


def _error(response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["statusCode"] == status
    return body["message"]


# ---- the route table ---------------------------------------------------------------------


def test_the_seeds_list_every_route_the_issue_counts():
    assert (
        len(
            [
                r
                for r in SEED_ROUTES
                if r.startswith(("get/api", "post", "put", "patch", "delete", "get/healthcheck"))
            ]
        )
        == 53
    )
    assert "get/centrepoint/v3/Studies/{studyId}/Webhooks/{webhookId}/history" in SEED_ROUTES
    assert "get/v1/webhooks/history" in SEED_ROUTES  # fmt: skip


@pytest.mark.parametrize("route", SEED_ROUTES)
def test_every_route_of_the_seeds_is_served(route_server, route):
    method, path = re.match(r"(get|post|put|patch|delete)(/.*)", route).groups()
    assert route in {r.key for r in ROUTES}, f"{route} is not in the route table"
    concrete = re.sub(r"\{[^}]+\}", "0", path)
    answer = route_server.request(method.upper(), concrete, json={} if method != "get" else None)
    assert answer.status_code not in (404, 405) or "No endpoint" not in answer.text
    assert answer.status_code != 405, answer.text


# ---- tokens ------------------------------------------------------------------------------


def test_nothing_but_the_health_check_is_served_without_a_valid_token(served):
    stranger = Client(served.base, None)
    assert stranger.get("/healthcheck").json()["status"] == "ok"
    assert "bearer token is required" in _error(stranger.get("/api/webhook-categories"), 401)
    expired = tokens.issue(served.key, SUBJECT, timedelta(hours=1), now=_hours_ago(2))
    late = Client(served.base, expired).get("/api/webhook-categories")
    assert "expired" in _error(late, 401)
    assert late.headers["WWW-Authenticate"].startswith("Bearer")
    forged = tokens.issue("not-the-servers-key" * 3, SUBJECT, timedelta(hours=1))
    assert "not signed by this server" in _error(
        Client(served.base, forged).post("/api/webhook-categories", json={}), 401
    )
    assert "not a valid token" in _error(
        Client(served.base, "abc").get("/api/seed-data/versions"), 401
    )


def _hours_ago(hours: int):
    from datetime import UTC, datetime

    return datetime.now(UTC) - timedelta(hours=hours)


def test_serve_token_prints_a_token_signed_with_the_keyring_key(cli, served, memory_keyring):
    result = cli("serve", "token", "--expires", "30m", "--subject", "ci-bot")
    assert result.code == 0, result.err
    token = result.out.strip()
    assert tokens.subject_of(served.key, f"Bearer {token}") == "ci-bot"
    assert Client(served.base, token).get("/api/seed-data/versions").status_code == 200
    assert ("webhook-desk", tokens.SIGNING_KEY) in memory_keyring.values


def test_a_bad_expiry_is_one_sentence(cli, memory_keyring):
    result = cli("serve", "token", "--expires", "soon")
    assert result.code == 1
    assert (
        result.err
        == "webhook-desk: --expires 'soon' is not a duration; write e.g. 8h, 30m or 2d.\n"
    )


# ---- categories, events, samples ---------------------------------------------------------


def _new_category(client, code="glucose") -> dict:
    made = client.post("/api/webhook-categories", json={"name": "Glucose", "code": code})
    assert made.status_code == 201, made.text
    return made.json()


def _new_event(client, category: dict, version="v1") -> dict:
    made = client.post(
        f"/api/webhook-categories/{category['id']}/webhook-events",
        json={"name": "Reading", "code": "glucose.reading", "version": version,
              "description": "One CGM reading"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    return made.json()


def test_a_category_and_event_made_over_http_are_in_events_list_audited_as_the_token(
    served, cli, any_db
):
    category = _new_category(served)
    assert set(category) >= {"id", "name", "description", "code", "archiveInfo", "auditInfo",
                             "activeInfo"}  # fmt: skip
    event = _new_event(served, category)
    assert event["webhookCategory"]["code"] == "glucose" and event["version"] == "v1"
    listed = cli("events", "list", "--json", db=any_db).json()
    assert {"code": "glucose.reading", "version": "v1", "category": "glucose"}.items() <= next(
        e for e in listed if e["code"] == "glucose.reading"
    ).items()
    assert served.get(f"/api/webhook-categories/{category['id']}/webhook-events").json()[0][
        "id"] == event["id"]  # fmt: skip
    with any_db.session() as session:
        actors = {(e.actor, e.action) for e in audit.entries(session, 2)}
    assert actors == {(SUBJECT, "category.create"), (SUBJECT, "event.create")}


def test_an_event_made_in_the_cli_catalog_is_served(served, sqlite_db):
    from webhook_desk.services import catalog_edits

    with sqlite_db.session() as session:
        catalog_edits.create_category(session, "sleep", "Sleep")
    codes = [c["code"] for c in served.get("/api/webhook-categories?take=100").json()]
    assert "sleep" in codes


def test_a_json_patch_changes_only_what_its_tests_allow(served):
    category = _new_category(served)
    path = f"/api/webhook-categories/{category['id']}"
    guarded = [
        {"op": "test", "path": "/name", "value": "Glucose"},
        {"op": "replace", "path": "/name", "value": "Glucose readings"},
    ]
    changed = served.patch(path, json=guarded)
    assert changed.status_code == 200 and changed.json()["name"] == "Glucose readings"
    assert "test failed" in _error(served.patch(path, json=guarded), 409)
    assert served.get(path).json()["name"] == "Glucose readings"


@pytest.mark.parametrize(
    "body, status, words",
    [
        ('{"op": "replace"', 400, "not JSON"),
        ('{"op": "replace", "path": "/name", "value": "x"}', 400, "array of operations"),
        ('[{"op": "replace", "path": "/nothere/x", "value": 1}]', 400, "'nothere' not found"),
        ('[{"op": "jump", "path": "/name"}]', 400, "cannot be applied"),
        ('[{"op": "replace", "path": "/id", "value": "x"}]', 422, "id cannot be changed"),
        ('[{"op": "replace", "path": "/name", "value": ""}]', 422, "needs a name"),
    ],
)
def test_a_bad_patch_gets_the_seed_error_shape_and_changes_nothing(served, body, status, words):
    category = _new_category(served)
    path = f"/api/webhook-categories/{category['id']}"
    answer = served.patch(path, data=body, headers={"Content-Type": "application/json"})
    assert words in _error(answer, status)
    assert served.get(path).json() == category


def test_an_event_walks_through_its_statuses_and_refuses_a_conflicting_one(served):
    event = _new_event(served, _new_category(served))
    path = f"/api/webhook-categories/{event['webhookCategory']['id']}/webhook-events/{event['id']}"
    assert served.post(path + "/deactivate").json() == {"value": True}
    assert served.get(path).json()["activeInfo"]["isActive"] is False
    served.post(path + "/archive")
    assert "restore it before" in _error(served.post(path + "/activate"), 409)
    served.post(path + "/restore")
    shown = served.get(path).json()
    assert shown["archiveInfo"]["isArchived"] is False and shown["activeInfo"]["isActive"] is False


def test_sample_payloads_are_added_patched_and_deleted_against_the_schema(served):
    category = _new_category(served)
    event = served.post(
        f"/api/webhook-categories/{category['id']}/webhook-events",
        json={"name": "Reading", "code": "glucose.reading", "version": "v1",
              "jsonSchema": {"type": "object", "required": ["mgdl"],
                             "properties": {"mgdl": {"type": "integer"}}}},
    ).json()  # fmt: skip
    samples = (
        f"/api/webhook-categories/{category['id']}/webhook-events/{event['id']}/sample-payloads"
    )
    assert "mgdl" in _error(served.post(samples, json={"payload": {"mg": 1}, "version": "v1"}), 422)
    made = served.post(samples, json={"payload": {"mgdl": 100}, "version": "v1"})
    assert made.status_code == 201 and made.json()["payload"] == '{"mgdl": 100}'
    patch = [{"op": "replace", "path": "/payload/mgdl", "value": 120}]
    assert served.patch(samples + "?version=v1", json=patch).json()["payload"] == '{"mgdl": 120}'
    wrong = [{"op": "replace", "path": "/payload/mgdl", "value": "high"}]
    assert "mgdl" in _error(served.patch(samples + "?version=v1", json=wrong), 422)
    assert served.get(samples + "?version=v1").json()["payload"] == '{"mgdl": 120}'
    assert served.delete(samples + "?version=v1").json() == {"value": True}
    assert served.get(samples + "?version=v1").status_code == 404


def test_deleting_what_is_still_used_is_a_conflict(served):
    event = _new_event(served, _new_category(served))
    category_path = f"/api/webhook-categories/{event['webhookCategory']['id']}"
    assert "delete them first" in _error(served.delete(category_path), 409)
    served.post(
        "/api/organizations/org-7/webhook-subscriptions",
        json={"postUri": "https://example.org/hook", "events": ["glucose.reading"],
              "isDevelopment": False},
    )  # fmt: skip
    event_path = f"{category_path}/webhook-events/{event['id']}"
    assert "subscribe to 'glucose.reading'" in _error(served.delete(event_path), 409)


def test_unknown_ids_are_404_in_the_seed_shape(served):
    assert "was not found" in _error(served.get("/api/webhook-categories/nope"), 404)
    assert "was not found" in _error(
        served.patch("/api/organizations/o/webhook-subscriptions/nope", json=[]), 404
    )


# ---- subscriptions -----------------------------------------------------------------------


ORG = "/api/organizations/org-7/webhook-subscriptions"


def _subscribe(client, **changes) -> dict:
    body = {"postUri": "https://example.org/hook", "events": ["vitals.observations.created"],
            "version": "v1", "isDevelopment": False} | changes  # fmt: skip
    made = client.post(ORG, json=body)
    assert made.status_code == 201, made.text
    return made.json()


def test_a_subscription_made_over_http_is_a_registration_the_cli_lists(served, cli, any_db):
    made = _subscribe(served)
    assert made["secretKey"] and made["organizationId"] == "org-7"
    listed = cli("registrations", "list", "--json", db=any_db).json()
    assert [(r["organization_id"], r["url"], r["auth_type"]) for r in listed] == [
        ("org-7", "https://example.org/hook", "hmac")
    ]
    shown = served.get(f"{ORG}/{made['id']}").json()
    assert shown["secretKey"] is None  # shown once, when made
    assert served.get(ORG).json()[0]["id"] == made["id"]


def test_a_registration_added_in_the_cli_is_a_served_subscription(served, cli, sqlite_db):
    added = cli("registrations", "add", "--url", "https://example.org/h", "--organization",
                "org-7", "--events", "phone.logs.created", "--auth", "hmac")  # fmt: skip
    assert added.code == 0, added.err
    [shown] = served.get(ORG).json()
    assert shown["postUri"] == "https://example.org/h" and shown["events"] == ["phone.logs.created"]


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"postUri": "http://example.org/hook"}, "only a development registration"),
        ({"events": ["no.such.event"]}, "no event 'no.such.event'"),
    ],
)
def test_a_subscription_that_breaks_a_rule_is_422(served, changes, words):
    answer = served.post(ORG, json={"postUri": "https://example.org/hook", "isDevelopment": False}
                         | changes)  # fmt: skip
    assert words in _error(answer, 422)
    assert served.get(ORG).json() == []


def test_a_subscription_is_patched_and_loses_one_event(served, any_db):
    made = _subscribe(served)
    path = f"{ORG}/{made['id']}"
    patch = [
        {"op": "test", "path": "/isDevelopment", "value": False},
        {"op": "add", "path": "/events/-", "value": "phone.logs.created"},
    ]
    patched = served.patch(path, json=patch).json()
    assert patched["events"] == ["phone.logs.created", "vitals.observations.created"]
    insecure = [{"op": "replace", "path": "/postUri", "value": "http://example.org/x"}]
    assert "development" in _error(served.patch(path, json=insecure), 422)
    with any_db.session() as session:
        phone_id = api_shapes.event_id(catalog.get_event(session, "phone.logs.created", "v1"))
    assert served.delete(f"{path}/events/{phone_id}").json() == {"value": True}
    assert served.get(path).json()["events"] == ["vitals.observations.created"]
    assert "has no event" in _error(served.delete(f"{path}/events/{phone_id}"), 404)


def test_a_subscription_is_deactivated_archived_and_restored(served, cli, sqlite_db):
    made = _subscribe(served)
    path = f"{ORG}/{made['id']}"
    served.post(path + "/deactivate")
    assert served.get(path).json()["activeInfo"]["isActive"] is False
    served.post(path + "/archive")
    assert "cannot be enabled" in _error(served.post(path + "/activate"), 409)
    served.post(path + "/restore")
    assert cli("registrations", "show", "1", "--json").json()["status"] == "disabled"
    assert served.delete(path).json() == {"value": True}
    assert served.get(path).status_code == 404


def test_secrets_are_rotated_and_set_without_ever_being_shown_again(served, memory_keyring):
    made = _subscribe(served)
    path = f"{ORG}/{made['id']}"
    assert served.put(path + "/secrets").json() == {"value": True}
    entry = served.post(path + "/webhook-secret-histories", json={"secretKey": "ecg-secret-key"})
    assert entry.status_code == 201 and entry.json()["version"] == 3
    history = served.get(path + "/webhook-secret-histories").text
    assert "ecg-secret-key" not in history and made["secretKey"] not in history
    assert "ecg-secret-key" in memory_keyring.values.values()


# ---- its own process, the real keyring ---------------------------------------------------


def test_serve_in_its_own_process_answers_with_a_token_from_the_real_keyring(
    tmp_path, secret_service
):
    env = {**os.environ, "WEBHOOK_DESK_DB": f"sqlite:///{tmp_path / 'served.sqlite3'}"}
    command = [sys.executable, "-m", "webhook_desk.cli"]
    token = subprocess.run(
        [*command, "serve", "token"], env=env, capture_output=True, text=True, timeout=60
    )
    assert token.returncode == 0, token.stderr
    process = subprocess.Popen(
        [*command, "serve", "--port", "0"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert line.startswith("Serving the platform API at http://127.0.0.1:"), (
            process.stderr.read()
        )
        client = Client(line.split()[5].rstrip(";"), token.stdout.strip())
        made = client.post("/api/webhook-categories", json={"name": "Sleep", "code": "sleep"})
        assert made.status_code == 201, made.text
        assert client.get(f"/api/webhook-categories/{made.json()['id']}").json()["code"] == "sleep"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


# ---- activity, outcomes, payload hash ----------------------------------------------------


ECG_ORG = "7152ff07-72b4-4934-b96c-9283003188a1"  # a UUID, as the module's payloads want


def _vitals(client) -> tuple[dict, dict]:
    """The vitals v1 event as served, and its sample payload."""
    vitals = next(c for c in client.get("/api/webhook-categories?take=100").json()
                  if c["code"] == "vitals")  # fmt: skip
    events = client.get(f"/api/webhook-categories/{vitals['id']}/webhook-events").json()
    event = next(e for e in events if e["version"] == "v1")
    path = f"/api/webhook-categories/{vitals['id']}/webhook-events/{event['id']}"
    sample = client.get(path + "/sample-payloads?version=v1").json()["payload"]
    return event, __import__("json").loads(sample)


def _ecg_subscription(client) -> str:
    made = client.post(
        f"/api/organizations/{ECG_ORG}/webhook-subscriptions",
        json={"postUri": "https://example.org/hook", "events": ["vitals.observations.created"],
              "version": "v1", "isDevelopment": False},
    )  # fmt: skip
    return f"/api/organizations/{ECG_ORG}/webhook-subscriptions/{made.json()['id']}"


def test_a_posted_activity_is_queued_for_the_engine_and_its_outcome_settles_it(served, cli):
    base = _ecg_subscription(served)
    event, sample = _vitals(served)
    posted = served.post(base + "/activity", json={"type": 1, "payload": sample, "rawMessage": {},
                                                   "eventId": event["id"]})  # fmt: skip
    assert posted.status_code == 201, posted.text
    activity = posted.json()
    assert activity["success"] is False and activity["httpStatusCode"] is None
    assert activity["event"]["code"] == "vitals.observations.created"
    history = cli("history", "--json").json()
    assert [(d["delivery_id"], d["status"]) for d in history] == [(activity["id"], "pending")]
    nested = served.get(f"{base}/activity/{activity['id']}?mode=nested").json()
    assert nested["level"] == 1 and nested["childPostHistory"] == []
    outcome = {"originalActivityId": activity["id"], "success": True, "httpStatusCode": 200,
               "error": "", "rawResponse": {"vitals": 100}}  # fmt: skip
    recorded = served.post(f"{base}/activity/{activity['id']}/outcomes", json=outcome)
    assert recorded.status_code == 201 and recorded.json()["success"] is True
    assert cli("history", "--json").json()[0]["status"] == "succeeded"
    assert served.get(f"{base}/activity?status=succeeded").json()[0]["httpStatusCode"] == 200
    again = served.post(f"{base}/activity/{activity['id']}/retry")
    assert again.status_code == 201 and again.json()["retryingFromPostId"] == activity["id"]


@pytest.mark.parametrize(
    "outcome, words",
    [
        ({"success": True, "httpStatusCode": 500}, "2xx"),
        ({"success": "yes", "httpStatusCode": 200}, "true or false"),
        ({"success": False, "httpStatusCode": 999}, "100 to 599"),
    ],
)
def test_a_contradictory_outcome_is_422_and_records_nothing(served, cli, outcome, words):
    base = _ecg_subscription(served)
    event, sample = _vitals(served)
    activity = served.post(base + "/activity", json={"payload": sample, "eventId": event["id"]})
    answer = served.post(f"{base}/activity/{activity.json()['id']}/outcomes", json=outcome)
    assert words in _error(answer, 422)
    assert cli("history", "--json").json()[0]["status"] == "pending"


def test_the_payload_hash_is_made_checked_and_read_back_with_the_subscription_secret(served):
    base = _ecg_subscription(served)
    hashes = base.replace("/webhook-subscriptions/", "/subscriptions/")
    _, sample = _vitals(served)
    made = served.post(
        hashes + "/webhooks-payloads?mode=live",
        json={"eventType": "vitals.observations.created", "version": "v1",
              "data": sample["data"]},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    payload = made.json()["payload"]
    assert re.fullmatch(r"[0-9a-f]{64}", payload["hash"])
    check = {"payload": payload["data"], "hash": payload["hash"], "createdAt": payload["createdAt"]}
    assert served.post(hashes + "/validate-hash", json=check).json() == {"valid": True}
    late = check | {"createdAt": payload["createdAt"] + 1}
    assert served.post(hashes + "/validate-hash", json=late).json() == {"valid": False}
    activity = made.json()["activity"]["id"]
    got = served.get(f"{hashes}/activity/{activity}/get-hash").json()
    assert got == {"hash": payload["hash"], "createdAt": payload["createdAt"]}


# ---- the OpenAPI document ----------------------------------------------------------------


def test_openapi_json_is_a_valid_3_1_document_of_every_route_served(route_server):
    from openapi_spec_validator import validate

    document = route_server.get("/openapi.json").json()
    validate(document)  # the independent validator, not our own reading of the spec
    documented = {f"{method}{path}" for path, ops in document["paths"].items() for method in ops}
    assert documented == {r.key for r in ROUTES} and set(SEED_ROUTES) <= documented
    health = document["paths"]["/healthcheck"]["get"]
    assert health["security"] == [] and document["security"] == [{"bearer": []}]
    patch = document["paths"]["/api/webhook-categories/{webhookCategoryId}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JsonPatch"
    }
    created = document["paths"]["/api/organizations/{organizationId}/webhook-subscriptions"]
    body = created["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"postUri", "events", "version", "isDevelopment"} <= set(body["properties"])
    assert {p["name"] for p in document["paths"]["/v1/webhooks/history"]["get"]["parameters"]} >= {
        "studyId", "IncludeResponseCodes", "ExcludeResponseCodes"}  # fmt: skip


def test_the_health_check_says_503_when_the_database_cannot_be_reached(tmp_path):
    from webhook_desk.db import Database

    unreachable = Database("postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2")
    key = "health-test-key-" * 3
    try:
        with ApiServer(unreachable, key) as api:
            health = Client(api.url, None).get("/healthcheck")
            assert health.status_code == 503
            assert health.json()["status"] == "error"
            assert health.json()["error"]["database"]["status"] == "down"
            reads = Client(api.url, tokens.issue(key, SUBJECT, timedelta(hours=1)))
            assert "Connection refused" in _error(reads.get("/api/webhook-categories"), 503)
    finally:
        unreachable.dispose()


def test_a_body_over_the_size_cap_gets_413_in_the_seed_shape(served):
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'", "code": "big"}'
    answer = served.post("/api/webhook-categories", data=big,
                         headers={"Content-Type": "application/json"})  # fmt: skip
    assert "Too Large" in _error(answer, 413)


def test_a_kept_activity_page_shows_at_once_any_write_made_outside_serve(served, any_db):
    """serve keeps activity pages (api/page_cache.py) until a write changes what they show:
    writes by another process straight into the database, as the GUI, CLI and engine make."""
    base = _ecg_subscription(served)
    page = f"{base}/activity?take=100&include=subscription,event"
    assert served.get(page).json() == []
    elsewhere = Database.open(any_db.url, migrate=False)
    try:
        with elsewhere.session() as session:
            added = add_webhook_history(session, session.scalar(select(Registration.id)), 3)
        first = served.get(page).json()
        assert len(first) == added and served.get(page).json() == first
        newest = api_shapes.attempt_id_of(first[-1]["id"])
        changes = (
            update(Attempt).where(Attempt.id == newest).values(response_code=299),
            update(Registration).values(url="https://example.org/moved"),
            update(EventType)  # the event is no longer in the catalog
            .where(EventType.code == "vitals.observations.created", EventType.version == "v1")
            .values(version="v9"),
            delete(Attempt).where(Attempt.id == newest),
        )
        shown = []
        for change in changes:
            with elsewhere.session() as session:
                session.execute(change)
            now = served.get(page).json()
            shown.append((len(now), now[-1]["httpStatusCode"], now[-1]["subscription"]["postUri"],
                          now[-1]["event"]["id"]))  # fmt: skip
    finally:
        elsewhere.dispose()
    moved = "https://example.org/moved"
    assert shown[0][:3] == (added, 299, "https://example.org/hook") and shown[0][3] is not None
    assert shown[1][:3] == (added, 299, moved)
    assert shown[2] == (added, 299, moved, None)
    assert shown[3][0] == added - 1

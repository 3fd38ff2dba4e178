"""Every route of the seeds, called once over real HTTP with real ids, on SQLite and on
PostgreSQL: the status code and the field names the seed documents for each."""

from datetime import timedelta

import pytest
from serve_client import Client, seed_routes

from webhook_desk.api import tokens
from webhook_desk.api.server import ApiServer
from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.platform import api_shapes
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, registrations

ORG = "7152ff07-72b4-4934-b96c-9283003188a1"
STUDY = "1064"
CATEGORY = {"id", "name", "description", "code", "archiveInfo", "auditInfo", "activeInfo"}
EVENT = CATEGORY | {"version", "webhookCategory"}
SUBSCRIPTION = {"id", "organizationId", "postUri", "version", "secretKey", "events",
                "isDevelopment", "auditInfo", "activeInfo", "archiveInfo"}  # fmt: skip
SAMPLE = {"id", "event", "payload", "version", "auditInfo"}
ACTIVITY = {"id", "type", "postedAt", "httpStatusCode", "payload", "rawMessage", "subscription",
            "event", "retryingFromPostId", "nextRetryAt", "rawResponse", "error", "success",
            "auditInfo"}  # fmt: skip
NESTED = {"id", "level", "type", "posted_at", "payload", "subscription", "event",
          "retryingFromPostId", "nextRetryAt", "rawResponse", "error", "success",
          "childPostHistory"}  # fmt: skip
V3_PAGE = {"items", "links", "totalCount", "limit", "offset"}
V3_WEBHOOK = {"id", "studyId", "url", "createdDate", "isDisabled", "webhookEvents"}
VALUE = {"value"}
VITALS_DATA = {"patientId": "PT-1", "deviceSerial": "ECG-1", "observedAt": "2026-03-14T08:42:10Z",
                "observations": {"heartRateBpm": 70}}  # fmt: skip


class Walk:
    """Calls routes, checks each answer's status and fields, and remembers which it called."""

    def __init__(self, client: Client):
        self.client = client
        self.visited: set[str] = set()

    def __call__(self, route: str, concrete: str, status: int, keys=None, body=None, query=""):
        method = route.split("/", 1)[0]
        answer = self.client.request(method.upper(), concrete + query, json=body)
        assert answer.status_code == status, f"{route}: {answer.status_code} {answer.text[:300]}"
        document = answer.json()
        if keys is not None:
            first = document[0] if isinstance(document, list) else document
            assert keys <= set(first), f"{route} lacks {sorted(keys - set(first))}"
        self.visited.add(route)
        return document


@pytest.fixture
def walk(any_db, memory_keyring):
    key = tokens.signing_key(SecretStore())
    with ApiServer(any_db, key) as api:
        client = Client(api.url, tokens.issue(key, "route-walk", timedelta(hours=1)))
        yield Walk(client)
        client.close()


def _validation_attempt(db, reg_id: int) -> None:
    """A handshake as the engine records one: a validation delivery and its attempt."""
    with db.session() as session:
        reg = registrations.get(session, reg_id)
        delivery = Delivery(registration_id=reg.id, target_url=reg.url, event_code="validation",
                            payload="{}", status="succeeded", is_validation=True,
                            attempt_count=1, response_code=200)  # fmt: skip
        delivery.attempts.append(Attempt(number=1, url=reg.url, request_headers={},
                                         response_code=200))  # fmt: skip
        session.add(delivery)


def test_every_seed_route_answers_its_status_and_fields(walk, any_db):
    w = walk
    w("get/healthcheck", "/healthcheck", 200, {"status", "info", "error", "details"})
    _catalog(w)
    sub, activity = _subscriptions_and_activity(w, any_db)
    _payload_hash(w, sub, activity)
    _centrepoint(w, any_db)
    w("post/api/webhook-processors/success-response",
      "/api/webhook-processors/success-response", 200, VALUE)  # fmt: skip
    w("post/api/webhook-processors/failed-response",
      "/api/webhook-processors/failed-response", 500, VALUE)  # fmt: skip
    w("get/api/webhook-deliveries/payload", "/api/webhook-deliveries/payload", 200,
      {"eventType", "version", "data"})  # fmt: skip
    _removals(w, sub)
    assert w.visited == set(seed_routes())


CAT_R = "/api/webhook-categories/{webhookCategoryId}"
EVT_R = CAT_R + "/webhook-events/{webhookEventId}"
SUB_R = "/api/organizations/{organizationId}/webhook-subscriptions/{subscriptionId}"
HASH_R = "/api/organizations/{organizationId}/subscriptions/{subscriptionId}"


def _catalog(w: Walk) -> None:
    cat = w("post/api/webhook-categories", "/api/webhook-categories", 201, CATEGORY,
            {"name": "Glucose", "code": "glucose", "description": None})  # fmt: skip
    w("get/api/webhook-categories", "/api/webhook-categories", 200, CATEGORY, query="?take=50")
    c = f"/api/webhook-categories/{cat['id']}"
    w("get" + CAT_R, c, 200, CATEGORY)
    w(
        "patch" + CAT_R,
        c,
        200,
        CATEGORY,
        [{"op": "replace", "path": "/description", "value": "CGM"}],
    )
    for action in ("archive", "restore", "deactivate", "activate"):
        w(f"post{CAT_R}/{action}", f"{c}/{action}", 200, VALUE)
    w("get/api/seed-data/versions", "/api/seed-data/versions", 200)
    evt = w(f"post{CAT_R}/webhook-events", f"{c}/webhook-events", 201, EVENT,
            {"name": "Reading", "code": "glucose.reading", "version": "v1"})  # fmt: skip
    w(f"get{CAT_R}/webhook-events", f"{c}/webhook-events", 200, EVENT, query="?order_by=DESC")
    e = f"{c}/webhook-events/{evt['id']}"
    w("get" + EVT_R, e, 200, EVENT)
    w("patch" + EVT_R, e, 200, EVENT, [{"op": "replace", "path": "/name", "value": "CGM reading"}])
    for action in ("archive", "restore", "deactivate", "activate"):
        w(f"post{EVT_R}/{action}", f"{e}/{action}", 200, VALUE)
    samples = f"{e}/sample-payloads"
    w(
        f"post{EVT_R}/sample-payloads",
        samples,
        201,
        SAMPLE,
        {"payload": {"mgdl": 1}, "version": "v1"},
    )
    w(f"get{EVT_R}/sample-payloads", samples, 200, SAMPLE, query="?version=v1")
    w(f"patch{EVT_R}/sample-payloads", samples, 200, SAMPLE,
      [{"op": "replace", "path": "/payload/mgdl", "value": 2}], query="?version=v1")  # fmt: skip
    w(f"delete{EVT_R}/sample-payloads", samples, 200, VALUE, query="?version=v1")
    w(f"delete{EVT_R}", e, 200, VALUE)
    w(f"delete{CAT_R}", c, 200, VALUE)


def _vitals_path(w: Walk) -> tuple[str, dict]:
    categories = w.client.get("/api/webhook-categories?take=50").json()
    vitals = next(c for c in categories if c["code"] == "vitals")
    events = w.client.get(f"/api/webhook-categories/{vitals['id']}/webhook-events").json()
    event = next(e for e in events if e["version"] == "v1")
    return f"/api/webhook-categories/{vitals['id']}/webhook-events/{event['id']}", event


def _subscriptions_and_activity(w: Walk, db) -> tuple[str, dict]:
    vitals, event = _vitals_path(w)
    w(f"get{EVT_R}/sample-payloads-examples", vitals + "/sample-payloads-examples", 200, SAMPLE,
      query="?type=vitals-observation")  # fmt: skip
    org = f"/api/organizations/{ORG}/webhook-subscriptions"
    made = w("post/api/organizations/{organizationId}/webhook-subscriptions", org, 201,
             SUBSCRIPTION, {"postUri": "https://example.org/hook", "version": "v1",
                            "events": ["vitals.observations.created", "phone.logs.created"],
                            "isDevelopment": False})  # fmt: skip
    w("get/api/organizations/{organizationId}/webhook-subscriptions", org, 200, SUBSCRIPTION)
    sub = f"{org}/{made['id']}"
    w("get" + SUB_R, sub, 200, SUBSCRIPTION)
    w("patch" + SUB_R, sub, 200, SUBSCRIPTION,
      [{"op": "replace", "path": "/postUri", "value": "https://example.org/v2"}])  # fmt: skip
    for action in ("deactivate", "activate"):
        w(f"post{SUB_R}/{action}", f"{sub}/{action}", 200, VALUE)
    by_event = "/api/webhook-events/vitals.observations.created/subscriptions"
    w("get/api/webhook-events/{eventCode}/subscriptions", by_event, 200, SUBSCRIPTION)
    w(f"get{SUB_R}/secrets", f"{sub}/secrets", 200, {"secretKey"})
    w(f"put{SUB_R}/secrets", f"{sub}/secrets", 200, VALUE)
    w(f"post{SUB_R}/webhook-secret-histories", f"{sub}/webhook-secret-histories", 201,
      {"secretKey"}, {"secretKey": "ecg-secret-key"})  # fmt: skip
    w(f"get{SUB_R}/webhook-secret-histories", f"{sub}/webhook-secret-histories", 200,
      {"secretKey"}, query="?include=subscription")  # fmt: skip
    with db.session() as session:
        reg_id = next(r.id for r in registrations.list_all(session) if r.organization_id == ORG)
    _validation_attempt(db, reg_id)
    activation = w(f"get{SUB_R}/activations", f"{sub}/activations", 200, ACTIVITY)[0]
    w(f"get{SUB_R}/activations/{{activationId}}", f"{sub}/activations/{activation['id']}", 200,
      ACTIVITY)  # fmt: skip
    with db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, event["code"], "v1"))
    activity = w(
        f"post{SUB_R}/activity",
        f"{sub}/activity",
        201,
        ACTIVITY,
        {"type": 1, "payload": sample, "rawMessage": {}, "eventId": event["id"]},
    )
    a = f"{sub}/activity/{activity['id']}"
    w(f"post{SUB_R}/activity/{{activityId}}/outcomes", f"{a}/outcomes", 201, ACTIVITY,
      {"originalActivityId": activity["id"], "success": False, "httpStatusCode": 503,
       "error": "down", "rawResponse": {"retry": True}})  # fmt: skip
    w(f"get{SUB_R}/activity", f"{sub}/activity", 200, ACTIVITY,
      query="?include=subscription&include=event&status=failed")  # fmt: skip
    w(f"get{SUB_R}/activity/{{activityId}}", a, 200, ACTIVITY, query="?mode=flat")
    w(f"get{SUB_R}/activity/{{activityId}}", a, 200, NESTED, query="?mode=nested")
    w(f"post{SUB_R}/activity/{{activityId}}/retry", f"{a}/retry", 201, ACTIVITY)
    return sub, activity


def _payload_hash(w: Walk, sub: str, activity: dict) -> None:
    hashes = sub.replace("/webhook-subscriptions/", "/subscriptions/")
    made = w(f"post{HASH_R}/webhooks-payloads", f"{hashes}/webhooks-payloads", 201,
             {"payload", "activity"}, {"eventType": "vitals.observations.created",
                                       "version": "v1", "data": VITALS_DATA},
             query="?mode=live")  # fmt: skip
    payload = made["payload"]
    check = {"payload": payload["data"], "hash": payload["hash"], "createdAt": payload["createdAt"]}
    assert w(f"post{HASH_R}/validate-hash", f"{hashes}/validate-hash", 200, {"valid"}, check)[
        "valid"]  # fmt: skip
    w(f"get{HASH_R}/activity/{{activityId}}/get-hash",
      f"{hashes}/activity/{activity['id']}/get-hash", 200, {"hash", "createdAt"})  # fmt: skip


def _centrepoint(w: Walk, db) -> None:
    with db.session() as session:
        data = registrations.RegistrationInput(url="https://example.org/cp", study_id=STUDY,
                                               events=["upload"])  # fmt: skip
        reg, _ = registrations.add(session, SecretStore(), data)
        reg_id = reg.id
    study = f"/centrepoint/v3/Studies/{STUDY}/Webhooks"
    hooks = w("get/centrepoint/v3/Studies/{studyId}/Webhooks", study, 200, V3_PAGE)
    assert V3_WEBHOOK <= set(hooks["items"][0])
    w("get/centrepoint/v3/Studies/{studyId}/Webhooks/{webhookId}", f"{study}/{reg_id}", 200,
      V3_WEBHOOK)  # fmt: skip
    w("get/centrepoint/v3/Studies/{studyId}/Webhooks/{webhookId}/history",
      f"{study}/{reg_id}/history", 200, V3_PAGE, query="?limit=10&offset=0")  # fmt: skip
    w("get/v1/webhooks/history", "/v1/webhooks/history", 200,
      query=f"?studyId={STUDY}&IncludeResponseCodes=200")  # fmt: skip
    assert "totalCount" in w.client.get("/centrepoint/v3/WebhookEvents").json()


def _removals(w: Walk, sub: str) -> None:
    phone_id = api_shapes.derived_id("event", "phone.logs.created/v1")
    w(f"delete{SUB_R}/events/{{eventId}}", f"{sub}/events/{phone_id}", 200, VALUE)
    for action in ("archive", "restore"):
        w(f"post{SUB_R}/{action}", f"{sub}/{action}", 200, VALUE)
    w("delete" + SUB_R, sub, 200, VALUE)

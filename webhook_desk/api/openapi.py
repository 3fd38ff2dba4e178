"""The OpenAPI 3.1 document of everything `serve` answers, made from the route table itself
(served at /openapi.json), so a client generated from it knows every route."""

from __future__ import annotations

import re

from webhook_desk import __version__
from webhook_desk.api import activity_routes as act
from webhook_desk.api import catalog_routes as cat
from webhook_desk.api import subscription_routes as sub
from webhook_desk.platform import mock_ecg_endpoints as ecg
from webhook_desk.platform import mock_endpoints as cp

PAGING = ("order_by", "skip", "take")
V3_PAGING = ("limit", "offset")
# The query parameters each read handler takes (seed 004's and CentrePoint's names).
QUERY: dict = {
    ecg.categories: PAGING,
    ecg.events: PAGING,
    ecg.subscriptions: (*PAGING, "version", "eventId"),
    ecg.activity_list: (*PAGING, "include", "status", "eventId"),
    ecg.activation_list: (*PAGING, "status"),
    ecg.secret_histories: (*PAGING, "include"),
    sub.current_secret: ("createdAt",),
    ecg.sample_payload: ("version", "name"),
    ecg.sample_examples: ("type",),
    act.get: ("mode",),
    act.payload_with_hash: ("mode", "originalActivityId"),
    cp.v3_webhooks: V3_PAGING,
    cp.v3_history: V3_PAGING,
    cp.v3_webhook_events: V3_PAGING,
    cp.v1_history: (
        "studyId",
        "startDate",
        "endDate",
        "IncludeResponseCodes",
        "ExcludeResponseCodes",
    ),
}
STRING, OBJECT = {"type": "string"}, {"type": "object"}


def _body(required: tuple[str, ...], **properties) -> dict:
    return {"type": "object", "required": list(required), "properties": properties}


# The request bodies seed 004 documents, by the handler that reads them.
BODIES: dict = {
    cat.create_category: _body(("name", "code"), name=STRING, code=STRING, description=STRING),
    cat.create_event: _body(
        ("name", "code", "version"),
        name=STRING, code=STRING, description=STRING, version=STRING, jsonSchema=OBJECT,
    ),
    cat.add_sample: _body(("payload",), payload=OBJECT, version=STRING, name=STRING),
    sub.create: _body(
        ("isDevelopment",),
        postUri=STRING, events={"type": "array", "items": STRING}, version=STRING,
        isDevelopment={"type": "boolean"}, secretKey=STRING,
    ),
    sub.add_secret: _body(("secretKey",), secretKey=STRING),
    act.post: _body(
        ("type", "payload", "rawMessage", "eventId"),
        type={"type": "number"}, payload=OBJECT, rawMessage=OBJECT, eventId=STRING,
        retryingFromPostId=STRING, postedAt={"type": "string", "format": "date-time"},
    ),
    act.record_outcome: _body(
        ("originalActivityId", "success", "httpStatusCode", "error", "rawResponse"),
        originalActivityId=STRING, success={"type": "boolean"}, httpStatusCode={"type": "number"},
        error=STRING, rawResponse={},
    ),
    act.payload_with_hash: _body(
        ("eventType", "version", "data"),
        eventType=STRING, version={"enum": ["v1", "v2"]}, data=OBJECT,
    ),
    act.validate_hash: _body(
        ("payload", "hash", "createdAt"), payload={}, hash=STRING, createdAt={"type": "number"}
    ),
}  # fmt: skip
WRITE_QUERY = ("version", "name")  # the sample payload routes name theirs by query
ERROR = {
    "type": "object",
    "description": "The ECG module's error shape; CentrePoint routes answer problem details.",
    "properties": {
        "statusCode": {"type": "integer"},
        "message": {"type": "string"},
        "error": {"type": "string"},
    },
}
JSON_PATCH = {
    "type": "array",
    "description": "RFC 6902 operations; a failed `test` leaves the record unchanged (409).",
    "items": {
        "type": "object",
        "required": ["op", "path"],
        "properties": {
            "op": {"enum": ["add", "remove", "replace", "move", "copy", "test"]},
            "path": {"type": "string"},
            "from": {"type": "string"},
            "value": {},
        },
    },
}
ERRORS = {
    "400": "Malformed JSON, a missing parameter, or a patch path that is not there",
    "401": "A missing, expired or forged bearer token",
    "404": "No record with that id",
    "409": "A change the record's state does not allow, or a failed patch test",
    "422": "A change that breaks a rule",
}


def document(routes) -> dict:
    paths: dict[str, dict] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "webhook-desk serve: ECG Webhooks Module and CentrePoint webhooks",
            "version": __version__,
        },  # fmt: skip
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "schemas": {"Error": ERROR, "JsonPatch": JSON_PATCH},
        },
        "paths": paths,
    }


def _operation(route) -> dict:
    operation = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", route.key).strip("_"),
        "summary": route.summary,
        "tags": [route.tag],
        "parameters": _parameters(route),
        "responses": {
            str(route.status): {
                "description": "Success",
                "content": {"application/json": {"schema": {}}},
            },
            **{
                status: {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                for status, text in ERRORS.items()
            },
        },
    }
    if route.public:
        operation["security"] = []
    if route.method in ("POST", "PUT", "PATCH"):
        patch = {"$ref": "#/components/schemas/JsonPatch"}
        schema = patch if route.method == "PATCH" else BODIES.get(route.handler, {})
        operation["requestBody"] = {
            "required": route.method == "PATCH" or route.handler in BODIES,
            "content": {"application/json": {"schema": schema}},
        }
    return operation


def _parameters(route) -> list[dict]:
    names = re.findall(r"\{([^}]+)\}", route.path)
    path = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]
    query = QUERY.get(route.handler, WRITE_QUERY if "sample-payloads" in route.path else ())
    return path + [{"name": n, "in": "query", "schema": {"type": "string"}} for n in query]

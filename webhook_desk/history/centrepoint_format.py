"""The delivery history in CentrePoint's own shapes: v3 history items (seeds 000/001) and v1
history records (seed 002), both ways.

The platform lists one item (v3) or record (v1) per *attempt*; the attempts of one delivery
share its hash (v1 `WebhookDeliveryHash`, v3 only inside the request's `X-ActiGraph-Delivery`
header). Export writes one item per attempt; import groups them back into a delivery with its
attempts. Credentials never leave: secret-bearing headers are redacted by the one rule
(webhook_desk/redaction.py), whatever was stored.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import String

from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.history import imported_values as check
from webhook_desk.history.imported_values import FormatError
from webhook_desk.redaction import DEFAULT, Redactor
from webhook_desk.vocabulary import DeliveryStatus

DELIVERY_HEADER = "x-actigraph-delivery"
# The columns' widths (db/models.py): a longer value is refused, never cut to fit.
DELIVERY_HASH_LENGTH = cast(String, Delivery.uuid.type).length
EVENT_CODE_LENGTH = cast(String, Delivery.event_code.type).length
STUDY_ID_LENGTH = cast(String, Delivery.study_id.type).length
# GET /centrepoint/v3/WebhookEvents: the events one can subscribe to, with the platform's own
# ids and descriptions (CentrePoint3APIDocumentation, webhook_events.md). Other events (daily
# statistics, validation) have no published id, so their webhookEventId stays null.
PLATFORM_EVENTS = {
    "data_retrieval_complete": (4, "Data retrieval completed"),
    "raw_processing_complete": (5, "Raw data processing is complete"),
    "upload": (3, "All events relating to uploads, such as started, completed and error"),
}
# A stable namespace for hashes made up for items that carry no X-ActiGraph-Delivery header.
_IMPORT_NAMESPACE = uuid.UUID("5b1d3f0e-8f59-4a53-9c0e-3c6f2a1d7e42")


# ---- delivery -> CentrePoint -------------------------------------------------------------


def to_v3_item(
    delivery: Delivery, attempt: Attempt | None = None, redactor: Redactor = DEFAULT
) -> dict:
    """One v3 history item: an attempt of `delivery` (its last one when not given)."""
    attempt = attempt or _last_attempt(delivery)
    item: dict[str, Any] = {
        "id": attempt.id if attempt else delivery.id,
        "webhookId": webhook_id(delivery),
        "webhookEventId": platform_event_id(delivery.event_code),
        "webhookEvent": delivery.event_code,
        "createdDate": platform_time(delivery.created_at),
        "lastSentDate": platform_time(attempt.started_at if attempt else delivery.last_sent_at),
    }
    error = attempt.error if attempt else delivery.error
    if error:
        item["errorMessage"] = error
    item["request"] = {
        "headers": header_text(_with_delivery_header(delivery, attempt), redactor),
        "body": attempt.body_sent if attempt else delivery.payload,
    }
    if attempt and attempt.response_code is not None:
        item["response"] = {
            "responseCode": attempt.response_code,
            "headers": header_text(attempt.response_headers or {}, redactor),
            "body": attempt.response_body or "",
        }
    return item


def platform_event_id(code: str) -> int | None:
    """The platform's id of an event (what `webhookEventId` holds), None when it has none."""
    known = PLATFORM_EVENTS.get(code)
    return known[0] if known else None


def to_v3_items(delivery: Delivery, redactor: Redactor = DEFAULT) -> list[dict]:
    """Every attempt of `delivery` as a v3 history item, oldest first (as the platform lists)."""
    if not delivery.attempts:
        return [to_v3_item(delivery, None, redactor)]
    return [to_v3_item(delivery, a, redactor) for a in delivery.attempts]


def to_v1_record(
    delivery: Delivery, attempt: Attempt | None = None, redactor: Redactor = DEFAULT
) -> dict:
    """One v1 history record: an attempt of `delivery` (its last one when not given)."""
    item = to_v3_item(delivery, attempt, redactor)
    record = {
        "Id": item["id"],
        "WebhookId": item["webhookId"],
        "WebhookDeliveryHash": delivery.uuid,
        "WebhookEvent": item["webhookEvent"],
        "Request": {"Headers": item["request"]["headers"], "Body": item["request"]["body"]},
    }
    if "response" in item:
        response = item["response"]
        record["Response"] = {
            "ResponseCode": response["responseCode"],
            "Headers": response["headers"],
            "Body": response["body"],
        }
    record["Created"] = item["createdDate"]
    record["LastSent"] = v1_time(attempt.started_at if attempt else delivery.last_sent_at)
    if "errorMessage" in item:
        record["ErrorMessage"] = item["errorMessage"]
    return record


def to_v1_records(delivery: Delivery, redactor: Redactor = DEFAULT) -> list[dict]:
    if not delivery.attempts:
        return [to_v1_record(delivery, None, redactor)]
    return [to_v1_record(delivery, a, redactor) for a in delivery.attempts]


def v3_page(items: list[dict], total: int, limit: int, offset: int, links: dict | None = None):
    """The v3 paginated envelope around `items`, keys in the platform's order."""
    return {
        "items": items,
        "links": links or {},
        "totalCount": total,
        "limit": limit,
        "offset": offset,
    }


# History that came from the platform: a file import or a sync of either API.
PLATFORM_SOURCES = ("import", "centrepoint", "ecg")


def webhook_id(delivery: Delivery) -> int | str | None:
    """The platform's webhook id for history that came from it, else the local registration."""
    if delivery.source in PLATFORM_SOURCES and delivery.remote_id:
        return int(delivery.remote_id) if delivery.remote_id.isdigit() else delivery.remote_id
    return delivery.registration_id


def header_text(headers: dict, redactor: Redactor = DEFAULT) -> str:
    """Headers as the platform writes them: a JSON string of name -> [values], redacted."""
    return json.dumps({name: [value] for name, value in redactor.headers(headers).items()})


def platform_time(value: datetime | None) -> str | None:
    """v3 dates: UTC without offset, to the second ("2019-06-03T20:41:01")."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def v1_time(value: datetime | None) -> str | None:
    """v1 LastSent: UTC without offset, seven fractional digits ("...T08:43:12.0000000")."""
    if value is None:
        return None
    plain = value.astimezone(UTC).replace(tzinfo=None)
    return plain.strftime("%Y-%m-%dT%H:%M:%S.") + f"{plain.microsecond:06d}0"


def _with_delivery_header(delivery: Delivery, attempt: Attempt | None) -> dict:
    """The request headers, sure to carry X-ActiGraph-Delivery: in v3 it is the only place
    the delivery's hash travels, and import groups attempts by it."""
    headers = dict(attempt.request_headers or {}) if attempt else {}
    if not any(name.lower() == DELIVERY_HEADER for name in headers):
        headers["X-ActiGraph-Delivery"] = delivery.uuid
    return headers


def _last_attempt(delivery: Delivery) -> Attempt | None:
    return delivery.attempts[-1] if delivery.attempts else None


# ---- CentrePoint -> delivery -------------------------------------------------------------

# A JSON string, or a comma followed only by whitespace and a closing bracket. Possessive
# (`++`, `*+`): the plain `(?:[^"\\]|\\.)*` kept a backtracking mark per character, 6 GB
# for one 50 MB string; this keeps none.
_STRING_OR_TRAILING_COMMA = re.compile(r'"(?:[^"\\]++|\\.)*+"|,(?=\s*[\]}])')


def loads_lenient(text: str):
    """JSON as the platform's exports write it: trailing commas (seed 001) are accepted."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(without_trailing_commas(text))


def without_trailing_commas(text: str) -> str:
    """`text` with each comma before a closing bracket made a space, so that a
    json.JSONDecodeError still names the right line and column."""
    return _STRING_OR_TRAILING_COMMA.sub(lambda m: " " if m.group() == "," else m.group(), text)


@dataclass
class ImportedDelivery:
    """A delivery rebuilt from CentrePoint items: Delivery and Attempt column values."""

    delivery: dict
    attempts: list[dict] = field(default_factory=list)


# Where each value sits in a v3 item and in a v1 record; "a.b" is b inside the object a.
# These are also the names a refusal quotes.
HASH_IN_HEADERS = "the X-ActiGraph-Delivery header"  # v3 carries the hash only there
V3_FIELDS = {
    "remote_id": "id",
    "webhook": "webhookId",
    "event": "webhookEvent",
    "created": "createdDate",
    "sent": "lastSentDate",
    "error": "errorMessage",
    "request_headers": "request.headers",
    "request_body": "request.body",
    "response_code": "response.responseCode",
    "response_headers": "response.headers",
    "response_body": "response.body",
    "hash": HASH_IN_HEADERS,
}
V1_FIELDS = {
    "remote_id": "Id",
    "webhook": "WebhookId",
    "event": "WebhookEvent",
    "created": "Created",
    "sent": "LastSent",
    "error": "ErrorMessage",
    "request_headers": "Request.Headers",
    "request_body": "Request.Body",
    "response_code": "Response.ResponseCode",
    "response_headers": "Response.Headers",
    "response_body": "Response.Body",
    "hash": "WebhookDeliveryHash",
}


def from_v3_item(item: dict) -> tuple[dict, dict]:
    """(delivery fields, attempt fields) of one v3 history item; group with `group`."""
    _require(item, ("id", "webhookEvent", "createdDate", "request"), "a v3 history item")
    _object(item["request"], "request")
    return _fields(_values(item, V3_FIELDS), V3_FIELDS)


def from_v1_record(record: dict) -> tuple[dict, dict]:
    """(delivery fields, attempt fields) of one v1 history record; group with `group`."""
    _require(record, ("Id", "WebhookEvent", "Created", "Request"), "a v1 history record")
    _object(record["Request"], "Request")
    return _fields(_values(record, V1_FIELDS), V1_FIELDS)


def _values(record: dict, where: dict) -> dict:
    """Each field's value in `record`, None when absent (a response may be)."""
    values = {}
    for key, path in where.items():
        outer, _, inner = path.partition(".")
        if not inner:
            values[key] = None if path == HASH_IN_HEADERS else record.get(outer)
            continue
        container = record.get(outer)
        values[key] = None if container is None else _object(container, outer).get(inner)
    return values


def group(pairs) -> list[ImportedDelivery]:
    """Attempts sharing a delivery hash become one delivery, attempts in the order sent."""
    grouped: dict[str, ImportedDelivery] = {}
    for delivery, attempt in pairs:
        found = grouped.get(delivery["uuid"])
        if found is None:
            found = grouped[delivery["uuid"]] = ImportedDelivery(dict(delivery))
        found.attempts.append(attempt)
    for found in grouped.values():
        _settle(found)
    return list(grouped.values())


def _settle(found: ImportedDelivery) -> None:
    """Number the attempts and take the delivery's outcome from its last one."""
    found.attempts.sort(key=lambda a: (a["started_at"], str(a["remote_id"])))
    payload = found.delivery["payload"] = found.attempts[0]["request_body"]
    for number, attempt in enumerate(found.attempts, 1):
        attempt["number"] = number
        if attempt["request_body"] == payload:
            attempt["request_body"] = None  # the delivery's payload, kept once
    last = found.attempts[-1]
    code = last["response_code"]
    found.delivery.update(
        status=DeliveryStatus.SUCCEEDED
        if code is not None and 200 <= code < 300
        else DeliveryStatus.FAILED,
        response_code=code,
        error=last["error"],
        attempt_count=len(found.attempts),
        last_sent_at=last["started_at"],
        created_at=min(found.delivery["created_at"], found.attempts[0]["started_at"]),
    )


def _fields(values: dict, names: dict) -> tuple[dict, dict]:
    """Delivery and attempt columns from one item's values, each checked (imported_values)."""
    remote_id = check.identifier(values["remote_id"], names["remote_id"])
    webhook = values["webhook"]
    if webhook is not None:
        webhook = str(check.identifier(webhook, names["webhook"]))
    headers = DEFAULT.headers(parse_headers(values["request_headers"], names["request_headers"]))
    body = check.body(values["request_body"], names["request_body"])
    created_at = parse_time(values["created"], names["created"])
    sent = values["sent"]
    started_at = created_at if sent in (None, "") else parse_time(sent, names["sent"])
    hash_ = values["hash"]
    if hash_ in (None, ""):
        hash_ = _header(headers, DELIVERY_HEADER)
    if hash_ is not None:
        hash_ = check.text(hash_, names["hash"], DELIVERY_HASH_LENGTH)
    host = _header(headers, "host")
    study, subject = _study_and_subject(body, names["request_body"])
    code = values["response_code"]
    delivery = {
        "uuid": hash_ or _made_up_hash(webhook, remote_id),
        "event_code": check.text(values["event"], names["event"], EVENT_CODE_LENGTH),
        "event_version": "v1",
        "payload": body,
        "study_id": study,
        "subject_id": subject,
        "target_url": f"https://{host}/" if host else "",
        "source": "import",
        "remote_id": webhook,
        "created_at": created_at,
    }
    attempt = {
        "remote_id": remote_id,
        "started_at": started_at,
        "url": delivery["target_url"],
        "request_headers": headers,
        "request_body": body,
        "response_code": None if code is None else check.status_code(code, names["response_code"]),
        "response_headers": (
            DEFAULT.headers(parse_headers(values["response_headers"], names["response_headers"]))
            if values["response_headers"]
            else None
        ),
        "response_body": (
            None
            if values["response_body"] is None
            else check.body(values["response_body"], names["response_body"])
        ),
        "duration_ms": None,
        "error": check.optional_text(values["error"], names["error"]),
    }
    return delivery, attempt


def parse_headers(value, what: str) -> dict:
    """The platform's header text ('{"Name":["v"]}') or an object, as {name: "v1, v2"}."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = check.decoder().decode(value)
        except (ValueError, RecursionError):
            raise FormatError(f"{what} is not a JSON object of header names") from None
    if not isinstance(value, dict):
        raise FormatError(f"{what} is not a JSON object of header names")
    return {
        check.text(name, f"a header name in {what}"): _header_value(value, name, what)
        for name, value in value.items()
    }


def _header_value(value, name: str, what: str) -> str:
    where = f"the {name} header in {what}"
    if isinstance(value, list):
        return ", ".join(check.text(v, where) for v in value)
    return check.text(value, where)


def parse_time(value, what: str) -> datetime:
    """A platform date (UTC, often without offset, up to seven fractional digits)."""
    if not isinstance(value, str):
        raise FormatError(f"{what} is {check.kind(value)}, not a date")
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Python reads at most six fractional digits
        head, tail = text.split(".", 1)
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[:digits][:6].ljust(6, '0')}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999
        shown = f"'{value}'" if len(value) <= 40 else f"({len(value):,} characters)"
        raise FormatError(f"{what} {shown} is not a date") from None


def _header(headers: dict, lower_name: str) -> str | None:
    for name, value in headers.items():
        if name.lower() == lower_name:
            return value
    return None


def _made_up_hash(webhook, remote_id) -> str:
    return str(uuid.uuid5(_IMPORT_NAMESPACE, f"{webhook}/{remote_id}"))


def _study_and_subject(body: str, name: str) -> tuple[str | None, str | None]:
    """The payload's study and subject (kept beside it for filtering), when it names them."""
    try:
        payload = check.decoder().decode(body) if body else None
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(payload, dict):
        return None, None
    study = _first(payload, ("studyId", "study_id"), name)
    return study, _first(payload, ("subjectId", "subject_id"), name)


def _first(payload: dict, keys, name: str) -> str | None:
    for key in keys:
        value = payload.get(key)
        if value is not None:
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # the platform writes some ids as numbers
            return check.text(value, f"{key} in {name}", STUDY_ID_LENGTH)
    return None


def _require(value, keys, what: str) -> None:
    if not isinstance(value, dict):
        raise FormatError(f"expected {what} (a JSON object)")
    missing = [k for k in keys if k not in value]
    if missing:
        raise FormatError(f"{what} needs {', '.join(missing)}")


def _object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise FormatError(f"{what} is {check.kind(value)}, not a JSON object")
    return value

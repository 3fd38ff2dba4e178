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

from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.redaction import DEFAULT, Redactor
from webhook_desk.vocabulary import DeliveryStatus

DELIVERY_HEADER = "x-actigraph-delivery"
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
    item = {
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

# A JSON string, or a comma followed only by whitespace and a closing bracket.
_STRING_OR_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[\]}])')


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


class FormatError(ValueError):
    """An item or record is not in the shape the platform writes; the text says what is wrong."""


@dataclass
class ImportedDelivery:
    """A delivery rebuilt from CentrePoint items: Delivery and Attempt column values."""

    delivery: dict
    attempts: list[dict] = field(default_factory=list)


def from_v3_item(item: dict) -> tuple[dict, dict]:
    """(delivery fields, attempt fields) of one v3 history item; group with `group`."""
    _require(item, ("id", "webhookEvent", "createdDate", "request"), "a v3 history item")
    request = _object(item["request"], "request")
    response = item.get("response")
    return _fields(
        remote_id=item["id"],
        webhook=item.get("webhookId"),
        event=item["webhookEvent"],
        created=item["createdDate"],
        sent=item.get("lastSentDate"),
        error=item.get("errorMessage"),
        request_headers=request.get("headers"),
        request_body=request.get("body"),
        response_code=_object(response, "response").get("responseCode") if response else None,
        response_headers=response.get("headers") if response else None,
        response_body=response.get("body") if response else None,
        delivery_hash=None,
    )


def from_v1_record(record: dict) -> tuple[dict, dict]:
    """(delivery fields, attempt fields) of one v1 history record; group with `group`."""
    _require(record, ("Id", "WebhookEvent", "Created", "Request"), "a v1 history record")
    request = _object(record["Request"], "Request")
    response = record.get("Response")
    return _fields(
        remote_id=record["Id"],
        webhook=record.get("WebhookId"),
        event=record["WebhookEvent"],
        created=record["Created"],
        sent=record.get("LastSent"),
        error=record.get("ErrorMessage"),
        request_headers=request.get("Headers"),
        request_body=request.get("Body"),
        response_code=_object(response, "Response").get("ResponseCode") if response else None,
        response_headers=response.get("Headers") if response else None,
        response_body=response.get("Body") if response else None,
        delivery_hash=record.get("WebhookDeliveryHash"),
    )


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


def _fields(*, remote_id, webhook, event, created, sent, error, request_headers, request_body,
            response_code, response_headers, response_body, delivery_hash):  # fmt: skip
    headers = DEFAULT.headers(parse_headers(request_headers, "request headers"))
    body = request_body if isinstance(request_body, str) else json.dumps(request_body)
    created_at = parse_time(created, "createdDate")
    started_at = parse_time(sent, "lastSentDate") if sent else created_at
    hash_ = delivery_hash or _header(headers, DELIVERY_HEADER) or _made_up_hash(webhook, remote_id)
    host = _header(headers, "host")
    study, subject = _study_and_subject(body)
    delivery = {
        "uuid": str(hash_)[:36],
        "event_code": str(event),
        "event_version": "v1",
        "payload": body or "",
        "study_id": study,
        "subject_id": subject,
        "target_url": f"https://{host}/" if host else "",
        "source": "import",
        "remote_id": None if webhook is None else str(webhook),
        "created_at": created_at,
    }
    attempt = {
        "remote_id": remote_id,
        "started_at": started_at,
        "url": delivery["target_url"],
        "request_headers": headers,
        "request_body": body or "",
        "response_code": None if response_code is None else _code(response_code),
        "response_headers": (
            DEFAULT.headers(parse_headers(response_headers, "response headers"))
            if response_headers
            else None
        ),
        "response_body": response_body,
        "duration_ms": None,
        "error": error,
    }
    return delivery, attempt


def parse_headers(value, what: str) -> dict:
    """The platform's header text ('{"Name":["v"]}') or an object, as {name: "v1, v2"}."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise FormatError(f"the {what} are not a JSON object of header names") from None
    if not isinstance(value, dict):
        raise FormatError(f"the {what} are not a JSON object of header names")
    return {
        str(k): ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in value.items()
    }


def parse_time(value, what: str) -> datetime:
    """A platform date (UTC, often without offset, up to seven fractional digits)."""
    if not isinstance(value, str):
        raise FormatError(f"{what} is not a date")
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Python reads at most six fractional digits
        head, tail = text.split(".", 1)
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[:digits][:6].ljust(6, '0')}{tail[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise FormatError(f"{what} '{value}' is not a date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _code(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise FormatError(f"response code '{value}' is not a number")
    return int(value)


def _header(headers: dict, lower_name: str) -> str | None:
    for name, value in headers.items():
        if name.lower() == lower_name:
            return value
    return None


def _made_up_hash(webhook, remote_id) -> str:
    return str(uuid.uuid5(_IMPORT_NAMESPACE, f"{webhook}/{remote_id}"))


def _study_and_subject(body: str) -> tuple[str | None, str | None]:
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        return None, None
    if not isinstance(payload, dict):
        return None, None
    return _first(payload, ("studyId", "study_id")), _first(payload, ("subjectId", "subject_id"))


def _first(payload: dict, keys) -> str | None:
    for key in keys:
        if payload.get(key) is not None:
            return str(payload[key])
    return None


def _require(value, keys, what: str) -> None:
    if not isinstance(value, dict):
        raise FormatError(f"expected {what} (a JSON object)")
    missing = [k for k in keys if k not in value]
    if missing:
        raise FormatError(f"{what} needs {', '.join(missing)}")


def _object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise FormatError(f"'{what}' is not a JSON object")
    return value

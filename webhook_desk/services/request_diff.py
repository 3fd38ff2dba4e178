""" "What is different?": any two requests (a delivery, one attempt, or a receiver capture)
side by side, headers and bodies compared by structure, plus timing and the answer.

A reference names a request: a delivery by number or X-ActiGraph-Delivery id (its latest
attempt supplies the headers and the answer), `attempt:ID`, or `capture:ID`. Stored headers
were redacted when kept, and are again by the rule as it is now (redaction.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from webhook_desk import redaction
from webhook_desk.db.models import Attempt, Delivery, ReceivedRequest
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.services import identifying, json_diff, json_lines
from webhook_desk.services.resend import find

NOT_JSON = object()  # a body that does not parse is compared as text


@dataclass
class Request:
    """One side of a comparison, whatever it came from."""

    ref: str
    label: str
    url: str
    headers: dict[str, str]
    body: str
    response_code: int | None = None
    duration_ms: int | None = None
    response_body: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def body_json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else NOT_JSON
        except ValueError:
            return NOT_JSON


def load(session: Session, ref: str) -> Request:
    """The request `ref` names; an unknown one is a NotFound with the reference in it."""
    request = _found(session, ref)
    request.headers = redaction.redactor(session).headers(request.headers)
    return request


def _found(session: Session, ref: str) -> Request:
    text = str(ref).strip()
    kind, _, ident = text.partition(":")
    if not ident:
        return _from_delivery(find(session, text), text)
    if not ident.isdigit():
        raise InvalidInput(f"'{text}' is not a reference; use DELIVERY, attempt:ID or capture:ID.")
    if kind == "attempt":
        attempt = session.get(Attempt, int(ident))
        if attempt is None:
            raise NotFound(f"No attempt {ident}.")
        return _from_attempt(attempt, text, f"attempt {ident} of delivery {attempt.delivery_id}")
    if kind == "capture":
        capture = session.get(ReceivedRequest, int(ident))
        if capture is None:
            raise NotFound(f"No capture {ident} in the receiver's inbox.")
        return _from_capture(capture, text)
    raise InvalidInput(f"'{text}' is not a reference; use DELIVERY, attempt:ID or capture:ID.")


def _from_delivery(delivery: Delivery, ref: str) -> Request:
    label = f"delivery {delivery.id}"
    if delivery.attempts:
        request = _from_attempt(delivery.attempts[-1], ref, label)
    else:
        request = Request(ref, label, delivery.target_url, {}, delivery.payload)
    request.extra = {"event": delivery.event_code, "status": delivery.status}
    return request


def _from_attempt(attempt: Attempt, ref: str, label: str) -> Request:
    return Request(
        ref=ref,
        label=label,
        url=attempt.url,
        headers=dict(attempt.request_headers or {}),
        body=attempt.body_sent,
        response_code=attempt.response_code,
        duration_ms=attempt.duration_ms,
        response_body=attempt.response_body,
    )


def _from_capture(capture: ReceivedRequest, ref: str) -> Request:
    path = capture.path + (f"?{capture.query}" if capture.query else "")
    return Request(
        ref=ref,
        label=f"capture {capture.id}",
        url=path,
        headers=dict(capture.headers or {}),
        body=capture.body.decode("utf-8", errors="replace"),
        response_code=capture.status_code,
        extra={"signature": capture.signature, "remote_addr": capture.remote_addr},
    )


def compare(a: Request, b: Request) -> dict:
    """Everything that differs from `a` to `b`, as one JSON-ready document."""
    return {
        "a": a.label,
        "b": b.label,
        "url": None if a.url == b.url else {"a": a.url, "b": b.url},
        "headers": [c.as_dict() for c in header_changes(a.headers, b.headers)],
        "body": body_changes(a, b),
        "answer": _answer_changes(a, b),
    }


def header_changes(a: dict[str, str], b: dict[str, str]) -> list[json_diff.Change]:
    """Header names compared without regard to case, as HTTP reads them."""
    lower_a = {name.lower(): value for name, value in a.items()}
    lower_b = {name.lower(): value for name, value in b.items()}
    return json_diff.changes(lower_a, lower_b)


def body_changes(a: Request, b: Request) -> dict:
    """JSON bodies by structure (with the patch from a to b); anything else line by line."""
    data_a, data_b = a.body_json(), b.body_json()
    if data_a is NOT_JSON or data_b is NOT_JSON:
        same = a.body == b.body
        return {"json": False, "same": same, "a": None if same else a.body, "b": b.body}
    found = json_diff.changes(data_a, data_b)
    return {
        "json": True,
        "same": not found,
        "changes": [c.as_dict() for c in found],
        "patch": json_diff.json_patch(data_a, data_b),
    }


def _answer_changes(a: Request, b: Request) -> dict:
    return {
        "response_code": {"a": a.response_code, "b": b.response_code},
        "duration_ms": {"a": a.duration_ms, "b": b.duration_ms},
        "same_response_body": a.response_body == b.response_body,
    }


def diff(session: Session, ref_a: str, ref_b: str) -> dict:
    return compare(load(session, ref_a), load(session, ref_b))


@dataclass
class SideBySide:
    """Two requests as texts to show next to each other, and each difference with the line
    it sits on in each text (None where that side has no such line)."""

    labels: tuple[str, str]
    texts: tuple[str, str]
    rows: list[dict]  # {"kind", "where" (header|body), "path", "old", "new", "lines": (a, b)}
    summary: list[str]


def side_by_side(
    session: Session, ref_a: str, ref_b: str, masking: identifying.Masking | None = None
) -> SideBySide:
    """The comparison as the window shows it; with `masking`, identifying values are masked
    before comparing (as the History and Receiver tabs show them)."""
    a, b = load(session, ref_a), load(session, ref_b)
    if masking is not None:
        for request in (a, b):
            request.body = masking.body(request.body) or ""
    # Each body is parsed once: a 1 MB parse holds the GIL, and the window waits for it.
    data_a, data_b = a.body_json(), b.body_json()
    found = [("header", c) for c in header_changes(a.headers, b.headers)]
    found += [("body", c) for c in _body_changes_or_whole(a, b, data_a, data_b)]
    keys = [f"{where}:{change.path}" for where, change in found]
    text_a, lines_a = _as_text(a, keys, data_a)
    text_b, lines_b = _as_text(b, keys, data_b)
    rows = [
        {**change.as_dict(), "where": where, "lines": (lines_a.get(key), lines_b.get(key))}
        for (where, change), key in zip(found, keys, strict=True)
    ]
    return SideBySide((a.label, b.label), (text_a, text_b), rows, _summary(a, b))


def _body_changes_or_whole(a: Request, b: Request, data_a, data_b) -> list[json_diff.Change]:
    if data_a is NOT_JSON or data_b is NOT_JSON:
        same = a.body == b.body
        return [] if same else [json_diff.Change(json_diff.CHANGED, "", a.body, b.body)]
    return json_diff.changes(data_a, data_b)


def _as_text(request: Request, keys: list[str], data) -> tuple[str, dict[str, int]]:
    """Headers (lower-cased names, sorted) then the body, pretty when it is JSON; and the
    line of each of `keys` ("header:/name", "body:/pointer") found in it."""
    where: dict[str, int] = {}
    lines = [f"{request.label}  {request.url}", ""]
    for name, value in sorted((n.lower(), v) for n, v in request.headers.items()):
        where[f"header:{json_diff.pointer('', name)}"] = len(lines)
        lines.append(f"{name}: {value}")
    lines.append("")
    start = len(lines)
    if data is NOT_JSON:
        where["body:"] = start
        lines.append(request.body)
    else:
        paths = [key.removeprefix("body:") for key in keys if key.startswith("body:")]
        found = json_lines.line_numbers(data, paths)
        where.update({f"body:{path}": start + line for path, line in found.items()})
        lines.append(json_lines.pretty(data))
    return "\n".join(lines), where


def _summary(a: Request, b: Request) -> list[str]:
    found = []
    if a.url != b.url:
        found.append(f"URL: {a.url} → {b.url}")
    if a.response_code != b.response_code:
        found.append(f"Answer: {a.response_code} → {b.response_code}")
    if a.duration_ms != b.duration_ms:
        found.append(f"Time: {a.duration_ms} ms → {b.duration_ms} ms")
    return found

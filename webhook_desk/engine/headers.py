"""The platform's request headers, as CentrePoint sends them (reference: "Delivery headers")."""

from __future__ import annotations

import secrets
import uuid

USER_AGENT = "ActiGraph-Hookshot/1.0"
CONTENT_TYPE = "application/json; charset=utf-8"  # as the platform's newer examples send it
ADHOC_WEBHOOK_ID = "0"  # a delivery fired at a bare URL belongs to no registration


def platform_headers(
    webhook_id: int | str | None, event: str, delivery_uuid: str, client_certificate: bool = False
) -> dict:
    """Every delivery's headers before auth; X-Request-Id is new for each request.
    `client_certificate`: whether the request presents one (X-Client-Cert-Used)."""
    return {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        "X-Request-Id": str(uuid.uuid4()),
        "X-ActiGraph-Webhook-Id": str(webhook_id) if webhook_id is not None else ADHOC_WEBHOOK_ID,
        "X-ActiGraph-Event": event,
        "X-ActiGraph-Delivery": delivery_uuid,
        "X-Client-Cert-Used": str(client_certificate),  # "True" / "False", as the platform
        "traceparent": traceparent(delivery_uuid),
    }


def traceparent(delivery_uuid: str) -> str:
    """A W3C trace context: one trace per delivery (its UUID), a new span for each request,
    so a receiver's tracing joins every attempt of one delivery."""
    try:
        trace_id = uuid.UUID(delivery_uuid).hex
    except ValueError:  # an imported delivery hash that is no UUID
        trace_id = uuid.uuid4().hex
    if trace_id == "0" * 32:  # all zeros is invalid in W3C trace context
        trace_id = uuid.uuid4().hex
    return f"00-{trace_id}-{secrets.token_hex(8)}-00"


def with_extra(headers: dict[str, str], extra: dict[str, str] | None) -> dict[str, str]:
    """`headers` with a tester's own over them, one of each name whatever its case."""
    if not extra:
        return headers
    replaced = {name.lower() for name in extra}
    kept = {name: value for name, value in headers.items() if name.lower() not in replaced}
    return {**kept, **extra}

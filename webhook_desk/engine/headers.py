"""The platform's request headers, as CentrePoint sends them (reference: "Delivery headers")."""

from __future__ import annotations

import uuid

USER_AGENT = "ActiGraph-Hookshot/1.0"
ADHOC_WEBHOOK_ID = "0"  # a delivery fired at a bare URL belongs to no registration


def platform_headers(webhook_id: int | str | None, event: str, delivery_uuid: str) -> dict:
    """Every delivery's headers before auth; X-Request-Id is new for each request."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Request-Id": str(uuid.uuid4()),
        "X-ActiGraph-Webhook-Id": str(webhook_id) if webhook_id is not None else ADHOC_WEBHOOK_ID,
        "X-ActiGraph-Event": event,
        "X-ActiGraph-Delivery": delivery_uuid,
        "X-Client-Cert-Used": "False",  # no client TLS certificate is presented
    }

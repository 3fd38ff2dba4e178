"""What the receiver answers: its mode, the validation handshake, and the ECG module's paths.

Kept apart from the HTTP plumbing so the rules read in one place and the GUI can show them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from webhook_desk.errors import InvalidInput
from webhook_desk.receiver.inbox import DEFAULT_LIMIT
from webhook_desk.settings import PAYLOAD_LIMIT_BYTES
from webhook_desk.signing import Verdict

MODES = ("ok", "fail", "delay", "flaky", "timeout")
BODY_CAP = PAYLOAD_LIMIT_BYTES
# Longer than the sender's total timeout (15 s), so a sender really sees a timeout.
TIMEOUT_HOLD_MS = 30_000
DELAY_MS = 1_000  # `delay` without --delay-ms
IDLE_TIMEOUT_S = 15.0
BODY_TIMEOUT_S = 10.0
HOOK_SECRET = "X-ActiGraph-Hook-Secret"

HEALTH = {"status": "ok", "info": {}, "error": {}, "details": {}}
ECG_PATHS = {
    "/healthcheck": (200, HEALTH),
    "/api/webhook-processors/success-response": (200, {"value": True}),
    "/api/webhook-processors/failed-response": (500, {"value": False}),
}


@dataclass(frozen=True)
class ReceiverOptions:
    """How the receiver behaves; the mode may change while it runs."""

    mode: str = "ok"
    status: int = 500  # what `fail` answers, and `flaky` when it fails
    delay_ms: int | None = None  # `delay`: before answering; `timeout`: how long to hold
    failure_rate: float = 0.5
    require_signature: bool = False  # answer 401 to an invalid or missing signature
    fail_validation: bool = False  # answer the handshake without echoing the secret
    inbox_limit: int = DEFAULT_LIMIT
    body_cap: int = BODY_CAP
    idle_timeout_s: float = IDLE_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S

    def check(self) -> None:
        if self.mode not in MODES:
            raise InvalidInput(f"Unknown mode '{self.mode}'; choose one of {', '.join(MODES)}.")
        if not 100 <= self.status <= 599:
            raise InvalidInput(f"--status {self.status} is not an HTTP status (100-599).")
        if self.delay_ms is not None and self.delay_ms < 0:
            raise InvalidInput("--delay-ms cannot be negative.")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise InvalidInput(f"--failure-rate {self.failure_rate} is not between 0 and 1.")
        if self.inbox_limit < 1:
            raise InvalidInput("--inbox-limit must be at least 1.")


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    wait_s: float = 0.0  # how long to wait before answering


def _json(status: int, document, wait_s: float = 0.0, headers=None) -> Answer:
    return Answer(status, json.dumps(document).encode(), headers or {}, wait_s)


OK_BODY = b'{"received":true}'


def decide(
    options: ReceiverOptions, path: str, headers: Mapping[str, str], verdict: Verdict
) -> Answer:
    """The answer to one request, in order: ECG paths, signature, handshake, mode."""
    if path in ECG_PATHS:
        status, document = ECG_PATHS[path]
        return _json(status, document)
    handshake = headers.get("X-ActiGraph-Event", "").lower() == "validation"
    # The platform does not sign its validation requests: an unsigned handshake is normal and
    # answered even when signatures are required; a wrongly signed one is not.
    refused = ("invalid",) if handshake else ("invalid", "missing")
    if options.require_signature and verdict.status in refused:
        return _json(401, {"error": f"signature {verdict.status}", "reason": verdict.reason})
    if handshake and HOOK_SECRET in headers:
        if options.fail_validation:
            # 200 without the echo: the sender must notice the missing header, not just a status.
            return _json(200, {"validated": False})
        return _json(200, {"validated": True}, headers={HOOK_SECRET: headers[HOOK_SECRET]})
    return _by_mode(options)


def _by_mode(options: ReceiverOptions) -> Answer:
    mode = options.mode
    if mode == "fail" or (mode == "flaky" and random.random() < options.failure_rate):
        return _json(options.status, {"received": True, "failed_on_purpose": mode})
    if mode == "delay":
        delay_ms = DELAY_MS if options.delay_ms is None else options.delay_ms
        return Answer(200, OK_BODY, wait_s=delay_ms / 1000)
    if mode == "timeout":
        hold_ms = TIMEOUT_HOLD_MS if options.delay_ms is None else options.delay_ms
        return _json(504, {"received": True, "held_ms": hold_ms}, wait_s=hold_ms / 1000)
    return Answer(200, OK_BODY)

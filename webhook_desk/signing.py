"""Signature schemes: how a body is signed for sending and checked on receipt.

- `actigraph`: X-ActiGraph-Signature = base64(HMAC-SHA256(UTF-8 secret, raw body)).
- `actigraph-legacy`: "sha1=" + 128 upper-case hex digits: HMAC-SHA512 over the secret and the
  body each encoded as UTF-16LE (the platform's 2015 .NET code); verify only.
- `standard-webhooks`: webhook-id / webhook-timestamp / webhook-signature ("v1,<base64>",
  space-separated when several secrets are valid) over "id.timestamp.body" with a whsec_ key
  (base64 with or without its "=" padding, as the reference libraries read it).
- the ECG module's payload hash: 64 hex digits, HMAC-SHA256 over "createdAt.canonical JSON".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ACTIGRAPH_HEADER = "X-ActiGraph-Signature"
LEGACY_PREFIX = "sha1="
TIMESTAMP_TOLERANCE_S = 5 * 60
SCHEMES = ("actigraph", "actigraph-legacy", "standard-webhooks")
VERDICTS = ("valid", "invalid", "missing", "unchecked")
EMPTY_SECRET = "A secret cannot be empty."


@dataclass(frozen=True)
class KnownSecret:
    """A secret a receiver may check against: `label` says which one and which version."""

    label: str
    kind: str  # "hmac" or "standard-webhooks"
    value: str


@dataclass(frozen=True)
class Verdict:
    status: str  # one of VERDICTS
    scheme: str | None = None
    secret_label: str | None = None
    reason: str = ""


def _hmac(key: bytes, message: bytes, digest=hashlib.sha256) -> bytes:
    return hmac.new(key, message, digest).digest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison that also copes with non-ASCII input from a hostile sender.

    hmac.compare_digest raises TypeError on str with non-ASCII characters, so compare bytes.
    """
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))


def hmac_key(secret: str) -> bytes:
    """The key of an HMAC secret; an empty one is refused, never used to sign."""
    if not secret:
        raise ValueError(EMPTY_SECRET)
    return secret.encode("utf-8")


def actigraph_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(_hmac(hmac_key(secret), body)).decode("ascii")


def legacy_signature(secret: str, body: bytes) -> str:
    """The 2015 form: .NET strings are UTF-16 code units, copied byte for byte (UTF-16LE)."""
    key = hmac_key(secret).decode("utf-8").encode("utf-16-le")
    text = body.decode("utf-8", "replace").encode("utf-16-le")
    return LEGACY_PREFIX + _hmac(key, text, hashlib.sha512).hex().upper()


def whsec_key(secret: str) -> bytes:
    """The raw key of a Standard Webhooks secret: base64 after an optional whsec_ prefix, its
    "=" padding optional as in the reference libraries; an empty key is refused."""
    encoded = secret.removeprefix("whsec_").rstrip("=")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:
        raise ValueError("A Standard Webhooks secret must be whsec_ followed by base64.") from None
    if not key:
        raise ValueError(EMPTY_SECRET)
    return key


def secret_problem(kind: str, secret: str) -> str | None:
    """Why `secret` cannot sign for `kind` ("hmac" or "standard-webhooks"), or None."""
    try:
        (whsec_key if kind == "standard-webhooks" else hmac_key)(secret)
    except ValueError as error:
        return str(error)
    return None


def new_whsec_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def new_hmac_secret() -> str:
    return secrets.token_urlsafe(32)


def standard_webhooks_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(_hmac(whsec_key(secret), signed)).decode("ascii")


def standard_webhooks_headers(
    secrets: Iterable[str], msg_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """Headers signing `body` with every given secret (all valid versions during a rotation)."""
    ts = int(time.time()) if timestamp is None else timestamp
    signatures = " ".join(standard_webhooks_signature(s, msg_id, ts, body) for s in secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signatures}


def canonical_json(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def payload_hash(secret: str, payload, created_at: int) -> str:
    """The ECG module's payload hash: 64 hex digits binding a payload to its creation time."""
    message = f"{created_at}.".encode() + canonical_json(payload)
    return hmac.new(hmac_key(secret), message, hashlib.sha256).hexdigest()


def payload_hash_valid(secret: str, payload, created_at: int, given: str) -> bool:
    return hmac.compare_digest(payload_hash(secret, payload, created_at), given.strip().lower())


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[KnownSecret],
    now: float | None = None,
) -> Verdict:
    """Check a received request's signature against every known secret."""
    known = list(secrets)
    lower = {k.lower(): v for k, v in headers.items()}
    if "webhook-signature" in lower:
        return _verify_standard(lower, body, known, time.time() if now is None else now)
    if ACTIGRAPH_HEADER.lower() in lower:
        return _verify_actigraph(lower[ACTIGRAPH_HEADER.lower()].strip(), body, known)
    if not known:
        return Verdict("unchecked", reason="no secret is known for this endpoint")
    return Verdict("missing", reason="the request carries no signature header")


def _verify_actigraph(given: str, body: bytes, known: list[KnownSecret]) -> Verdict:
    legacy = given.lower().startswith(LEGACY_PREFIX)
    scheme = "actigraph-legacy" if legacy else "actigraph"
    candidates = [s for s in known if s.kind == "hmac"]
    if not candidates:
        return Verdict("unchecked", scheme, reason="no HMAC secret is known for this endpoint")
    for secret in candidates:
        expected = (
            legacy_signature(secret.value, body)
            if legacy
            else actigraph_signature(secret.value, body)
        )
        if _same(expected.lower(), given.lower()) if legacy else _same(expected, given):
            return Verdict("valid", scheme, secret.label)
    return Verdict("invalid", scheme, reason="no known secret produces this signature")


def _verify_standard(
    lower: dict[str, str], body: bytes, known: list[KnownSecret], now: float
) -> Verdict:
    scheme = "standard-webhooks"
    problem = _standard_headers_problem(lower, now)
    if problem:
        return Verdict("invalid", scheme, reason=problem)
    msg_id, timestamp = lower["webhook-id"], int(lower["webhook-timestamp"])
    candidates = [s for s in known if s.kind == "standard-webhooks"]
    if not candidates:
        return Verdict("unchecked", scheme, reason="no whsec_ secret is known for this endpoint")
    offered = {part.strip() for part in lower["webhook-signature"].split(" ") if part.strip()}
    for secret in candidates:
        try:
            expected = standard_webhooks_signature(secret.value, msg_id, timestamp, body)
        except ValueError:
            continue
        if any(_same(expected, sig) for sig in offered):
            return Verdict("valid", scheme, secret.label)
    return Verdict("invalid", scheme, reason="no known secret produces any offered signature")


def _standard_headers_problem(lower: dict[str, str], now: float) -> str | None:
    """What is wrong with the id and timestamp headers, in the words a tester needs."""
    if not lower.get("webhook-id", "").strip():
        return "webhook-id is missing"
    stamp = lower.get("webhook-timestamp", "").strip()
    if not stamp:
        return "webhook-timestamp is missing"
    # isascii first: str.isdigit accepts digits such as "²" that int() refuses.
    if not (stamp.isascii() and stamp.isdigit()):
        shown = stamp if len(stamp) <= 40 else stamp[:37] + "..."
        return f"webhook-timestamp {shown!r} is not a whole number of seconds"
    offset = int(stamp) - now
    if abs(offset) > TIMESTAMP_TOLERANCE_S:
        when = "in the future" if offset > 0 else "in the past"
        return f"webhook-timestamp is {abs(offset):.0f} s {when}, outside the 5 minute window"
    return None

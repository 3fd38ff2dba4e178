"""Bearer JWTs for `serve`: HS256, signed with a key kept in the OS keyring.

The key is made on first use and never leaves the keyring; a token names who holds it (its
subject, which the audit trail records for every write made with it) and when it expires.
"""

from __future__ import annotations

import secrets
import socket
from datetime import UTC, datetime, timedelta

import jwt

from webhook_desk.engine.retry import parse_schedule
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.services.audit import os_user

SIGNING_KEY = "serve/jwt-signing-key"
ISSUER = "webhook-desk"
ALGORITHM = "HS256"
DEFAULT_EXPIRY = "8h"


class InvalidToken(Exception):
    """A token that is missing, expired, forged or malformed; str() says which."""


def signing_key(store: SecretStore) -> str:
    """The key tokens are signed with, made and stored in the keyring the first time."""
    try:
        return store.get(SIGNING_KEY)
    except NotFound:
        key = secrets.token_urlsafe(48)
        store.put(SIGNING_KEY, key)
        return key


def expiry(text: str) -> timedelta:
    """'8h', '30m', '2d' -> how long a token lives."""
    try:
        steps = parse_schedule(text) if text.strip() else []
    except InvalidInput:
        steps = []
    if len(steps) != 1:
        raise InvalidInput(f"--expires '{text}' is not a duration; write e.g. 8h, 30m or 2d.")
    return steps[0]


def default_subject() -> str:
    """Who a token printed at this desk stands for: the OS user and host, as the audit names."""
    return f"{os_user()}@{socket.gethostname()}"


def issue(key: str, subject: str, lifetime: timedelta, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {"sub": subject, "iss": ISSUER, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def subject_of(key: str, authorization: str | None) -> str:
    """The subject of a valid `Authorization: Bearer <jwt>` header, else InvalidToken."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("A bearer token is required (Authorization: Bearer <token>).")
    try:
        claims = jwt.decode(
            token.strip(),
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("The bearer token has expired; get a new one.") from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("The bearer token was not signed by this server.") from None
    except jwt.InvalidTokenError:
        raise InvalidToken("The bearer token is not a valid token of this server.") from None
    return claims["sub"]

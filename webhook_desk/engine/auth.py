"""A registration's authentication on the wire: Basic, HMAC signature, Standard Webhooks, OAuth2.

Secret values are read from the keyring once per batch into a Credentials value that lives
only in memory; what is stored with an attempt is redacted by webhook_desk/redaction.py.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass

import requests
from sqlalchemy.orm import Session

from webhook_desk import signing
from webhook_desk.db.models import Registration
from webhook_desk.engine.bookkeeping import Bookkeeping
from webhook_desk.engine.client_tls import NO_TLS, ClientTls
from webhook_desk.engine.sender import Response
from webhook_desk.errors import UserError
from webhook_desk.vocabulary import AuthType

TOKEN_EXPIRY_MARGIN_S = 30  # renew a little early so a token does not expire in flight
DEFAULT_TOKEN_LIFETIME_S = 300


@dataclass(frozen=True)
class Credentials:
    """What one registration authenticates with, loaded from the keyring for a batch."""

    auth_type: AuthType = AuthType.NONE
    username: str | None = None
    password: str | None = None
    hmac_secret: str | None = None  # the newest version
    whsec_secrets: tuple[str, ...] = ()  # every valid version, newest first
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None
    client_auth: str = "basic"  # "basic" (HTTP Basic) or "post" (in the form, as CentrePoint)
    problem: str | None = None  # why the credentials could not be loaded, if they could not

    def __repr__(self) -> str:  # never let a secret reach a log through repr()
        return f"Credentials(auth_type={self.auth_type!r}, problem={self.problem!r})"


NO_AUTH = Credentials()


def load_credentials(session: Session, book: Bookkeeping, reg: Registration | None) -> Credentials:
    """The registration's current credentials; a keyring problem becomes `problem`, not a crash."""
    if reg is None or reg.auth_type in (None, AuthType.NONE):
        return NO_AUTH
    try:
        if reg.auth_type == AuthType.BASIC:
            return Credentials(
                AuthType.BASIC,
                username=reg.username or "",
                password=book.credential(session, reg, "basic-password"),
            )
        if reg.auth_type == AuthType.HMAC:
            return Credentials(AuthType.HMAC, hmac_secret=book.credential(session, reg, "hmac"))
        if reg.auth_type == AuthType.STANDARD_WEBHOOKS:
            values = book.secret_values(session, reg, "standard-webhooks")
            return Credentials(AuthType.STANDARD_WEBHOOKS, whsec_secrets=tuple(values))
        if reg.auth_type == AuthType.OAUTH2:
            return Credentials(
                AuthType.OAUTH2,
                token_url=reg.token_url,
                client_id=reg.client_id,
                scope=reg.oauth_scope,
                client_secret=book.credential(session, reg, "oauth2-client-secret"),
            )
    except UserError as error:
        return Credentials(reg.auth_type, problem=str(error))
    return Credentials(reg.auth_type, problem=f"The auth type '{reg.auth_type}' is unknown.")


class AuthFailed(Exception):
    """Credentials could not be turned into headers (no token, bad key); str() is the sentence."""


class TokenCache:
    """OAuth2 client-credentials tokens, shared by the worker threads, kept until they expire."""

    def __init__(self, timeout: float = 15.0):
        self.timeout = timeout
        self._tokens: dict[tuple, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, creds: Credentials, session: requests.Session) -> str:
        key = (creds.token_url, creds.client_id, creds.scope)
        with self._lock:
            cached = self._tokens.get(key)
            if cached and cached[1] > time.monotonic():
                return cached[0]
        value, lifetime = self._fetch(creds, session)
        with self._lock:
            self._tokens[key] = (value, time.monotonic() + lifetime - TOKEN_EXPIRY_MARGIN_S)
        return value

    def forget(self, creds: Credentials) -> None:
        with self._lock:
            self._tokens.pop((creds.token_url, creds.client_id, creds.scope), None)

    def _fetch(self, creds: Credentials, session: requests.Session) -> tuple[str, float]:
        if not creds.token_url:
            raise AuthFailed("The registration has no OAuth2 token URL.")
        form = {"grant_type": "client_credentials"}
        if creds.scope:
            form["scope"] = creds.scope
        pair = (creds.client_id or "", creds.client_secret or "")
        if creds.client_auth == "post":
            form.update(client_id=pair[0], client_secret=pair[1])
        try:
            answer = session.post(
                creds.token_url,
                data=form,
                auth=pair if creds.client_auth == "basic" else None,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise AuthFailed(f"The OAuth2 token URL could not be reached: {exc}") from None
        if answer.status_code != 200:
            raise AuthFailed(f"The OAuth2 token URL answered {answer.status_code}.")
        try:
            document = answer.json()
            value = document["access_token"]
        except (ValueError, KeyError, TypeError):
            raise AuthFailed("The OAuth2 token URL did not answer with an access_token.") from None
        lifetime = float(document.get("expires_in") or DEFAULT_TOKEN_LIFETIME_S)
        return value, max(lifetime, TOKEN_EXPIRY_MARGIN_S + 1)


def auth_headers(
    creds: Credentials,
    body: bytes,
    message_id: str,
    tokens: TokenCache,
    session: requests.Session,
) -> dict[str, str]:
    """The headers that authenticate one request; AuthFailed when that is impossible."""
    if creds.problem:
        raise AuthFailed(creds.problem)
    kind = creds.auth_type
    if kind == AuthType.BASIC:
        pair = f"{creds.username}:{creds.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    if kind in (AuthType.HMAC, AuthType.STANDARD_WEBHOOKS):
        try:
            return _signature_headers(creds, body, message_id)
        except ValueError as exc:  # an empty or malformed secret never signs
            raise AuthFailed(str(exc)) from None
    if kind == AuthType.OAUTH2:
        return {"Authorization": "Bearer " + tokens.token(creds, session)}
    return {}


def _signature_headers(creds: Credentials, body: bytes, message_id: str) -> dict[str, str]:
    if creds.auth_type == AuthType.HMAC:
        return {
            signing.ACTIGRAPH_HEADER: signing.actigraph_signature(creds.hmac_secret or "", body)
        }
    if not creds.whsec_secrets:
        raise AuthFailed("The registration has no valid Standard Webhooks secret.")
    return signing.standard_webhooks_headers(creds.whsec_secrets, message_id, body)


def send(
    sender,
    tokens: TokenCache,
    creds: Credentials,
    url: str,
    headers: dict,
    body: bytes,
    tls: ClientTls = NO_TLS,
):
    """Authenticate and send (over `tls`); on a 401 to an OAuth2 token, fetch a fresh token
    and retry once.

    `headers` is updated in place with what was sent last, for the stored attempt.
    """
    session = sender.session()
    try:
        headers.update(auth_headers(creds, body, headers["X-ActiGraph-Delivery"], tokens, session))
        response = sender.post(url, headers, body, tls)
        if response.status == 401 and creds.auth_type == AuthType.OAUTH2:
            # The token may have been revoked before its expiry: fetch a fresh one, once.
            tokens.forget(creds)
            headers.update(
                auth_headers(creds, body, headers["X-ActiGraph-Delivery"], tokens, session)
            )
            response = sender.post(url, headers, body, tls)
    except AuthFailed as failure:
        response = Response(error=str(failure))
    return response

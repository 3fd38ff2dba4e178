"""The platform emulator: CentrePoint v3/v1 and ECG Webhooks Module endpoints over real HTTP.

Integration developers point their code at it; our sync tests run against it. It serves a
database (demo data by default), checks a bearer token, answers errors in each API's own
shape, and can be made slow (latency), flaky (random 503s) or rate-limited (429 with
Retry-After), switchable while it runs. An aiohttp server on its own thread, as the receiver.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import secrets
import time
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import web
from sqlalchemy import func, select

from webhook_desk.db import Database
from webhook_desk.db.models import Attempt, Delivery, Registration, utcnow
from webhook_desk.errors import InvalidInput, UserError
from webhook_desk.local_http import ServingThread, listening_socket
from webhook_desk.platform import mock_ecg_endpoints as ecg
from webhook_desk.platform import mock_endpoints as ep
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog
from webhook_desk.services.demo import history_rows, insert_history, load_demo
from webhook_desk.services.startup import open_database

log = logging.getLogger(__name__)

_ORG = "/api/organizations/{organizationId}"
_SUB = _ORG + "/webhook-subscriptions/{subscriptionId}"
_CAT = "/api/webhook-categories/{webhookCategoryId}"
_EVT = _CAT + "/webhook-events/{webhookEventId}"
_STUDY = "/centrepoint/v3/Studies/{studyId}/Webhooks"

ROUTES = [
    (_STUDY, ep.v3_webhooks),
    (_STUDY + "/{webhookId}", ep.v3_webhook),
    (_STUDY + "/{webhookId}/history", ep.v3_history),
    ("/centrepoint/v3/WebhookEvents", ep.v3_webhook_events),
    ("/v1/webhooks/history", ep.v1_history),
    ("/healthcheck", ecg.healthcheck),
    ("/api/webhook-categories", ecg.categories),
    (_CAT, ecg.category),
    (_CAT + "/webhook-events", ecg.events),
    (_EVT, ecg.event),
    (_EVT + "/sample-payloads", ecg.sample_payload),
    (_EVT + "/sample-payloads-examples", ecg.sample_examples),
    ("/api/webhook-events/{eventCode}/subscriptions", ecg.event_subscriptions),
    ("/api/seed-data/versions", ecg.seed_versions),
    ("/api/webhook-deliveries/payload", ecg.random_payload),
    (_ORG + "/webhook-subscriptions", ecg.subscriptions),
    (_SUB, ecg.subscription),
    (_SUB + "/secrets", ecg.secrets),
    (_SUB + "/webhook-secret-histories", ecg.secret_histories),
    (_SUB + "/activations", ecg.activation_list),
    (_SUB + "/activations/{activationId}", ecg.activation),
    (_SUB + "/activity", ecg.activity_list),
    (_SUB + "/activity/{activityId}", ecg.activity),
]
TOKEN_PATH = "/connect/token"  # OAuth2 client credentials, as the platform's auth host
UNAUTHENTICATED = {"/healthcheck", TOKEN_PATH}


@dataclass
class MockOptions:
    """The emulator's switches; change them on a running emulator and they apply at once."""

    token: str = ""
    latency_ms: int = 0
    failure_rate: float = 0.0  # share of requests answered 503
    rate_limit: float = 0.0  # requests per second; 0 = unlimited
    client_id: str = ""  # with client_secret: POST /connect/token issues tokens
    client_secret: str = ""
    token_lifetime_s: int = 3600  # expires_in of an issued token, as the platform's

    def check(self) -> None:
        if not self.token:
            raise InvalidInput("The emulator needs a token (--token).")
        if self.latency_ms < 0:
            raise InvalidInput("--latency-ms cannot be negative.")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise InvalidInput("--failure-rate is a share between 0 and 1, e.g. 0.2.")
        if self.rate_limit < 0:
            raise InvalidInput("--rate-limit cannot be negative.")


def parse_rate(text: str) -> float:
    """'20/s' or '20' -> 20.0 requests per second."""
    number = text.strip().removesuffix("/s")
    try:
        value = float(number)
    except ValueError:
        raise InvalidInput(
            f"'{text}' is not a rate; write requests per second, e.g. 20/s."
        ) from None
    if value <= 0:
        raise InvalidInput("--rate-limit must be above 0 requests per second.")
    return value


def new_token() -> str:
    return "mock-" + secrets.token_urlsafe(18)


class RateLimiter:
    """A token bucket holding one second's worth of requests."""

    def __init__(self):
        self.tokens = 0.0
        self.stamp = time.monotonic()
        self.rate = 0.0

    def wait_s(self, rate: float) -> float:
        """0 when a request may pass now, else the seconds until one may."""
        now = time.monotonic()
        if rate != self.rate:
            self.rate, self.tokens = rate, rate
        self.tokens = min(rate, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / rate


def error_body(path: str, status: int, message: str) -> dict:
    """CentrePoint (ASP.NET) answers problem details; the ECG module (NestJS) its own shape."""
    reason = _reason(status)
    if path.startswith(("/centrepoint/", "/v1/")):
        return {"type": None, "title": reason, "status": status, "detail": message}
    return {"statusCode": status, "message": message, "error": reason}


def _oauth_error(code: str, status: int = 400) -> web.Response:
    return web.json_response({"error": code}, status=status)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class MockApi:
    """A running (or stopped) emulator over `db`."""

    def __init__(self, db, options: MockOptions | None = None):
        self.db = db
        self.options = options or MockOptions(token=new_token())
        self.requests = 0  # answered, of any status: tests read it to see retries happen
        self._limiter = RateLimiter()
        self.issued: dict[str, float] = {}  # token -> when it expires (monotonic)
        self._address: tuple[str, int] | None = None
        self._serving = ServingThread("platform emulator", self._runner)

    @property
    def url(self) -> str | None:
        if self._address is None:
            return None
        host, port = self._address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.options.check()
        sock = listening_socket(host, port)
        self._address = (host, sock.getsockname()[1])
        try:
            self._serving.start(sock, "mock-api")
        except UserError:
            self._address = None
            raise

    def stop(self) -> None:
        if self._address is None:
            return
        self._serving.stop()
        self._address = None

    def wait(self) -> None:
        """Block until stopped (the CLI's foreground run)."""
        self._serving.wait()

    def __enter__(self):
        if self._address is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _runner(self) -> web.AppRunner:
        app = web.Application(middlewares=[self._switches])
        for path, handler in ROUTES:
            app.router.add_get(path, self._endpoint(handler))
        app.router.add_post(TOKEN_PATH, self._token)
        app.router.add_post("/api/webhook-processors/success-response", self._processor(200))
        app.router.add_post("/api/webhook-processors/failed-response", self._processor(500))
        return web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)

    @web.middleware
    async def _switches(self, request: web.Request, handler) -> web.StreamResponse:
        self.requests += 1
        options = self.options
        if options.latency_ms:
            await asyncio.sleep(options.latency_ms / 1000)
        if options.rate_limit:
            wait = self._limiter.wait_s(options.rate_limit)
            if wait:
                retry_after = str(max(1, math.ceil(wait)))
                return self._error(request, 429, "Too many requests; slow down.", retry_after)
        if options.failure_rate and random.random() < options.failure_rate:
            return self._error(request, 503, "The service is briefly unavailable; try again.")
        problem = None if request.path in UNAUTHENTICATED else self._auth_problem(request)
        if problem:
            return self._error(request, 401, problem)
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return self._error(request, 404, f"No endpoint {request.path}.")
        except web.HTTPMethodNotAllowed:
            return self._error(request, 405, f"{request.method} is not served on {request.path}.")

    def _auth_problem(self, request: web.Request) -> str | None:
        """Why the request may not be answered (serve checks JWTs instead), or None."""
        given = request.headers.get("Authorization", "")
        scheme, _, token = given.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and (
            self.issued.get(token, 0.0) > time.monotonic()
            or secrets.compare_digest(token.encode(), self.options.token.encode())
        ):
            return None
        return "The bearer token is missing, wrong or expired."

    async def _token(self, request: web.Request) -> web.Response:
        """OAuth2 client credentials: form-encoded client_id, client_secret, scope and
        grant_type in; access_token, expires_in and token_type out (RFC 6749 errors)."""
        form = await request.post()
        options = self.options
        if form.get("grant_type") != "client_credentials":
            return _oauth_error("unsupported_grant_type")
        known = bool(options.client_id and options.client_secret) and (
            form.get("client_id") == options.client_id
            and secrets.compare_digest(
                str(form.get("client_secret", "")).encode(), options.client_secret.encode()
            )
        )
        if not known:
            return _oauth_error("invalid_client", 401)
        value = new_token()
        self.issued[value] = time.monotonic() + options.token_lifetime_s
        document = {
            "access_token": value,
            "expires_in": options.token_lifetime_s,
            "token_type": "Bearer",
        }
        return web.json_response(document)

    def _error(
        self, request: web.Request, status: int, message: str, retry_after: str | None = None
    ) -> web.Response:
        headers = {"Retry-After": retry_after} if retry_after else {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        body = json.dumps(error_body(request.path, status, message))
        return web.Response(
            status=status, text=body, content_type="application/json", headers=headers
        )

    def _endpoint(self, handler):
        async def answer(request: web.Request) -> web.Response:
            call = ep.Request(
                params=dict(request.match_info),
                query={k: request.query.getall(k) for k in request.query},
                url=f"{request.scheme}://{request.host}{request.path}",
            )
            try:
                document = await asyncio.to_thread(self._read, handler, call)
            except ep.ApiError as error:
                return self._error(request, error.status, error.message)
            return web.Response(text=json.dumps(document), content_type="application/json")

        return answer

    def _read(self, handler, call: ep.Request):
        with self.db.session() as session:
            return handler(session, call)

    def _processor(self, status: int):
        async def answer(request: web.Request) -> web.Response:
            body = json.dumps({"value": status == 200})
            return web.Response(status=status, text=body, content_type="application/json")

        return answer


# ---- data to serve -------------------------------------------------------------------------


class NoSecrets(SecretStore):
    """For the emulator's throwaway data: keeps nothing in the user's keyring."""

    def unusable_reason(self) -> str | None:
        return "the emulator's demo data keeps no secrets"


def demo_platform(url: str, deliveries: int = 1000, seed: int = 1) -> Database:
    """A database at `url` holding the demo registrations and history, to serve."""
    db = open_database(url)
    with db.session() as session:
        load_demo(session, NoSecrets(), deliveries=deliveries, seed=seed)
    return db


def add_webhook_history(session, reg_id: int, count: int, seed: int = 1) -> int:
    """`count` more synthetic deliveries for one registration; returns the attempts added."""
    reg = session.get(Registration, reg_id)
    rng = random.Random(seed)
    first = (session.scalar(select(func.max(Delivery.id))) or 0) + 1
    first_attempt = (session.scalar(select(func.max(Attempt.id))) or 0) + 1
    target = [(reg.id, reg.url, reg.study_id or reg.organization_id, reg.event_codes)]
    samples = {e.code: [s.payload for s in e.samples] for e in catalog.list_events(session)}
    rows = history_rows(rng, target, samples, count, utcnow(), first, first_attempt)
    return insert_history(session, rows, count, first)

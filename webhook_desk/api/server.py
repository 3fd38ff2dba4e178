"""`webhook-desk serve`: the route table over real HTTP, with JWT bearer auth, the seeds'
error shapes, and the emulator's switches (latency, failure rate, rate limit).

It is the platform emulator (platform/mock_api.py) with the whole route table and tokens
instead of one shared secret: the same serving thread, switches and error shapes.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from webhook_desk.api import tokens
from webhook_desk.api.calls import Call, Reply
from webhook_desk.api.page_cache import PageCache, encoded
from webhook_desk.api.routes import ROUTES, Route
from webhook_desk.errors import (
    Conflict,
    DatabaseUnavailable,
    KeyringUnavailable,
    UserError,
)
from webhook_desk.platform.mock_api import MockApi, MockOptions
from webhook_desk.platform.mock_endpoints import ApiError
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit
from webhook_desk.services.json_patch import MalformedPatch

BODY_METHODS = ("POST", "PUT", "PATCH")
SUBJECT = web.RequestKey("subject", str)


def status_of(error: UserError) -> int:
    """A service's refusal as an HTTP status. Path ids are looked up before any service is
    called (404 there), so a NotFound from a service is about the body: 422."""
    if isinstance(error, MalformedPatch):
        return 400
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, (DatabaseUnavailable, KeyringUnavailable)):
        return 503
    return 422


def _page_key(route: Route, call: Call) -> tuple:
    query = tuple((name, tuple(values)) for name, values in sorted(call.query.items()))
    return route.key, tuple(sorted(call.params.items())), query


class ApiServer(MockApi):
    """The served API over `db`; tokens are checked against `key` (tokens.signing_key)."""

    def __init__(
        self,
        db,
        key: str,
        options: MockOptions | None = None,
        store: SecretStore | None = None,
    ):
        # The emulator's token field holds what bearer tokens are checked against: the key.
        switches = options or MockOptions()
        switches.token = key
        super().__init__(db, switches)
        self.store = store or SecretStore()
        self.pages = PageCache()

    def _auth_problem(self, request: web.Request) -> str | None:
        try:
            request[SUBJECT] = tokens.subject_of(
                self.options.token, request.headers.get("Authorization")
            )
        except tokens.InvalidToken as problem:
            return str(problem)
        return None

    def _runner(self) -> web.AppRunner:
        app = web.Application(middlewares=[self._switches])
        for route in ROUTES:
            app.router.add_route(route.method, route.path, self._answer(route))
        return web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)

    def _answer(self, route: Route):
        async def answer(request: web.Request) -> web.Response:
            try:
                call = await self._call(request)
                status, body = await asyncio.to_thread(self._run, route, call)
            except ApiError as error:
                return self._error(request, error.status, error.message)
            except web.HTTPException as error:  # aiohttp's own refusal, e.g. 413
                return self._error(request, error.status, error.reason + ".")
            except UserError as error:
                return self._error(request, status_of(error), str(error))
            except SQLAlchemyError:
                return self._error(request, 503, "The database cannot be reached; try again.")
            return web.Response(
                status=status, body=body, content_type="application/json", charset="utf-8"
            )

        answer.__name__ = route.handler.__name__
        return answer

    async def _call(self, request: web.Request) -> Call:
        body = None
        if request.method in BODY_METHODS and request.can_read_body:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw.strip() else None
            except (ValueError, UnicodeDecodeError) as exc:
                raise ApiError(400, f"The request body is not JSON: {exc}.") from None
        return Call(
            params=dict(request.match_info),
            query={k: request.query.getall(k) for k in request.query},
            url=f"{request.scheme}://{request.host}{request.path}",
            body=body,
            subject=request.get(SUBJECT, ""),
            store=self.store,
        )

    def _run(self, route: Route, call: Call) -> tuple[int, bytes]:
        """One unit of work: everything the route changed commits, or none of it."""
        with audit.acting_as(call.subject or "anonymous"), self.db.session() as session:
            if route.kept:
                make = partial(route.handler, session, call)
                return route.status, self.pages.page(session, _page_key(route, call), make)
            result = route.handler(session, call)
        if isinstance(result, Reply):
            return result.status, encoded(result.document)
        return route.status, encoded(result)

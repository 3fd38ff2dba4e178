"""Requests/s of `serve` for GET .../activity (a page of 100: kept, as while nothing is written,
and made afresh, as after every write) and POST .../activity (fires one event into the outbox),
beside a bare aiohttp handler answering the same bytes, same run,
same load generator (an aiohttp client in a separate process, keep-alive connections).

    .venv/bin/python benchmarks/serve.py [--duration 5] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keyring  # noqa: E402
from aiohttp import web  # noqa: E402

from webhook_desk.api import tokens  # noqa: E402
from webhook_desk.api.page_cache import PageCache  # noqa: E402
from webhook_desk.api.server import ApiServer  # noqa: E402
from webhook_desk.local_http import ServingThread, listening_socket  # noqa: E402
from webhook_desk.platform import api_shapes  # noqa: E402
from webhook_desk.platform.mock_api import add_webhook_history  # noqa: E402
from webhook_desk.secrets import SecretStore  # noqa: E402
from webhook_desk.services import catalog, registrations  # noqa: E402
from webhook_desk.services.startup import open_database  # noqa: E402
from webhook_desk.throwaway_keyring import ThrowawayKeyring  # noqa: E402

ORG = "7152ff07-72b4-4934-b96c-9283003188a1"
EVENT = "vitals.observations.created"
HISTORY = 2000


def prepare(folder: Path):
    """A database with one ECG subscription and HISTORY deliveries; the activity path and the
    body of a POST."""
    db = open_database(f"sqlite:///{folder / 'serve.sqlite3'}")
    with db.session() as session:
        data = registrations.RegistrationInput(
            url="https://example.org/hook", organization_id=ORG, events=[EVENT], auth_type="hmac"
        )
        reg, _ = registrations.add(session, SecretStore(), data)
        add_webhook_history(session, reg.id, HISTORY)
        event = catalog.get_event(session, EVENT, "v1")
        path = (
            f"/api/organizations/{ORG}/webhook-subscriptions/"
            f"{api_shapes.subscription_id(reg)}/activity"
        )
        body = {"type": 1, "payload": catalog.sample_payload(event), "rawMessage": {},
                "eventId": api_shapes.event_id(event)}  # fmt: skip
    return db, path, json.dumps(body).encode()


async def _load(url, method, body, token, seconds, connections) -> dict:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    counts = {"requests": 0, "failed": 0}
    deadline = time.monotonic() + seconds

    async def one_connection(session):
        while time.monotonic() < deadline:
            async with session.request(method, url, data=body, headers=headers) as response:
                await response.read()
                counts["requests"] += 1
                counts["failed"] += response.status >= 300

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(one_connection(session) for _ in range(connections)))
        counts["rps"] = counts["requests"] / (time.monotonic() - started)
    return counts


def _client_process(args, results) -> None:
    results.put(asyncio.run(_load(*args)))


def load(url, method, body, token, seconds, connections) -> dict:
    """The same load generator for every server: a separate process, keep-alive connections."""
    results = multiprocessing.Queue()
    args = (url, method, body, token, seconds, connections)
    process = multiprocessing.Process(target=_client_process, args=(args, results))
    process.start()
    figures = results.get()
    process.join()
    return figures


class Bare:
    """A bare aiohttp handler answering fixed bytes: the baseline."""

    def __init__(self, answers: dict[str, tuple[int, bytes]]):
        self.answers = answers
        self._serving = ServingThread("bare server", self._runner)

    def _runner(self) -> web.AppRunner:
        async def answer(request: web.Request) -> web.Response:
            await request.read()
            status, body = self.answers[request.method]
            return web.Response(status=status, body=body, content_type="application/json")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        return web.AppRunner(app, handle_signals=False, access_log=None)

    def start(self) -> str:
        sock = listening_socket("127.0.0.1", 0)
        port = sock.getsockname()[1]
        self._serving.start(sock, "bare")
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._serving.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8)
    options = parser.parse_args()
    keyring.set_keyring(ThrowawayKeyring())
    with tempfile.TemporaryDirectory(prefix="webhook-desk-serve-bench-") as folder:
        db, path, post_body = prepare(Path(folder))
        key = tokens.signing_key(SecretStore())
        token = tokens.issue(key, "benchmark", timedelta(hours=1))
        api, unkept = ApiServer(db, key), ApiServer(db, key)
        unkept.pages = PageCache(kept=0)  # every page made afresh: what a write costs the next
        api.start()
        unkept.start()
        try:
            figures = measure(api.url, unkept.url, path, post_body, token, options)
        finally:
            api.stop()
            unkept.stop()
            db.dispose()
    for name, (ours, bare) in figures.items():
        print(
            f"{name}: serve {ours['rps']:,.0f} requests/s ({ours['failed']} failed), "
            f"bare aiohttp {bare['rps']:,.0f} requests/s: {ours['rps'] / bare['rps']:.1%} of bare"
        )
    return 0


def measure(base: str, fresh: str, path: str, post_body: bytes, token: str, options) -> dict:
    import requests

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    page = requests.get(base + path + "?take=100", headers=headers, timeout=30)
    posted = requests.post(base + path, data=post_body, headers=headers, timeout=30)
    assert len(page.json()) == 100 and posted.status_code == 201, posted.text
    bare = Bare({"GET": (200, page.content), "POST": (201, posted.content)})
    bare_url = bare.start()
    run = (options.duration, options.connections)
    try:
        return {
            "GET activity (page of 100, kept)": (
                load(base + path + "?take=100", "GET", None, token, *run),
                load(bare_url + path, "GET", None, token, *run),
            ),
            "GET activity (page of 100, made afresh)": (
                load(fresh + path + "?take=100", "GET", None, token, *run),
                load(bare_url + path, "GET", None, token, *run),
            ),
            "POST activity": (
                load(base + path, "POST", post_body, token, *run),
                load(bare_url + path, "POST", post_body, token, *run),
            ),
        }
    finally:
        bare.stop()


if __name__ == "__main__":
    sys.exit(main())

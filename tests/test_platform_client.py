"""The platform client against fake platforms on real sockets: the API token goes to the API's
own origin only, whatever a page's links say."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhook_desk.platform.client import PlatformClient, PlatformError

TOKEN = "platform-token-never-elsewhere"


class FakePlatform:
    """GET answers from `pages(path)`; every request's path and Authorization are kept."""

    def __init__(self, pages: Callable[[str], dict]):
        self.pages = pages
        self.seen: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 - the http.server naming
                fake.seen.append((self.path, self.headers.get("Authorization")))
                body = json.dumps(fake.pages(self.path)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fakes():
    started = []

    def start(pages):
        started.append(FakePlatform(pages))
        return started[-1]

    yield start
    for fake in started:
        fake.close()


def _page(next_link: str | None, offset: int = 0) -> dict:
    return {
        "items": [{"id": offset + 1}],
        "links": {"next": next_link} if next_link else {},
        "totalCount": 2,
        "offset": offset,
        "limit": 1,
    }


@pytest.mark.parametrize(
    "elsewhere",
    [
        lambda thief, _api: f"{thief.url}/list?offset=1",  # another port
        lambda _thief, api: api.url.replace("http://127.0.0.1", "http://localhost") + "/list",
        lambda _thief, api: api.url.replace("http://", "https://") + "/list?offset=1",
    ],
    ids=["another port", "another host name", "another scheme"],
)
def test_a_next_link_to_another_origin_is_refused_and_never_gets_the_token(fakes, elsewhere):
    thief = fakes(lambda path: _page(None, 1))
    api = fakes(lambda path: _page(link))
    link = elsewhere(thief, api)
    client = PlatformClient(api.url, TOKEN, tries=1)

    with pytest.raises(PlatformError) as refused:
        list(client.v3_pages("/list", limit=1))

    assert str(refused.value) == (
        f"The platform's answer links to {link}, which is not on {api.url}; "
        "the API token is only sent to the API's own address."
    )
    assert thief.seen == []
    assert api.seen == [("/list?offset=0&limit=1", f"Bearer {TOKEN}")]


def test_a_next_link_on_the_same_origin_is_followed(fakes):
    api = fakes(
        lambda path: _page(None, 1) if "offset=1" in path else _page(f"{api.url}/list?offset=1")
    )
    items = [
        i
        for page in PlatformClient(api.url, TOKEN).v3_pages("/list", limit=1)
        for i in page["items"]
    ]
    assert items == [{"id": 1}, {"id": 2}]
    assert [auth for _, auth in api.seen] == [f"Bearer {TOKEN}"] * 2


@pytest.mark.parametrize(
    ("remote", "line_ends"),
    [
        ("13.68.136.18", "from 13.68.136.18 (CentrePoint sender)"),
        ("::ffff:40.87.40.14", "from ::ffff:40.87.40.14 (CentrePoint sender)"),
        ("127.0.0.1", "signature unchecked"),
        ("13.68.136.180", "signature unchecked"),
    ],
)
def test_receive_marks_a_request_from_a_platform_sending_address(remote, line_ends):
    from webhook_desk.cli.receive import _describe
    from webhook_desk.receiver.inbox import Capture

    capture = Capture("POST", "/hooks", "", {}, b"{}", remote, 200, True, event="upload")
    assert _describe(capture).endswith(line_ends)

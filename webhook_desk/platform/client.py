"""An HTTP client for the platform APIs: bearer token, paging, and patient retries.

What is retried, how Retry-After is read and how waits are spread are the delivery engine's
policy (engine/retry.py): 408, 429 and 5xx answers, timeouts and refused connections are
retried with exponential back-off, Retry-After honoured; anything else the platform refuses
becomes one sentence for the user. A write that timed out waiting for its answer is not sent
again (it may have been made). Pages are followed by the API's own `links.next` (CentrePoint
v3) or skip/take until a short page (ECG module).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from queue import Full, Queue
from urllib.parse import urlsplit

import requests

from webhook_desk.engine import retry
from webhook_desk.errors import NotFound, UserError
from webhook_desk.platform.api_auth import ClientCredentials, PastedToken

V3_PAGE = 100  # CentrePoint's largest page
QUOTED = 120  # the most of the platform's own words a refusal's sentence quotes
ECG_PAGE = 100
# What a 403 refused, by the request's method.
FORBIDDEN_VERBS = {
    "GET": "read",
    "POST": "post to",
    "PUT": "replace",
    "PATCH": "change",
    "DELETE": "delete",
}


class PlatformError(UserError):
    """The platform refused or could not be reached; the text is for the user. `status` is
    the HTTP status it answered with (None when it could not be reached), `answered` whether
    any answer came at all."""

    def __init__(self, sentence: str, status: int | None = None, answered: bool = True):
        super().__init__(sentence)
        self.status, self.answered = status, answered


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    params: dict | None = None
    body: object = None


class PlatformClient:
    def __init__(
        self,
        base_url: str,
        token: str | PastedToken | ClientCredentials,
        *,
        tries: int = 8,
        backoff_s: float = 0.5,
        max_wait_s: float = 60.0,
        timeout: tuple[float, float] = (5.0, 60.0),
        sleep: Callable[[float], None] = time.sleep,
    ):
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PlatformError(f"'{base_url}' is not an http(s) URL of the platform API.")
        self.base_url = base_url.strip().rstrip("/")
        self.tries, self.backoff_s, self.max_wait_s = tries, backoff_s, max_wait_s
        self.timeout, self.sleep = timeout, sleep
        self.tokens = PastedToken(token) if isinstance(token, str) else token
        self.http = requests.Session()
        self.http.headers.update({"Accept": "application/json"})
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self.http.close()

    def get(self, path_or_url: str, params: dict | None = None):
        """The JSON document at `path_or_url` (a path under the base URL, or a full URL)."""
        return self.send("GET", path_or_url, params)

    def send(self, method: str, path_or_url: str, params: dict | None = None, body=None):
        """The JSON answer to `method` on `path_or_url` with `body` as JSON (None when the
        answer is empty); retried as a GET is."""
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        self._check_origin(url)
        for attempt in range(1, self.tries + 1):
            document, wait = self._try(Request(method, url, params, body), attempt)
            if wait is None:
                return document
            self.retries += 1
            self.sleep(wait)
        raise AssertionError("unreachable")  # _try raises on the last attempt

    def _check_origin(self, url: str) -> None:
        """The token goes to the API's own origin (scheme, host, port) and nowhere else: a
        pagination link naming another is refused, whoever put it in the answer."""
        if _origin(url) != _origin(self.base_url):
            raise PlatformError(
                f"The platform's answer links to {url}, which is not on {self.base_url}; "
                "the API token is only sent to the API's own address."
            )

    def _try(self, request: Request, attempt: int) -> tuple[object, float | None]:
        """(the JSON document, None), or (None, how long to wait before the next try)."""
        last, url = attempt == self.tries, request.url
        try:
            response = self._send(request)
        except (requests.ConnectionError, requests.Timeout) as error:
            # A write that went out unanswered may have been made: sending it again could
            # make it twice (a second post) or fail its own `test` (a false conflict).
            unsure = isinstance(error, requests.ReadTimeout) and request.method != "GET"
            if last or unsure:
                raise self._unreachable(error, request.method, attempt) from None
            return None, self._backoff(attempt)
        if retry.is_retryable(response.status_code) and not last:
            return None, self._retry_after(response) or self._backoff(attempt)
        if response.status_code >= 400:
            raise self._refusal(response)
        if not response.content and request.method != "GET":
            return None, None
        try:
            return response.json(), None
        except ValueError:
            raise PlatformError(
                f"The platform answered {url} with something that is not JSON."
            ) from None

    def _send(self, request: Request) -> requests.Response:
        """One request with the current token; a refused token is renewed once when it can be."""
        for renewed in (False, True):
            headers = {"Authorization": f"Bearer {self.tokens.token()}"}
            self.requests += 1
            response = self.http.request(
                request.method,
                request.url,
                params=request.params,
                json=request.body,
                headers=headers,
                timeout=self.timeout,
            )
            if response.status_code < 400:
                self.tokens.accepted()  # a token given just now is kept from here on
            if response.status_code != 401 or renewed or not self.tokens.renewable:
                return response
            self.tokens.renew()  # revoked or expired early: a fresh one, once
        return response

    def _backoff(self, attempt: int) -> float:
        first, longest = timedelta(seconds=self.backoff_s), timedelta(seconds=self.max_wait_s)
        return retry.backoff(attempt, first, longest).total_seconds()

    def _retry_after(self, response: requests.Response) -> float | None:
        wait = retry.retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        return None if wait is None else min(self.max_wait_s, wait.total_seconds())

    def _unreachable(self, error: Exception, method: str, attempt: int) -> PlatformError:
        """Why no answer came, in plain words; a write that timed out may have been made."""
        tries = f"{attempt} {'try' if attempt == 1 else 'tries'}"
        if isinstance(error, requests.ConnectTimeout) or not isinstance(error, requests.Timeout):
            why = "connection refused" if "refused" in str(error).lower() else "no connection"
            if isinstance(error, requests.ConnectTimeout):
                why = f"no connection within {self.timeout[0]:g} s"
            return PlatformError(
                f"The platform at {self.base_url} cannot be reached ({why}).", answered=False
            )
        waited = f"{self.timeout[1]:g} s"
        if method == "GET":
            return PlatformError(
                f"The platform at {self.base_url} did not answer within {waited} ({tries}).",
                answered=False,
            )
        return PlatformError(
            f"The platform at {self.base_url} did not answer within {waited} ({tries}), so it "
            "is not known whether it made the change; sync to see.",
            answered=False,
        )

    def _refusal(self, response: requests.Response) -> UserError:
        code = response.status_code
        if code == 401:
            return PlatformError(
                f"The platform at {self.base_url} refused the API token: "
                "the token is wrong or expired.",
                code,
            )
        if code == 403:
            method = response.request.method if response.request else "GET"
            path = urlsplit(response.url).path
            return PlatformError(
                f"The platform at {self.base_url} does not let this API token "
                f"{FORBIDDEN_VERBS.get(method or 'GET', 'read')} {path} (403); "
                "ask for a token with the CentrePoint or webhooks scope that allows it.",
                code,
            )
        detail = _detail(response)
        if code == 404:
            return NotFound(f"The platform has no {urlsplit(response.url).path} ({detail}).")
        if retry.is_retryable(code):
            return PlatformError(
                f"The platform kept answering {code} after {self.tries} tries; try again later.",
                code,
            )
        return PlatformError(f"The platform refused {urlsplit(response.url).path}: {detail}", code)

    # ---- paging ------------------------------------------------------------------------

    def v3_pages(self, path: str, offset: int = 0, limit: int = V3_PAGE) -> Iterator[dict]:
        """Every page of a CentrePoint v3 list from `offset`, by its `links.next`."""
        url = path
        params: dict[str, int] | None = {"offset": offset, "limit": limit}
        while True:
            page = self.get(url, params)
            _check_v3_page(page, url)
            yield page
            following = (page.get("links") or {}).get("next")
            done = page["offset"] + len(page["items"])
            if not page["items"] or done >= page["totalCount"]:
                return
            if following:
                url, params = following, None
            else:  # no link although more is counted: carry on by offset
                url, params = path, {"offset": done, "limit": limit}

    def ecg_pages(
        self, path: str, params: dict | None = None, skip: int = 0, take: int = ECG_PAGE
    ) -> Iterator[list]:
        """Every page of an ECG module list from `skip`, until a page comes back short."""
        while True:
            page = self.get(path, {**(params or {}), "skip": skip, "take": take})
            if not isinstance(page, list):
                raise PlatformError(f"The platform answered {path} with something not a list.")
            yield page
            if len(page) < take:
                return
            skip += take


def fetched_ahead(pages: Iterator, depth: int = 2) -> Iterator:
    """The same pages, the next ones fetched on a thread while the caller stores this one.

    Fetching (network, the platform's own time) and storing (SQLite) then overlap. A caller
    that stops early stops the thread at its next page."""
    queue: Queue = Queue(depth)
    stop = threading.Event()

    def hand_over(kind: str, value) -> None:
        while not stop.is_set():
            try:
                queue.put((kind, value), timeout=0.2)
                return
            except Full:
                continue

    def fetch() -> None:
        try:
            for page in pages:
                hand_over("page", page)
                if stop.is_set():
                    return
            hand_over("end", None)
        except BaseException as error:  # handed to the caller's thread, raised there
            hand_over("error", error)

    threading.Thread(target=fetch, name="platform-pages", daemon=True).start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def _check_v3_page(page, url: str) -> None:
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise PlatformError(f"The platform answered {url} with something not a v3 page.")
    for key in ("totalCount", "offset"):
        if not isinstance(page.get(key), int):
            raise PlatformError(f"The platform's page from {url} has no {key}.")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:  # a port that is no number names no origin of ours
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("detail", "message", "title"):
            if isinstance(body.get(key), str) and body[key]:
                return _capped(body[key].rstrip("."))
    return f"HTTP {response.status_code}"


def _capped(text: str) -> str:
    """The platform's words, cut short when they echo a whole record (a schema, a payload)."""
    return text if len(text) <= QUOTED else text[: QUOTED - 1].rstrip() + "…"

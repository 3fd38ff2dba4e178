"""TLS handshakes a server refused, counted and kept with their reason, peer and time, so a
tester sees why a sender never got through (issue 22): nothing of a refused handshake reaches
the application, so nothing of it would reach the inbox either.

The handshake is done here (loop.start_tls on each accepted connection) rather than by the
event loop's own TLS server, which drops a failed handshake without telling anyone; the
application's protocol gets the connection once it is encrypted. No sentence holds key
material: only the verification result and the peer's address.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

HANDSHAKE_TIMEOUT_S = 10.0
KEPT = 5  # the most recent refusals shown (the tooltip); the count covers all
NOT_TLS = {
    "HTTP_REQUEST",
    "HTTPS_PROXY_REQUEST",
    "WRONG_VERSION_NUMBER",
    "UNSUPPORTED_PROTOCOL",
    "UNKNOWN_PROTOCOL",
    "PACKET_LENGTH_TOO_LONG",
    "RECORD_LAYER_FAILURE",
    "WRONG_SSL_VERSION",
}
UNKNOWN_AUTHORITY = {2, 19, 20, 21}  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT(_LOCALLY), self-signed


@dataclass(frozen=True)
class Refusal:
    reason: str  # "not TLS at all"
    peer: str  # the client's address
    at: datetime  # local time

    @property
    def sentence(self) -> str:
        return f"{self.reason} from {self.peer} at {self.at:%H:%M:%S}"


class Refusals:
    """Refused handshakes since the server started: how many, and the last few; safe to read
    from any thread. `on_refused` is called on the serving thread with each one."""

    def __init__(self, on_refused: Callable[[Refusal], None] | None = None):
        self.count = 0
        self.recent: deque[Refusal] = deque(maxlen=KEPT)
        self.on_refused = on_refused
        self._lock = threading.Lock()

    def add(self, refusal: Refusal) -> None:
        with self._lock:
            self.count += 1
            self.recent.append(refusal)
        if self.on_refused is not None:
            self.on_refused(refusal)

    def summary(self) -> str:
        """'N TLS handshakes refused; last: <reason> from <peer> at <time>', or empty."""
        with self._lock:
            count, last = self.count, self.recent[-1] if self.recent else None
        if last is None:
            return ""
        noun = "handshake" if count == 1 else "handshakes"
        return (
            f"{count} TLS {noun} refused; last: {last.reason} from {last.peer} at {last.at:%H:%M}"
        )

    def details(self) -> str:
        """The last few refusals, one a line, newest first."""
        with self._lock:
            return "\n".join(r.sentence for r in reversed(self.recent))


def reason(error: BaseException, timeout_s: float = HANDSHAKE_TIMEOUT_S) -> str | None:
    """Why a handshake failed, in a few words; None for a client that just hung up."""
    if isinstance(error, ssl.SSLCertVerificationError):
        if error.verify_code in UNKNOWN_AUTHORITY:
            return "a client certificate from an unknown authority"
        return f"a client certificate that was refused ({error.verify_message})"
    if isinstance(error, ssl.SSLError):
        code = error.reason or ""
        if code in NOT_TLS:
            return "not TLS at all"
        if code.startswith(("TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE")):
            return "a client that does not trust the receiver's certificate"
        return f"a failed handshake ({code.replace('_', ' ').lower() or error.strerror})"
    if isinstance(error, TimeoutError) or "longer than" in str(error):
        return f"a handshake too slow (over {timeout_s:g} s)"
    return None


class _Handshaking(asyncio.Protocol):
    """One accepted connection: the TLS handshake, then the application's protocol."""

    def __init__(self, site: WatchedTlsSite):
        self.site = site
        self._early: list[bytes] = []  # read before the TLS layer took the connection over
        self._after: list[Callable[[asyncio.Protocol], object]] = []  # before the app has it
        self._encrypting = False

    def connection_made(self, transport) -> None:
        transport.pause_reading()
        task = asyncio.ensure_future(self._handshake(transport))
        self.site.handshaking.add(task)
        task.add_done_callback(self.site.handshaking.discard)

    async def _handshake(self, transport) -> None:
        site, loop = self.site, asyncio.get_running_loop()
        handshake = asyncio.ensure_future(
            loop.start_tls(
                transport,
                self,
                site.context,
                server_side=True,
                ssl_handshake_timeout=site.timeout_s,
            )
        )
        await asyncio.sleep(0)  # start_tls has put its TLS protocol on the transport ...
        loop.call_soon(self._hand_over_early, transport)  # ... and this runs after its start
        try:
            encrypted = await handshake
            if encrypted is None:  # asyncio's type allows it; a closed transport gives it
                raise ConnectionResetError("the connection closed during the handshake")
        except Exception as error:  # every way a handshake fails: the connection is dropped
            self._refused(error, transport)  # counted before the client sees it dropped
            transport.abort()
            return
        except asyncio.CancelledError:  # the server stops
            handshake.cancel()
            transport.abort()
            raise
        app = site.make_protocol()
        encrypted.set_protocol(app)
        app.connection_made(encrypted)
        for replay in self._after:
            replay(app)

    def _hand_over_early(self, transport) -> None:
        """Bytes some loops (uvloop) deliver despite pause_reading go to the TLS layer."""
        self._encrypting = True
        tls = transport.get_protocol()
        for data in self._early:
            while data:
                buffer = tls.get_buffer(len(data))
                size = min(len(buffer), len(data))
                buffer[:size] = data[:size]
                tls.buffer_updated(size)
                data = data[size:]

    def _refused(self, error: Exception, transport) -> None:
        said = reason(error, self.site.timeout_s)
        if said:
            peer = (transport.get_extra_info("peername") or ("unknown",))[0]
            self.site.refusals.add(Refusal(said, peer, datetime.now().astimezone()))

    # Plain bytes before the TLS layer; decrypted ones between its handshake and the app.
    def data_received(self, data: bytes) -> None:
        if self._encrypting:
            self._after.append(lambda app: app.data_received(data))
        else:
            self._early.append(data)

    def eof_received(self) -> None:
        self._after.append(lambda app: app.eof_received())

    def connection_lost(self, exc) -> None:
        self._after.append(lambda app: app.connection_lost(exc))


class WatchedTlsSite(web.SockSite):
    """aiohttp's SockSite serving HTTPS whose refused handshakes are counted in `refusals`."""

    def __init__(self, runner, sock, context: ssl.SSLContext, refusals: Refusals):
        super().__init__(runner, sock, ssl_context=context)
        self.context, self.refusals = context, refusals
        self.timeout_s = HANDSHAKE_TIMEOUT_S
        self.handshaking: set[asyncio.Task] = set()

    def make_protocol(self) -> asyncio.Protocol:
        server = self._runner.server
        if server is None:  # only before the runner is set up, which start() needs first
            raise RuntimeError("the receiver's runner is not set up")
        return server()

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Handshaking(self), sock=self._sock, backlog=self._backlog
        )

    async def stop(self) -> None:
        for task in list(self.handshaking):
            task.cancel()
        await super().stop()

"""Serving aiohttp from a thread of its own: the built-in receiver and the platform emulator
both run this way, so the GUI or the CLI keeps its main thread, and both say in one sentence
why they cannot listen or why they stopped."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from webhook_desk.errors import InvalidInput, PortInUse, UserError
from webhook_desk.tls_handshakes import Refusals, WatchedTlsSite

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0


PORT_MAX = 65535


def check_port(port: int) -> None:
    """Refuse a port number that is not one; 0 asks the system for any free port.

    Without this, the OS takes the number modulo 65536 (70000 listens on 4464)."""
    if not 0 <= port <= PORT_MAX:
        raise InvalidInput(
            f"{port} is not a port number: use one from 1 to {PORT_MAX} (0 picks a free one)."
        )


def listening_socket(host: str, port: int) -> socket.socket:
    """A non-blocking socket listening on host:port, or one sentence saying why not."""
    check_port(port)
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise InvalidInput(f"'{host}' is not a host this machine can listen on.") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1024)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(host, port) from None
        if error.errno == errno.EACCES:
            raise UserError(
                f"Port {port} needs administrator rights; use a port above 1023."
            ) from None
        raise UserError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
    sock.setblocking(False)
    return sock


class ServingThread:
    """An aiohttp runner serving a socket from its own thread and event loop until stop().

    `make_runner` is called on that loop (aiohttp's servers belong to the loop that made
    them); `companion`, if given, runs beside the server and is cancelled when it stops.
    """

    def __init__(
        self,
        title: str,
        make_runner: Callable[[], web.BaseRunner],
        new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
        companion: Callable[[], Coroutine[Any, Any, None]] | None = None,
    ):
        self.title = title  # "receiver": what the user's sentences call it
        self.failure: str | None = None
        self._make_runner = make_runner
        self._new_loop = new_loop
        self._companion = companion
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._refusals: Refusals | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(
        self,
        sock: socket.socket,
        thread_name: str,
        tls: ssl.SSLContext | None = None,
        refusals: Refusals | None = None,
    ) -> None:
        """Serve `sock` (closed when serving ends), over TLS when `tls` is given (its refused
        handshakes counted in `refusals` when given); returns once serving, else raises."""
        self._refusals = refusals
        self.failure = None
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(sock, started, tls), name=thread_name, daemon=True
        )
        self._thread.start()
        started.wait(START_TIMEOUT_S)
        if not self._thread.is_alive():
            raise UserError(self.failure or f"The {self.title} could not start.")

    def stop(self) -> None:
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is not None and thread.is_alive() and loop and stopping:
            loop.call_soon_threadsafe(stopping.set)
            thread.join()

    def wait(self) -> None:
        """Block until stopped (a CLI's foreground run)."""
        while (thread := self._thread) is not None and thread.is_alive():
            thread.join(0.5)

    def _serve(
        self, sock: socket.socket, started: threading.Event, tls: ssl.SSLContext | None
    ) -> None:
        self._loop = self._new_loop()
        try:
            self._loop.run_until_complete(self._run(sock, started, tls))
        except Exception as error:  # reported by start(); nothing else can catch it here
            self.failure = f"The {self.title} stopped unexpectedly: {error}"
            log.exception("%s failed", self.title.capitalize())
        finally:
            started.set()
            sock.close()
            self._loop.close()

    async def _run(
        self, sock: socket.socket, started: threading.Event, tls: ssl.SSLContext | None
    ) -> None:
        self._stopping = asyncio.Event()
        runner = self._make_runner()
        await runner.setup()
        if tls and self._refusals is not None:
            await WatchedTlsSite(runner, sock, tls, self._refusals).start()
        else:
            await web.SockSite(runner, sock, ssl_context=tls).start()
        companion = asyncio.create_task(self._companion()) if self._companion else None
        started.set()
        try:
            await self._stopping.wait()
        finally:
            if companion is not None:
                companion.cancel()
            await runner.cleanup()

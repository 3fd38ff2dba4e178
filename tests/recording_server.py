"""A real HTTP receiver on 127.0.0.1 for delivery tests: records what arrives, answers as told.

`answer(request)` returns a Reply (status, headers, body) or one of the misbehaviours
HANG (never answer), RESET (drop the connection with a TCP reset).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    at: float

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def header_names(self) -> set[str]:
        return {k for k, _ in self.headers}


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


HANG = "hang"
RESET = "reset"


def ok(_request: Received) -> Reply:
    return Reply()


def with_handshake(answer: Callable[[Received], Reply | str]) -> Callable:
    """Pass the validation handshake (echo the hook secret), answer events with `answer`."""

    def answering(request: Received):
        if request.header("X-ActiGraph-Event") == "validation":
            code = request.header("X-ActiGraph-Hook-Secret") or ""
            return Reply(200, {"X-ActiGraph-Hook-Secret": code})
        return answer(request)

    return answering


class RecordingServer:
    def __init__(self, answer: Callable[[Received], Reply | str] = ok, handshake: bool = True):
        self.answer = with_handshake(answer) if handshake else answer
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, events_only: bool = True) -> list[Received]:
        """What arrived; the validation handshakes left out unless asked for."""
        with self._lock:
            got = list(self.received)
        if events_only:
            got = [r for r in got if r.header("X-ActiGraph-Event") != "validation"]
        return got

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Poll until `count` requests arrived (or fail with what did arrive)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.requests()
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests within {timeout} s, got {len(got)}")

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 - the http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    "POST",
                    self.path,
                    list(self.headers.items()),
                    self.rfile.read(length),
                    time.time(),
                )
                with server._lock:
                    server.received.append(request)
                reply = server.answer(request)
                if reply == HANG:
                    server._closing.wait(120)
                    self.close_connection = True
                    return
                if reply == RESET:
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        return Handler

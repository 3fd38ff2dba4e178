"""How the receiver's HTTP server was chosen: candidate servers, each a bare app answering
200 (413 when Content-Length is over 1 MiB), probed for robustness over raw sockets and
timed with wrk (apt-get install wrk) under 16 keep-alive connections posting 1.5 KB.

    .venv/bin/python benchmarks/receiver_servers.py [--duration 5]

Candidates: aiohttp (llhttp parser), uvicorn with httptools, the standard library's
ThreadingHTTPServer. Each gets a 5 s idle/keep-alive timeout where it has one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from local_servers import free_port, wait_until_listening

IDLE_S = 5
SLOW_LIMIT_S = 20

AIOHTTP = """
import sys
from aiohttp import web
async def handle(request):
    if (request.content_length or 0) > 1 << 20:
        return web.Response(status=413)
    await request.read()
    return web.Response(body=b'{"received":true}', content_type="application/json")
async def main():
    server = web.Server(handle, keepalive_timeout=@IDLE@, access_log=None)
    runner = web.ServerRunner(server); await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    import asyncio; await asyncio.Event().wait()
import asyncio, logging; logging.disable(logging.CRITICAL); asyncio.run(main())
"""

UVICORN = """
import sys, uvicorn
async def app(scope, receive, send):
    length = dict(scope["headers"]).get(b"content-length")
    if length and int(length) > 1 << 20:
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b""}); return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"received":true}'})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http="httptools", lifespan="off",
            log_level="critical", access_log=False, timeout_keep_alive=@IDLE@)
"""

THREADING = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = @IDLE@
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            self.send_response(413); self.send_header("Content-Length", "0"); self.end_headers()
            self.close_connection = True; return
        self.rfile.read(length)
        body = b'{"received":true}'
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    do_GET = do_POST
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""

CANDIDATES = {
    "aiohttp": AIOHTTP,
    "uvicorn+httptools": UVICORN,
    "ThreadingHTTPServer": THREADING,
}
MALFORMED = {
    "garbage request line": b"THIS IS NOT HTTP\r\n\r\n",
    "header without colon": b"GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n",
    "space before colon": b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "100 KB header line": b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",
    "non-numeric length": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ten\r\n\r\n",
    "length and chunked": b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
}


def status_line(port: int, data: bytes, timeout: float = 3) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(data)
            head = b""
            while b"\r\n" not in head:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                head += chunk
    except TimeoutError:
        return "no answer"
    except OSError as error:
        return type(error).__name__
    if not head:
        return "closed"
    if not head.startswith(b"HTTP/"):
        return "non-HTTP reply"
    return head.split(b" ", 2)[1].decode()


def is_closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(100) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def slowloris(port: int, result: dict) -> None:
    """A request line and headers a byte a second: when does the server give up on it?"""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(1.0)
        started = time.monotonic()
        for byte in b"POST / HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"a" * 100:
            if time.monotonic() - started > SLOW_LIMIT_S:
                break
            try:
                sock.send(bytes([byte]))
                sock.recv(100)
            except TimeoutError:
                continue
            except OSError:
                pass
            result["slowloris"] = f"closed after {time.monotonic() - started:.0f} s"
            return
    result["slowloris"] = f"still open after {SLOW_LIMIT_S} s"


def normal_ms(port: int) -> str:
    started = time.monotonic()
    code = status_line(port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    return f"{code} in {(time.monotonic() - started) * 1000:.0f} ms"


def probe(port: int) -> dict:
    result = {name: status_line(port, raw) for name, raw in MALFORMED.items()}
    result["50 MB announced"] = status_line(
        port, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 52428800\r\n\r\nxx"
    )
    slow = threading.Thread(target=slowloris, args=(port, result))
    slow.start()
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
    result["answer beside 300 idle"] = normal_ms(port)
    time.sleep(IDLE_S + 3)  # one wait for all: the timeout should have closed them by now
    closed = sum(is_closed(s) for s in idle)
    result["idle closed"] = f"{closed}/300"
    for sock in idle:
        sock.close()
    slow.join()
    result["answer afterwards"] = normal_ms(port)
    return result


def requests_per_second(port: int, seconds: int, workdir: Path) -> str:
    if not shutil.which("wrk"):
        return "wrk not installed"
    script = workdir / "post.lua"
    script.write_text('wrk.method = "POST"\nwrk.body = string.rep("x", 1500)\n')
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return f"{float(found.group(1)):,.0f}" if found else "failed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="wrk seconds per candidate")
    args = parser.parse_args()
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in CANDIDATES.items():
            port = free_port()
            server = subprocess.Popen(
                [sys.executable, "-c", code.replace("@IDLE@", str(IDLE_S)), str(port)],
                stderr=subprocess.DEVNULL,
            )
            print(f"{name}...", file=sys.stderr)
            try:
                wait_until_listening(port)
                rows[name] = {"requests/s": requests_per_second(port, args.duration, Path(tmp))}
                rows[name] |= probe(port)
            finally:
                server.kill()
                server.wait()
    names = list(rows)
    print("| probe | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for key in rows[names[0]]:
        print(f"| {key} | " + " | ".join(rows[n][key] for n in names) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

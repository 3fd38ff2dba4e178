"""Requests/s of the built-in receiver, every request captured and its signature checked,
beside nginx answering 200 under the same load in the same run; over HTTP, then over HTTPS
with the local CA's localhost certificate (nginx serving the same certificate and key), then
over HTTPS requiring a client certificate from the local CA (mTLS; nginx with
ssl_verify_client on and the same CA), which the client presents on every connection.

Load: 1.5 KB JSON POSTs signed with X-ActiGraph-Signature, each with its own delivery id,
16 concurrent keep-alive connections. The load generator is wrk when installed
(apt-get install wrk), else an aiohttp client in a separate process. nginx comes from the
system's packages (apt-get install nginx-light); this script installs nothing. wrk cannot
present a client certificate, so the mTLS row always uses the aiohttp client, for both servers.

    .venv/bin/python benchmarks/receiver.py [--duration 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keyring  # noqa: E402
import local_servers  # noqa: E402

from webhook_desk.db import Database  # noqa: E402
from webhook_desk.local_tls import ClientCertificate, LocalCA, ServingCertificate  # noqa: E402
from webhook_desk.receiver.answers import ReceiverOptions  # noqa: E402
from webhook_desk.receiver.client_certs import ClientCertificateRule  # noqa: E402
from webhook_desk.receiver.server import Receiver  # noqa: E402
from webhook_desk.signing import KnownSecret, actigraph_signature  # noqa: E402
from webhook_desk.throwaway_keyring import ThrowawayKeyring  # noqa: E402

SECRET = "benchmark-secret"
GOAL_RATIO = 0.10
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[{body}]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-ActiGraph-Event"] = "upload"
wrk.headers["X-ActiGraph-Signature"] = "{signature}"
counter = 0
request = function()
  counter = counter + 1
  wrk.headers["X-ActiGraph-Delivery"] = string.format("%d-%d", math.random(1e9), counter)
  return wrk.format()
end
"""


def payload() -> bytes:
    """An upload event padded to about 1.5 KB, like a real one with a few files."""
    files = [
        {"fileName": f"TAS1H{n:08d} (2024-05-0{n % 9 + 1}).gt3x", "sizeBytes": 1048576 * n}
        for n in range(1, 21)
    ]
    document = {"studyId": "1234", "subjectId": "5678", "status": "completed", "files": files}
    return json.dumps(document).encode()


def run_wrk(url: str, body: bytes, seconds: int, connections: int, workdir: Path) -> dict:
    script = workdir / "post.lua"
    script.write_text(
        WRK_SCRIPT.format(body=body.decode(), signature=actigraph_signature(SECRET, body))
    )
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": total,
        "failed": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def _client_context(client: ClientCertificate | None) -> ssl.SSLContext | bool:
    """The load generator does not verify the server's certificate (wrk does not either): a
    keep-alive connection's handshake is a fraction of a millisecond of a 10 s run. With
    `client`, it presents that certificate (mTLS)."""
    if client is None:
        return False
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.load_cert_chain(client.cert_file, client.key_file, client.passphrase)
    return context


async def _client_load(
    url: str, body: bytes, seconds: int, connections: int, client: ClientCertificate | None
) -> dict:
    import aiohttp

    headers = {
        "Content-Type": "application/json",
        "X-ActiGraph-Event": "upload",
        "X-ActiGraph-Signature": actigraph_signature(SECRET, body),
    }
    counts = {"requests": 0, "failed": 0}
    deadline = time.monotonic() + seconds

    async def one_connection(session, number):
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            delivery = {"X-ActiGraph-Delivery": f"{number}-{sent}"}
            async with session.post(url, data=body, headers=headers | delivery) as response:
                await response.read()
                counts["requests"] += 1
                counts["failed"] += response.status >= 300

    connector = aiohttp.TCPConnector(limit=connections, ssl=_client_context(client))
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(one_connection(session, n) for n in range(connections)))
        counts["rps"] = counts["requests"] / (time.monotonic() - started)
    counts["socket_errors"] = ""
    return counts


def _client_process(url, body, seconds, connections, client, results) -> None:
    results.put(asyncio.run(_client_load(url, body, seconds, connections, client)))


def run_python_client(
    url: str, body: bytes, seconds: int, connections: int, _workdir, client=None
) -> dict:
    results = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=_client_process, args=(url, body, seconds, connections, client, results)
    )
    process.start()
    figures = results.get()
    process.join()
    return figures


def measure_nginx(
    load,
    body,
    seconds,
    connections,
    workdir: Path,
    tls: ServingCertificate | None = None,
    client_ca: Path | None = None,
) -> dict | None:
    nginx = local_servers.nginx_binary()
    if nginx is None:
        print("nginx is not installed: apt-get install nginx-light (the baseline is skipped).")
        return None
    server, port = local_servers.start_nginx(
        nginx,
        workdir,
        http=local_servers.nginx_tls(tls, workdir, client_ca) if tls else "",
        listen=" ssl" if tls else "",
    )
    scheme = "https" if tls else "http"
    try:
        return load(f"{scheme}://127.0.0.1:{port}/", body, seconds, connections, workdir)
    finally:
        server.terminate()
        server.wait()


def measure_receiver(
    load,
    body,
    seconds,
    connections,
    workdir: Path,
    tls: ServingCertificate | None = None,
    client_ca: Path | None = None,
) -> dict:
    db = Database.open(f"sqlite:///{workdir / f'inbox-{bool(tls)}-{bool(client_ca)}.sqlite3'}")
    tally = {"captured": 0, "valid": 0, "with_certificate": 0}

    def count(capture):
        tally["captured"] += 1
        tally["valid"] += capture.signature == "valid"
        tally["with_certificate"] += capture.client_cert_subject is not None

    receiver = Receiver(db, secrets=[KnownSecret("benchmark", "hmac", SECRET)], on_request=count)
    rule = ClientCertificateRule(client_ca) if client_ca else None
    receiver.start("127.0.0.1", 0, ReceiverOptions(), tls, rule)
    try:
        figures = load(receiver.url + "hooks/upload", body, seconds, connections, workdir)
        receiver.flush(timeout=60)
    finally:
        receiver.stop()
        db.dispose()
    return figures | tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per server")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    args = parser.parse_args()
    body = payload()
    use_wrk = shutil.which("wrk") and not args.python_client
    load = run_wrk if use_wrk else run_python_client
    if not use_wrk:
        print(
            "Load generator: aiohttp client in a separate process. It saturates long before "
            "nginx does, so the ratio overstates the receiver; apt-get install wrk for a fair one."
        )
    print(f"Body {len(body)} bytes, {args.connections} keep-alive connections, {args.duration} s.")
    keyring.set_keyring(ThrowawayKeyring())  # the local CA's passphrase, for this run only
    with tempfile.TemporaryDirectory(prefix="receiver-bench-") as tmp:
        workdir = Path(tmp)
        ca = LocalCA(workdir / "tls")
        tls = ca.localhost_certificate()
        client = ca.issue_client_certificate("benchmark-client", workdir)
        mtls_load = functools.partial(run_python_client, client=client)
        rows = (
            ("HTTP", load, None, None),
            ("HTTPS", load, tls, None),
            ("HTTPS+mTLS", mtls_load, tls, ca.certificate_path),
        )
        for name, row_load, certificate, client_ca in rows:
            run = (row_load, body, args.duration, args.connections, workdir, certificate, client_ca)
            report(name, measure_receiver(*run), measure_nginx(*run))
    return 0


def report(name: str, ours: dict, baseline: dict | None) -> None:
    print(
        f"{name} receiver: {ours['rps']:,.0f} requests/s, {ours['requests']:,} answered, "
        f"{ours['failed']} not 2xx, {ours['captured']:,} captured, "
        f"{ours['valid']:,} signatures valid, {ours['with_certificate']:,} with a client "
        f"certificate {ours['socket_errors']}"
    )
    if baseline is None:
        return
    ratio = ours["rps"] / baseline["rps"]
    print(f"{name} nginx:    {baseline['rps']:,.0f} requests/s")
    verdict = "meets" if ratio >= GOAL_RATIO else "misses"
    print(f"{name} ratio:    {ratio:.1%} of nginx ({verdict} the {GOAL_RATIO:.0%} goal)")


if __name__ == "__main__":
    sys.exit(main())

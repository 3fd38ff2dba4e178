"""End-to-end deliveries/s of the engine beside a bare requests.Session loop, same run.

10,000 deliveries of `upload` are fired at an HMAC registration (one transaction), then the
engine claims, signs, sends and records every attempt in a SQLite database. The receiver is
nginx answering 200 (it echoes the validation handshake too). The baseline posts the same
body to the same nginx from the same number of threads, each with its own requests.Session,
and records nothing. nginx comes from the system's packages; this script installs nothing.

With --mtls, nginx serves HTTPS with the local CA's localhost certificate and requires a client
certificate from it (ssl_verify_client on); the registration presents one the local CA issued
(its key in the keyring) and the bare loop presents the same certificate from an SSLContext.

    .venv/bin/python benchmarks/deliver.py [--count 10000] [--workers 4] [--mtls]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keyring  # noqa: E402
import local_servers  # noqa: E402
import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

from webhook_desk.certificates import ClientCertificateFiles  # noqa: E402
from webhook_desk.db import Database  # noqa: E402
from webhook_desk.local_tls import ClientCertificate, LocalCA  # noqa: E402
from webhook_desk.secrets import SecretStore  # noqa: E402
from webhook_desk.services import catalog, firing, registrations  # noqa: E402
from webhook_desk.services.delivery_engine import new_engine  # noqa: E402
from webhook_desk.throwaway_keyring import ThrowawayKeyring  # noqa: E402

GOAL_RATIO = 0.60
# Keep-alive for the whole run (nginx closes a connection after 1,000 requests by default),
# and the validation handshake echoed as a receiver must.
NGINX_HTTP = "keepalive_requests 1000000;"
NGINX_LOCATION = "add_header X-ActiGraph-Hook-Secret $http_x_actigraph_hook_secret;"


def start_nginx(directory: Path, ca: LocalCA | None) -> tuple[subprocess.Popen, str]:
    """nginx over HTTP, or (given the local CA) over HTTPS requiring its client certificates."""
    binary = local_servers.nginx_binary()
    if binary is None:
        sys.exit("nginx is not installed (apt-get install nginx-light).")
    http, listen = NGINX_HTTP, ""
    if ca is not None:
        tls = local_servers.nginx_tls(ca.localhost_certificate(), directory, ca.certificate_file())
        http, listen = f"{NGINX_HTTP} {tls}", " ssl"
    process, port = local_servers.start_nginx(binary, directory, http, NGINX_LOCATION, listen)
    return process, f"{'https' if ca else 'http'}://127.0.0.1:{port}/hook"


class _Presenting(HTTPAdapter):
    """The bare loop's client certificate: an SSLContext holding it, trusting the local CA."""

    def __init__(self, ca: LocalCA, client: ClientCertificate):
        self.context = ssl.create_default_context(cafile=str(ca.certificate_path))
        self.context.load_cert_chain(client.cert_file, client.key_file, client.passphrase)
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self.context
        return super().init_poolmanager(*args, **kwargs)


def bare_loop(url: str, body: bytes, count: int, threads: int, adapter=None) -> float:
    """Requests/s of threads posting with their own sessions, nothing signed or stored."""
    remaining = iter(range(count))
    lock = threading.Lock()

    def run():
        session = requests.Session()
        if adapter is not None:
            session.mount("https://", adapter())
        headers = {"Content-Type": "application/json"}
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            response = session.post(url, data=body, headers=headers, timeout=15)
            response.raise_for_status()  # the body is already read: stream is off

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return count / (time.perf_counter() - started)


def sample_body(db: Database) -> bytes:
    """The body the engine will send (the upload sample), for the bare loop."""
    with db.session() as session:
        catalog.sync_catalog(session)
        sample = catalog.sample_payload(catalog.get_event(session, "upload"))
    return json.dumps(sample, separators=(",", ":")).encode()


def engine_run(
    db: Database, url: str, count: int, workers: int, client: ClientCertificate | None
) -> tuple[float, float]:
    """(end-to-end deliveries/s including firing, engine-only deliveries/s)."""
    tls = registrations.TlsChange()
    if client is not None:
        tls = registrations.TlsChange(
            ClientCertificateFiles(client.cert_file, client.key_file, passphrase=client.passphrase)
        )
    with db.session() as session:
        data = registrations.RegistrationInput(
            url=url, is_development=True, auth_type="hmac", study_id="189", events=["upload"]
        )
        store = SecretStore()
        reg, _ = registrations.add(session, store, data, secret="benchmark-secret", tls=tls)
        reg_id = reg.id
    started = time.perf_counter()
    with db.session() as session:
        firing.fire(session, "upload", to_registration=reg_id, count=count)
    fire_done = time.perf_counter()
    summary = new_engine(db, SecretStore(), workers=workers).run_until_idle()
    finished = time.perf_counter()
    if summary.succeeded != count:
        sys.exit(f"only {summary.succeeded} of {count} deliveries succeeded: {summary}")
    return count / (finished - started), count / (finished - fire_done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--mtls", action="store_true", help="HTTPS, client certificate required")
    args = parser.parse_args()
    keyring.set_keyring(ThrowawayKeyring())  # the benchmark measures delivery, not the keyring
    directory = Path(tempfile.mkdtemp(prefix="webhook-desk-bench-"))
    os.environ["XDG_DATA_HOME"] = str(directory / "data")  # a local CA of the run's own
    ca = LocalCA() if args.mtls else None
    client = ca.issue_client_certificate("bench", directory) if ca else None
    adapter = (lambda: _Presenting(ca, client)) if ca and client else None
    nginx, url = start_nginx(directory, ca)
    try:
        db = Database.open(f"sqlite:///{directory / 'bench.sqlite3'}")
        # The machine is shared: measure the bare loop before and after the engine, so a
        # change of load during the run weighs on both sides alike.
        body = sample_body(db)
        before = bare_loop(url, body, args.count // 2, args.workers, adapter)
        end_to_end, engine_only = engine_run(db, url, args.count, args.workers, client)
        after = bare_loop(url, body, args.count - args.count // 2, args.workers, adapter)
        bare = args.count / (args.count // 2 / before + (args.count - args.count // 2) / after)
    finally:
        nginx.terminate()
        nginx.wait(10)
        shutil.rmtree(directory, ignore_errors=True)
    ratio = end_to_end / bare
    over = "over mTLS (a client certificate on every connection)" if args.mtls else "over HTTP"
    print(f"deliveries:          {args.count} with {args.workers} threads, HMAC-signed, to nginx")
    print(f"transport:           {over}")
    print(f"engine end to end:   {end_to_end:8.0f} deliveries/s (fire + claim + send + record)")
    print(f"engine sending only: {engine_only:8.0f} deliveries/s")
    print(f"bare requests loop:  {bare:8.0f} requests/s ({before:.0f} before, {after:.0f} after)")
    print(f"ratio:               {ratio:8.0%} (goal >= {GOAL_RATIO:.0%})")


if __name__ == "__main__":
    main()

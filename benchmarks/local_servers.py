"""Servers the benchmarks start beside what they measure, on 127.0.0.1: a free port, waiting
until something listens on it, and nginx (from the system's packages) answering 200."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webhook_desk.local_tls import ServingCertificate

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  {http}
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port}{listen};
    location / {{
      {location}
      return 200 '{{"received":true}}';
    }}
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after {timeout:g} s")


def nginx_binary() -> str | None:
    """nginx from PATH or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if Path(found).exists() else None


def start_nginx(
    binary: str, directory: Path, http: str = "", location: str = "", listen: str = ""
) -> tuple[subprocess.Popen, int]:
    """nginx answering 200 to everything, once it listens; `http` and `location` add
    directives to those blocks, `listen` options to its listen line (" ssl").
    Returns the process (the caller stops it) and its port."""
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(dir=directory, port=port, http=http, location=location, listen=listen)
    )
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(directory)])
    try:
        wait_until_listening(port)
    except SystemExit:
        process.kill()
        raise
    return process, port


def nginx_tls(tls: ServingCertificate, workdir: Path, client_ca: Path | None) -> str:
    """nginx's directives for the same certificate and (encrypted) key as the receiver's, and
    for requiring client certificates from the same CA when `client_ca` is given."""
    password_file = workdir / "key-password"
    password_file.write_text(tls.password or "")
    password_file.chmod(0o600)
    mtls = f" ssl_client_certificate {client_ca}; ssl_verify_client on;" if client_ca else ""
    return (
        f"ssl_certificate {tls.cert_file}; ssl_certificate_key {tls.key_file}; "
        f"ssl_password_file {password_file};{mtls}"
    )

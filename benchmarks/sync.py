"""How fast `webhook-desk sync centrepoint` pulls a study's history, beside a bare loop.

The platform emulator (`webhook-desk mock-api`) runs in its own process over a SQLite file
holding one webhook with N deliveries (about 1.2 records each). The sync pages through the
v3 history and stores every record (deduped, grouped into deliveries) in a fresh SQLite
database; the baseline fetches the same pages with a bare `requests.Session` loop and parses
their JSON, storing nothing. Same emulator, same run.

    .venv/bin/python benchmarks/sync.py [N]      (default 50,000)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import select

from webhook_desk.db.models import Registration
from webhook_desk.platform.centrepoint_sync import sync_centrepoint
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.mock_api import add_webhook_history, demo_platform
from webhook_desk.services.startup import open_database

TOKEN = "benchmark-token"
STUDY = "189"


def platform_data(path: Path, deliveries: int) -> int:
    db = demo_platform(f"sqlite:///{path}", deliveries=0)
    with db.session() as session:
        reg_id = session.scalar(select(Registration.id).where(Registration.study_id == STUDY))
        add_webhook_history(session, reg_id, deliveries)
    db.dispose()
    return reg_id


def start_emulator(path: Path) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "webhook_desk.cli", "--db", f"sqlite:///{path}", "mock-api"]
    process = subprocess.Popen(
        [*command, "--port", "0", "--token", TOKEN], stdout=subprocess.PIPE, text=True
    )
    line = process.stdout.readline()
    if not line.startswith("Platform emulator at "):
        process.kill()
        sys.exit(f"the emulator did not start: {line!r}")
    return process, line.split()[3]


def bare_loop(url: str, reg_id: int) -> int:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {TOKEN}"
    path = f"{url}/centrepoint/v3/Studies/{STUDY}/Webhooks/{reg_id}/history"
    offset, total, records = 0, None, 0
    while total is None or offset < total:
        page = http.get(path, params={"offset": offset, "limit": 100}, timeout=60).json()
        total = page["totalCount"]
        records += len(page["items"])
        offset += 100
    return records


def main() -> None:
    deliveries = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "platform.sqlite3"
        reg_id = platform_data(source, deliveries)
        process, url = start_emulator(source)
        try:
            started = time.perf_counter()
            records = bare_loop(url, reg_id)
            bare_s = time.perf_counter() - started

            desk = open_database(f"sqlite:///{Path(folder) / 'desk.sqlite3'}")
            started = time.perf_counter()
            report = sync_centrepoint(desk, PlatformClient(url, TOKEN), STUDY)
            sync_s = time.perf_counter() - started
            desk.dispose()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert report.records_added == records, (report.records_added, records)
    print(f"{deliveries:,} deliveries, {records:,} history records, {os.cpu_count()} cores")
    print(f"bare requests loop: {records / bare_s:,.0f} records/s ({bare_s:.1f} s)")
    print(f"sync (stored):      {records / sync_s:,.0f} records/s ({sync_s:.1f} s)")
    print(f"sync / bare:        {bare_s / sync_s:.0%}")


if __name__ == "__main__":
    main()

"""How much an incremental ECG refresh asks and takes, beside a full `sync ecg` of the same
organisation (the ratio is the figure).

The platform emulator (`webhook-desk mock-api`) runs in its own process over a SQLite file
holding the demo ECG organisation, each subscription given N deliveries of history. The desk
first syncs it in full (catalog, subscriptions, all activity) into a fresh SQLite database;
then refreshes twice as the window's background refresh does (`sync_ecg(catalog=False)`,
what `ecg_sync.refresh` runs with the kept token): once with nothing new, once after one new
delivery on the emulator.

    .venv/bin/python benchmarks/ecg_refresh.py [N]      (default 2,000)
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from sync import TOKEN, start_emulator

from webhook_desk.db.models import Registration
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.mock_api import add_webhook_history, demo_platform
from webhook_desk.services.startup import open_database


def module_data(path: Path, deliveries: int) -> tuple[str, list[int]]:
    """The demo organisation, its subscriptions' ids, each with `deliveries` of history."""
    db = demo_platform(f"sqlite:///{path}", deliveries=0)
    with db.session() as session:
        hosted = session.scalars(
            select(Registration).where(Registration.organization_id.is_not(None))
        ).all()
        organization = hosted[0].organization_id
        ids = [r.id for r in hosted if r.organization_id == organization]
        for reg_id in ids:
            add_webhook_history(session, reg_id, deliveries)
    db.dispose()
    return organization, ids


def timed(desk, url: str, organization: str, catalog: bool):
    client = PlatformClient(url, TOKEN)
    started = time.perf_counter()
    report = sync_ecg(desk, client, organization, catalog=catalog)
    client.close()
    return report, time.perf_counter() - started


def main() -> None:
    deliveries = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "module.sqlite3"
        organization, ids = module_data(source, deliveries)
        process, url = start_emulator(source)
        try:
            desk = open_database(f"sqlite:///{Path(folder) / 'desk.sqlite3'}")
            full, full_s = timed(desk, url, organization, catalog=True)
            idle, idle_s = timed(desk, url, organization, catalog=False)
            module = open_database(f"sqlite:///{source}")
            with module.session() as session:
                add_webhook_history(session, ids[0], 1, seed=2)
            module.dispose()
            one, one_s = timed(desk, url, organization, catalog=False)
            desk.dispose()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    print(f"{len(ids)} subscriptions x {deliveries:,} deliveries ({full.records_added:,} records)")
    print(f"full sync:              {full.requests:5} requests, {full_s:6.2f} s")
    print(f"refresh, nothing new:   {idle.requests:5} requests, {idle_s:6.2f} s")
    print(f"refresh, one new:       {one.requests:5} requests, {one_s:6.2f} s "
          f"({one.records_added} records, {len(one.new_failed)} newly failed)")  # fmt: skip
    print(f"refresh / full sync:    {idle.requests / full.requests:.1%} of the requests, "
          f"{idle_s / full_s:.1%} of the time")  # fmt: skip


if __name__ == "__main__":
    main()

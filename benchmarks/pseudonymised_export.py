"""Pseudonymised export (issue 20) beside the plain one, same data, same run: CSV (lines still
built by the database, subjects looked up in a temporary table) and NDJSON (every payload
parsed and its identifying fields replaced in Python).

    .venv/bin/python benchmarks/pseudonymised_export.py [--db PATH] [--deliveries N]

Without --db a fresh demo database of N (default 200,000) deliveries is made first. Salts go
to a throwaway in-memory keyring, never the user's.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import keyring

sys.path.insert(0, str(Path(__file__).parent))
from history import make_demo  # noqa: E402

from webhook_desk.history.export import export  # noqa: E402
from webhook_desk.history.queries import Filters  # noqa: E402
from webhook_desk.secrets import SecretStore  # noqa: E402
from webhook_desk.services.startup import open_database  # noqa: E402
from webhook_desk.throwaway_keyring import ThrowawayKeyring  # noqa: E402

RUNS = 3


def best_of(work) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing demo database (SQLite file)")
    parser.add_argument("--deliveries", type=int, default=200_000)
    args = parser.parse_args()
    keyring.set_keyring(ThrowawayKeyring())
    store = SecretStore()
    folder = Path(tempfile.mkdtemp(prefix="webhook-desk-pseudonyms-"))
    try:
        db = open_database(f"sqlite:///{args.db or make_demo(folder, args.deliveries)}")
        print(f"best of {RUNS}             plain s   pseudonymised s   ratio")
        for fmt in ("csv", "ndjson"):
            out = folder / f"out.{fmt}"
            plain = best_of(lambda fmt=fmt, out=out: export(db, Filters(), fmt, out))
            pz = best_of(
                lambda fmt=fmt, out=out: export(db, Filters(), fmt, out, pseudonymise=store)
            )
            print(f"  {fmt:20} {plain:8.2f}   {pz:15.2f}   {pz / plain:5.2f}x")
        db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`webhook-desk mock-api` (the platform emulator) and `webhook-desk sync centrepoint|ecg`."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from webhook_desk.cli.common import add_json_option, add_verb, open_db, print_json
from webhook_desk.cli.serve import add_switch_options, switches
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore

PROGRESS_EVERY_S = 1.0


def register(subparsers) -> None:
    mock = add_verb(
        subparsers,
        "mock-api",
        "serve the platform's webhook APIs (CentrePoint v3/v1, ECG module) for testing",
        _mock_api,
    )
    add_switch_options(mock)
    mock.add_argument("--token", help="the bearer token clients must send (default: a new one)")
    mock.add_argument(
        "--demo-deliveries",
        type=int,
        default=1000,
        help="without --db: how many demo deliveries to serve (default 1000)",
    )

    parser = subparsers.add_parser("sync", help="pull registrations and history from the platform")
    kinds = parser.add_subparsers(dest="platform", metavar="PLATFORM", required=True)
    centrepoint = add_verb(
        kinds, "centrepoint", "a CentrePoint study's webhooks and history", _sync
    )
    centrepoint.add_argument("--study", required=True, help="the CentrePoint study id")
    centrepoint.add_argument("--since", help="only history sent on or after this time (UTC)")
    ecg = add_verb(kinds, "ecg", "the ECG module's catalog, subscriptions and activity", _sync)
    ecg.add_argument("--organization", "--organisation", dest="organization", required=True)
    for verb in (centrepoint, ecg):
        verb.add_argument("--api-url", required=True, help="the platform API's base URL")
        verb.add_argument(
            "--token-stdin",
            action="store_true",
            help="read the API token from standard input (kept in the keyring for next time)",
        )
        add_json_option(verb)


# ---- mock-api ----------------------------------------------------------------------------


def _mock_database(args, folder: str):
    if getattr(args, "db", None):
        return open_db(args)
    from webhook_desk.platform.mock_api import demo_platform

    return demo_platform(f"sqlite:///{Path(folder) / 'platform.sqlite3'}", args.demo_deliveries)


def _mock_api(args) -> int:
    from webhook_desk.cli.receive import _wait_for_stop_signal
    from webhook_desk.platform.mock_api import MockApi, new_token
    from webhook_desk.receiver.server import binding_warning

    options = switches(args, args.token or new_token())
    options.check()
    if args.demo_deliveries < 0:
        raise InvalidInput("--demo-deliveries cannot be negative.")
    with tempfile.TemporaryDirectory(prefix="webhook-desk-mock-") as folder:
        db = _mock_database(args, folder)
        api = MockApi(db, options)
        warning = binding_warning(args.host)
        if warning:
            print(
                f"webhook-desk: warning: {warning.replace('receiver', 'emulator')}", file=sys.stderr
            )
        try:
            api.start(args.host, args.port)
            print(
                f"Platform emulator at {api.url} (token {options.token}); Ctrl-C stops.", flush=True
            )
            _wait_for_stop_signal()
            api.stop()
        finally:
            db.dispose()
    return 0


# ---- sync --------------------------------------------------------------------------------


class _ProgressLines:
    """A line on stderr per stage, at most one a second, and the last of each stage."""

    def __init__(self):
        self.stage, self.shown = None, 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if stage == self.stage and not finished and now - self.shown < PROGRESS_EVERY_S:
            return
        self.stage, self.shown = stage, now
        of = f" of {total}" if total is not None else ""
        print(f"{stage}: {done}{of}", file=sys.stderr, flush=True)


def _sync(args) -> int:
    from webhook_desk.platform.centrepoint_sync import sync_centrepoint
    from webhook_desk.platform.client import PlatformClient
    from webhook_desk.platform.ecg_sync import sync_ecg
    from webhook_desk.platform.sync import api_token

    given = sys.stdin.readline().strip() if args.token_stdin else None
    if args.token_stdin and not given:
        raise InvalidInput("--token-stdin was given but standard input held no token.")
    token, warning = api_token(SecretStore(), args.api_url, given)
    client = PlatformClient(args.api_url, token)
    db = open_db(args)
    progress = _ProgressLines()
    try:
        if args.platform == "centrepoint":
            report = sync_centrepoint(db, client, args.study, args.since, progress)
        else:
            report = sync_ecg(db, client, args.organization, progress)
    finally:
        client.close()
    report.warning = warning
    if args.json:
        print_json(report.as_dict())
    else:
        print(
            f"{report.registrations_added} registrations added, "
            f"{report.registrations_updated} updated; {report.records_added} history records "
            f"added ({report.deliveries_added} deliveries) of {report.records_fetched} fetched"
            + (f"; {report.catalog_added} catalog entries added" if report.catalog_added else "")
            + f"; {report.requests} requests, {report.retries} retried."
        )
    if warning:
        print(f"webhook-desk: warning: {warning}", file=sys.stderr)
    return 0

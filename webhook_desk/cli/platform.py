"""`webhook-desk sync centrepoint|ecg`: pull registrations and history from the platform."""

from __future__ import annotations

import sys
import time

from webhook_desk.cli.common import open_db, print_json
from webhook_desk.errors import InvalidInput
from webhook_desk.platform.api_auth import default_token_url
from webhook_desk.platform.centrepoint_sync import sync_centrepoint
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.sync import api_client_credentials, api_token
from webhook_desk.secrets import SecretStore

PROGRESS_EVERY_S = 1.0


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


def credentials(args):
    """The pasted token (--token-stdin, or the stored one), or OAuth2 client credentials
    (--client-id, the secret from --client-secret-stdin or the keyring); and any warning."""
    if args.client_id:
        secret = stdin_line(args.client_secret_stdin, "--client-secret-stdin", "client secret")
        token_url = args.token_url or default_token_url(args.api_url)
        return api_client_credentials(SecretStore(), args.client_id, secret, token_url, args.scope)
    given = stdin_line(args.token_stdin, "--token-stdin", "token")
    return api_token(SecretStore(), args.api_url, given)


def stdin_line(wanted: bool, flag: str, what: str) -> str | None:
    if not wanted:
        return None
    given = sys.stdin.readline().strip()
    if not given:
        raise InvalidInput(f"{flag} was given but standard input held no {what}.")
    return given


def connect(args) -> tuple[PlatformClient, str | None]:
    """A client of the platform at --api-url with the credentials the options name, and any
    warning about keeping them."""
    if args.client_secret_stdin and not args.client_id:
        raise InvalidInput("--client-secret-stdin needs --client-id.")
    token, warning = credentials(args)
    return PlatformClient(args.api_url, token), warning


def hosted_client(args, reg_id, origin: str | None) -> PlatformClient:
    """A client of the ECG module registration `reg_id` mirrors a subscription of: --api-url,
    or the API it was synced from, with the credentials the options name or the kept token."""
    args.api_url = args.api_url or origin
    if not args.api_url:
        raise InvalidInput(
            f"Registration {reg_id} mirrors an ECG module subscription and is changed there "
            "first: pass --api-url, the module's API as given to `sync ecg`."
        )
    return warned_connection(args)


def warned_connection(args) -> PlatformClient:
    """connect(args), with any warning about keeping the credentials on stderr."""
    client, warning = connect(args)
    if warning:
        print(f"webhook-desk: warning: {warning}", file=sys.stderr)
    return client


def hosted_activity(args, db, *, delivery=None, registration=None):
    """The module's activity writes when `delivery` was pulled from an ECG module or
    `registration` mirrors one of its subscriptions; None for the desk's own."""
    from webhook_desk.platform import ecg_activity_writes as writes

    with db.session() as session:
        if delivery is not None:
            found = writes.hosted_delivery(session, delivery)
            hosted = found[0] if found else None
        else:
            hosted = writes.hosted_registration(session, registration)
    if hosted is None:
        return None
    return writes.EcgActivityWrites(db, hosted_client(args, hosted.reg_id, hosted.origin))


def print_module_answer(args, done: dict, sentence: str) -> int:
    """What the module answered a change of activity, as --json or one line."""
    if args.json:
        print_json(done)
    else:
        pulled = done["records_added"]
        print(f"{sentence} (its activity {done['activity']}); {pulled} new records pulled here.")
    return 0


def _sync(args) -> int:
    client, warning = connect(args)
    db = open_db(args)
    progress = _ProgressLines()
    try:
        if args.platform == "centrepoint":
            report = sync_centrepoint(db, client, args.study, args.since, progress)
        else:
            report = sync_ecg(db, client, args.organization, progress, not args.changes_only)
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
            + (f"; {len(report.new_failed)} newly failed" if report.new_failed else "")
            + f"; {report.requests} requests, {report.retries} retried."
        )
    if warning:
        print(f"webhook-desk: warning: {warning}", file=sys.stderr)
    return 0

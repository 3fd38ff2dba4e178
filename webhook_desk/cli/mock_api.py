"""`webhook-desk mock-api`: the platform emulator, serving its webhook APIs for testing."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from webhook_desk.cli.common import open_db
from webhook_desk.cli.receive import _wait_for_stop_signal
from webhook_desk.cli.serve import switches
from webhook_desk.errors import InvalidInput
from webhook_desk.platform.mock_api import MockApi, demo_platform, new_token
from webhook_desk.receiver.server import binding_warning


def _mock_database(args, folder: str):
    if getattr(args, "db", None):
        return open_db(args)
    return demo_platform(f"sqlite:///{Path(folder) / 'platform.sqlite3'}", args.demo_deliveries)


def _mock_api(args) -> int:
    options = switches(args, args.token or new_token())
    # OAuth2 client credentials for its /connect/token, as the platform's auth host issues.
    options.client_id, options.client_secret = "webhook-desk", new_token()
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
                f"Platform emulator at {api.url} (token {options.token}); Ctrl-C stops.\n"
                f"OAuth2 client credentials: client id {options.client_id}, client secret "
                f"{options.client_secret}, token endpoint {api.url}/connect/token.",
                flush=True,
            )
            _wait_for_stop_signal()
            api.stop()
        finally:
            db.dispose()
    return 0

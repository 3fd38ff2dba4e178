"""`webhook-desk payload-hash generate|validate`: the ECG module's payload hash.

The secret is read from standard input (never a command-line argument, which other users of
the machine can see); the payload comes from a file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from webhook_desk import signing
from webhook_desk.cli.common import open_db, print_json
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.services import payload_hashes, resend


def _inputs(args) -> tuple[str, object]:
    secret = sys.stdin.read().strip()
    if not secret:
        raise InvalidInput(signing.EMPTY_SECRET)
    try:
        payload = json.loads(Path(args.payload).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"No payload file {args.payload}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"The payload file {args.payload} is not JSON: {exc}.") from None
    return secret, payload


def _generate(args) -> int:
    secret, payload = _inputs(args)
    created_at = args.created_at if args.created_at is not None else int(time.time())
    digest = signing.payload_hash(secret, payload, created_at)
    if args.json:
        print_json({"hash": digest, "created_at": created_at})
    else:
        print(digest)
    return 0


def _validate(args) -> int:
    secret, payload = _inputs(args)
    valid = signing.payload_hash_valid(secret, payload, args.created_at, args.hash)
    if args.json:
        print_json({"valid": valid})
    elif valid:
        print("The hash is valid.")
    else:
        print("The hash does not match this payload, time and secret.")
    return 0 if valid else 1


def _get(args) -> int:
    """The hash of what a delivery carried, with its registration's secret (`get-hash`)."""
    with open_db(args).session() as session:
        made = payload_hashes.of_delivery(
            session, SecretStore(), resend.find(session, args.delivery)
        )
    if args.json:
        print_json({"hash": made.hash, "created_at": made.created_at})
    else:
        print(made.hash)
    return 0

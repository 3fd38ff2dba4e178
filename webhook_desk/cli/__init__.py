"""The command line: `webhook-desk VERB ...` (with no verb, webhook_desk.__main__ opens the GUI).

Each verb group lives in its own module with a `register(subparsers)` that adds its
parser and sets `handler`. A handler gets the parsed args and returns an exit code.
A UserError becomes one line on stderr and exit code 1; no traceback for a user's mistake.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from webhook_desk import __version__
from webhook_desk.errors import UserError

OpenWindow = Callable[[str | None, bool], int]

VERB_MODULES = [
    "webhook_desk.cli.registrations",
    "webhook_desk.cli.events",
    "webhook_desk.cli.audit",
    "webhook_desk.cli.health",
    "webhook_desk.cli.demo",
    "webhook_desk.cli.delivery",
    "webhook_desk.cli.diff",
    "webhook_desk.cli.history",
    "webhook_desk.cli.payload_hash",
    "webhook_desk.cli.receive",
    "webhook_desk.cli.platform",
]


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    parser = argparse.ArgumentParser(
        prog="webhook-desk", description="Register, fire, receive and analyse webhooks."
    )
    parser.add_argument("--version", action="version", version=f"webhook-desk {__version__}")
    add_db_option(parser)
    add_self_test_option(parser)
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB")
    for name in VERB_MODULES:
        import_module(name).register(subparsers)
    return parser


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="database URL (default: WEBHOOK_DESK_DB or the user's SQLite file)",
    )


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="webhook-desk", add_help=False)
    add_db_option(parser)
    add_self_test_option(parser)
    return parser


def add_self_test_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen, check database, catalog and keyring, and exit",
    )


def main(argv: list[str] | None = None, open_window: OpenWindow | None = None) -> int:
    """Run the verb `argv` names. Without one, `open_window(db_url, self_test)` (passed in by
    webhook_desk.__main__, as the CLI does not import the GUI); without that, the usage."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        gui_args, rest = _gui_parser().parse_known_args(argv)
        if not rest:
            if open_window is None:
                build_parser().print_usage(sys.stderr)
                return 2
            return open_window(getattr(gui_args, "db", None), gui_args.self_test)
        args = build_parser().parse_args(argv)
        return args.handler(args) or 0
    except UserError as error:
        print(f"webhook-desk: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("webhook-desk: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The command line: `webhook-desk VERB ...` (with no verb, webhook_desk.__main__ opens the GUI).

cli/verbs.py holds the grammar; each verb names its handler as "module:function", and only
that module is imported, when the verb runs. A handler gets the parsed args and returns an exit
code. A UserError becomes one line on stderr and exit code 1; no traceback for a user's mistake.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module

from webhook_desk.cli import verbs
from webhook_desk.errors import UserError

OpenWindow = Callable[[str | None, bool], int]


def main(argv: list[str] | None = None, open_window: OpenWindow | None = None) -> int:
    """Run the verb `argv` names. Without one, `open_window(db_url, self_test)` (passed in by
    webhook_desk.__main__, as the CLI does not import the GUI); without that, the usage."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = verbs.parser()
    try:
        args = parser.parse_args(argv)
        if args.verb is None and args.install_desktop_entry:
            return handler("desktop_entry:install")(args)
        if args.verb is None:
            if open_window is None:
                parser.print_usage(sys.stderr)
                return 2
            return open_window(getattr(args, "db", None), args.self_test)
        return handler(args.handler)(args) or 0
    except UserError as error:
        print(f"webhook-desk: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("webhook-desk: interrupted.", file=sys.stderr)
        return 130


def handler(name: str) -> Callable:
    """The function "module:function" names, importing its module of webhook_desk.cli."""
    module, function = name.split(":")
    return getattr(import_module(f"webhook_desk.cli.{module}"), function)

"""What `webhook-desk` (and `python -m webhook_desk`) runs: the window when no verb is given,
else the command line. It sits above both, so neither the CLI nor the GUI imports the other."""

from __future__ import annotations

import sys

from webhook_desk import cli


def open_window(db_url: str | None, self_test: bool) -> int:
    # Qt and the whole window load here, not at the top: a verb, --version or --help must not
    # pay for them.
    from webhook_desk.ui.app import run_gui

    return run_gui(db_url, self_test=self_test)


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, open_window=open_window)


if __name__ == "__main__":
    sys.exit(main())

"""`webhook-desk --install-desktop-entry`: the app in the desktop's menu and dock (Linux)."""

from __future__ import annotations

import argparse

from webhook_desk import desktop_entry


def install(_args: argparse.Namespace) -> int:
    entry, icon = desktop_entry.install()
    print(f"Installed the menu entry {entry} and its icon {icon}.")
    return 0

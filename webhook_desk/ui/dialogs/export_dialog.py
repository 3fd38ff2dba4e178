"""Export the filtered history: the hook the history issue fills (formats, progress, cancel)."""

from __future__ import annotations

from importlib.util import find_spec

from webhook_desk.ui.dialogs.message import show_error


def open_export_dialog(context, filters, parent):
    if find_spec("webhook_desk.history.export") is None:
        return show_error(parent, "Export is not available in this version yet.")
    return show_error(parent, "Export from the window is not wired yet; use `webhook-desk export`.")

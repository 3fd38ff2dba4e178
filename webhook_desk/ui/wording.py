"""The window's wording of a service's error: the services speak to every front end, so
their sentences name CLI options (`--port`) and Python backends; the few that do are
reworded here, once, for someone using the window."""

from __future__ import annotations

from webhook_desk.errors import KeyringUnavailable, PortInUse, UserError

NO_KEYRING = (
    "No secure keyring is available, so this secret cannot be stored (Webhook Desk never "
    "keeps secrets in plain text). Install and unlock GNOME Keyring or KWallet, then start "
    "Webhook Desk again in that desktop session."
)


def for_window(error: UserError) -> str:
    """The sentence to show in the window for a service's error."""
    if isinstance(error, PortInUse):
        return (
            f"Port {error.port} is already in use by another program. Stop that program, "
            "or choose another port in the Port box and start again."
        )
    if isinstance(error, KeyringUnavailable) and error.backend is not None:
        return NO_KEYRING
    return str(error)

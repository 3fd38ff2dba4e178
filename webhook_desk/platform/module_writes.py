"""What every write-through to the hosted ECG module shares: one client, refusals as one
sentence that says nothing was changed here, the audit's note naming where the change went,
and the rule that a secret only travels over HTTPS (or stays on this machine)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from webhook_desk.errors import Conflict, InvalidInput, UserError
from webhook_desk.platform.client import PlatformClient, PlatformError
from webhook_desk.platform.sync import api_token

LOOPBACK = ("127.0.0.1", "::1", "localhost")  # plain http stays on this machine


def module_client(store, origin: str | None, what: str) -> PlatformClient:
    """A client of the module `what` was synced from, with the token kept for it."""
    if not origin:
        raise InvalidInput(
            f"{what} was synced before the desk kept where from; "
            "connect to its ECG module again to change it."
        )
    token, _ = api_token(store, origin, None)
    return PlatformClient(origin, token)


def tested_replace(now: dict, changes: dict) -> list[dict]:
    """A JSON Patch setting each field of `changes` (the module's names), each first tested
    against the value `now` holds for it, so a change made meanwhile fails the patch; a field
    `now` does not hold is not tested (testing it against nothing would fail every time)."""
    operations = []
    for field, value in changes.items():
        if field in now:
            operations.append({"op": "test", "path": f"/{field}", "value": now[field]})
        operations.append({"op": "replace", "path": f"/{field}", "value": value})
    return operations


class ModuleWrites:
    """Changes sent to one ECG module over one client, then made here from its answer."""

    def __init__(self, db, client: PlatformClient):
        self.db, self.client = db, client

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.client.close()

    def _send(self, method: str, path: str, body=None, params: dict | None = None):
        return self._asking(lambda: self.client.send(method, path, params=params, body=body))

    def _asking(self, ask: Callable):
        """`ask()` of the module (a write, or a read a write depends on); what it refuses is
        one sentence saying nothing was changed here."""
        try:
            return ask()
        except UserError as error:
            # 409: the module's copy changed between our read and this write (a failed test).
            status = getattr(error, "status", None)
            kind = Conflict if status == 409 else type(error)
            silent = isinstance(error, PlatformError) and not error.answered
            answered = "did not answer" if silent else "did not take the change"
            raise kind(
                f"The ECG module {answered}: {str(error).rstrip('.')}; nothing was changed here."
            ) from None

    def _document(self, method: str, path: str, body=None, params=None) -> dict:
        """The module's answer, which must be one JSON object."""
        answer = self._send(method, path, body, params)
        if not isinstance(answer, dict):
            raise InvalidInput(f"The ECG module answered {path} with something not a record.")
        return answer

    def _private_channel(self) -> bool:
        """Whether a secret may travel to or from the module: HTTPS, or this machine."""
        parts = urlsplit(self.client.base_url)
        return parts.scheme == "https" or parts.hostname in LOOPBACK

    def _check_private_channel(self) -> None:
        if not self._private_channel():
            raise InvalidInput(
                f"A secret is only sent to the ECG module over HTTPS; {self.client.base_url} "
                "is plain http, so nothing was sent."
            )

    def _note(self, remote, reason: str | None, what: str = "ECG subscription") -> str:
        """The audit's reason: the user's, and where the change was sent."""
        note = f"sent to {what} {remote} at {self.client.base_url}"
        return f"{reason}; {note}" if reason else note

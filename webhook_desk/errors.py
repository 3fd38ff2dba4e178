"""Errors a user can read: each carries one plain sentence that the CLI and GUI show as is."""


class UserError(Exception):
    """A problem the user can fix; str(error) is the sentence to show."""


class NotFound(UserError):
    """An id, event or file that does not exist."""


class InvalidInput(UserError):
    """Input that breaks a rule: a wrong URL, malformed JSON, an unknown auth type."""


class DatabaseUnavailable(UserError):
    """The database cannot be opened, reached or written (locked, missing server)."""


class KeyringUnavailable(UserError):
    """No usable OS keyring backend, so no secret can be stored or read.

    `backend` names what keyring found, for a front end that words it its own way."""

    def __init__(self, sentence: str, backend: str | None = None):
        super().__init__(sentence)
        self.backend = backend


class PortInUse(UserError):
    """Another program listens on the port we were asked to serve on."""

    def __init__(self, host: str, port: int):
        super().__init__(
            f"Port {port} on {host} is already in use; stop what uses it or choose "
            "another with --port."
        )
        self.host, self.port = host, port


class Conflict(InvalidInput):
    """A change the record's current state does not allow: a duplicate code, activating an
    archived entry, deleting what is still in use."""

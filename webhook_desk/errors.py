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
    """No usable OS keyring backend, so no secret can be stored or read."""


class Conflict(InvalidInput):
    """A change the record's current state does not allow: a duplicate code, activating an
    archived entry, deleting what is still in use."""

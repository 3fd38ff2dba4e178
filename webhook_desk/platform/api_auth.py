"""How the platform client authenticates: a pasted bearer token, or OAuth2 client credentials.

The CentrePoint API takes a token from its OAuth2 token endpoint (a form-encoded POST of
client_id, client_secret, scope and grant_type=client_credentials, answered with access_token
and expires_in). The token is fetched, cached and renewed by the engine's TokenCache, the
one place that speaks OAuth2; here it only learns to send the credentials in the form body as
the platform asks. The client secret lives in the keyring, one per token host and client id.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from webhook_desk.engine import auth
from webhook_desk.errors import UserError
from webhook_desk.vocabulary import AuthType

DEFAULT_SCOPE = "CentrePoint"
TOKEN_PATH = "/connect/token"


class PastedToken:
    """A token the user gave: used as it is; when it expires, only the user can renew it."""

    renewable = False

    def __init__(self, value: str, accepted: Callable[[], object] | None = None):
        self.value, self._accepted = value, accepted

    def token(self) -> str:
        return self.value

    def renew(self) -> None:
        pass

    def accepted(self) -> None:
        """The platform answered a call made with it: `accepted` (e.g. keep it) runs once."""
        then, self._accepted = self._accepted, None
        if then is not None:
            then()


class ClientCredentials:
    """Tokens fetched with a client id and secret, renewed before they expire and on a 401."""

    renewable = True

    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str):
        self.creds = auth.Credentials(
            AuthType.OAUTH2,
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            scope=scope,
            client_auth="post",
        )
        self.cache = auth.TokenCache()
        self.http = requests.Session()

    def token(self) -> str:
        try:
            return self.cache.token(self.creds, self.http)
        except auth.AuthFailed as failure:
            raise UserError(f"No API token from {self.creds.token_url}: {failure}") from None

    def renew(self) -> None:
        self.cache.forget(self.creds)

    def accepted(self) -> None:
        pass  # the client secret is kept when given (the token endpoint checks it first)


def default_token_url(api_url: str) -> str:
    """The token endpoint on the API's own host (the emulator's; the platform's is on its
    auth host, given with --token-url)."""
    parts = urlsplit(api_url.strip())
    return f"{parts.scheme}://{parts.netloc}{TOKEN_PATH}"


def client_secret_key(token_url: str, client_id: str) -> str:
    """Where a client secret lives in the keyring."""
    return f"platform-client/{urlsplit(token_url.strip()).netloc.lower()}/{client_id}"

"""Secrets in headers: which headers carry them and what of them may be kept. The one rule
for every place that stores, shows or exports headers (engine attempts, the receiver's
inbox, history exports and imports, the platform shapes, the GUI's detail).

A scheme word (`Basic`, `Bearer`, ...) may be kept, so a reader sees how a request
authenticated; the value never. Whatever credential the engine sent is also scrubbed from
what a target echoes back, in headers or body.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from webhook_desk.db.models import SecretHeader
from webhook_desk.errors import InvalidInput

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-actigraph-hook-secret")
)
# HTTP authentication schemes (IANA's registry and common others): only these words are kept,
# since in `Authorization: s3cr3t more` the first word is as likely a piece of the secret.
AUTH_SCHEMES = frozenset(
    (
        "basic", "bearer", "digest", "dpop", "gnap", "hoba", "mutual", "negotiate", "ntlm",
        "oauth", "privatetoken", "concealed", "scram-sha-1", "scram-sha-256", "vapid",
        "aws4-hmac-sha256", "hmac", "token", "apikey",
    )
)  # fmt: skip
# Shorter credentials are not searched for in bodies and other text: replacing every "ab"
# would ruin the text and hide nothing worth hiding (the header itself is still redacted).
SCRUB_MIN = 6
# RFC 9110's token: what a header name may be made of.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def redacted_value(value: object) -> str:
    """`Basic [redacted]` when the value starts with a known scheme word, else `[redacted]`."""
    words = str(value).split(None, 1)  # any whitespace: tabs and runs of spaces too
    if len(words) == 2 and words[0].lower() in AUTH_SCHEMES:
        return f"{words[0]} {REDACTED}"
    return REDACTED


def credential_values(value: object) -> list[str]:
    """The secret pieces of one header value as sent: all of it, the part after the scheme,
    and for Basic the decoded `user:password` and the password."""
    text = str(value).strip()
    pieces = [text]
    words = text.split(None, 1)
    if len(words) == 2:
        pieces.append(words[1].strip())
        if words[0].lower() == "basic":
            pieces.extend(_basic_pieces(words[1].strip()))
    return [p for p in pieces if p]


def _basic_pieces(encoded: str) -> list[str]:
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return []
    return [decoded, decoded.partition(":")[2]]


@dataclass(frozen=True)
class Redactor:
    """Redacts secret-bearing headers (the built-in ones and the user's) and scrubs known
    secret values (what the engine sent) from text and bodies."""

    names: frozenset[str] = SECRET_HEADERS
    secrets: tuple[str, ...] = ()  # longest first, so no shorter one splits a longer

    def is_secret(self, name: str) -> bool:
        return name.lower() in self.names

    def headers(self, headers: Mapping | None) -> dict:
        """A copy with every secret-bearing value redacted and known secrets scrubbed."""
        shown = {}
        for name, value in (headers or {}).items():
            if self.is_secret(str(name)):
                value = (
                    [redacted_value(v) for v in value]
                    if isinstance(value, list)
                    else (redacted_value(value))
                )
            elif isinstance(value, str):
                value = self.text(value)
            shown[name] = value
        return shown

    def text(self, text: str | None) -> str | None:
        for secret in self.secrets:
            if text and secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def body(self, data: bytes) -> bytes:
        for secret in self.secrets:
            encoded = secret.encode("utf-8")
            if encoded in data:
                data = data.replace(encoded, REDACTED.encode())
        return data

    def knowing(self, sent: Mapping | Iterable[str]) -> Redactor:
        """This redactor, also scrubbing the credentials in the headers `sent` (a mapping)
        or the given secret values."""
        if isinstance(sent, Mapping):
            values = [v for k, val in sent.items() if self.is_secret(k) for v in _pieces(val)]
        else:
            values = list(sent)
        values = [v for v in values if len(v) >= SCRUB_MIN]
        if not values:
            return self
        merged = sorted(set(self.secrets) | set(values), key=len, reverse=True)
        return Redactor(self.names, tuple(merged))


def _pieces(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [piece for v in values for piece in credential_values(v)]


DEFAULT = Redactor()


def redacted(headers: Mapping | None) -> dict:
    """Headers with the built-in secret-bearing ones redacted (no database at hand)."""
    return DEFAULT.headers(headers)


# ---- the user's own secret-bearing headers (Settings), kept in the database --------------


def user_header_names(session) -> list[str]:
    """The headers the user added, as they wrote them, in the order added."""
    return list(session.scalars(select(SecretHeader.name).order_by(SecretHeader.id)))


def redactor(session) -> Redactor:
    """The rule with the user's headers added: every place that has a session uses this."""
    extra = {name.lower() for name in user_header_names(session)}
    return Redactor(SECRET_HEADERS | extra) if extra else DEFAULT


def header_name_problem(name: str) -> str | None:
    """The sentence a user reads when `name` cannot be a header name, else None."""
    if not name.strip():
        return "A header name cannot be empty."
    if not _HEADER_NAME.fullmatch(name.strip()):
        return (
            f"'{name.strip()}' is not a header name: use letters, digits and - only "
            "(no spaces or colon)."
        )
    return None


def names_in(text: str) -> list[str]:
    """The header names in a comma-separated list as the user types it in Settings."""
    return [name.strip() for name in text.split(",") if name.strip()]


def names_problem(names: Iterable[str]) -> str | None:
    """The first bad name's sentence, else None."""
    return next(filter(None, map(header_name_problem, names)), None)


def set_user_header_names(session, names: Iterable[str]) -> list[str]:
    """Replace the user's list; refuses the whole list with the first bad name's sentence."""
    names = list(names)
    problem = names_problem(names)
    if problem:
        raise InvalidInput(problem)
    wanted: dict[str, str] = {}
    for name in map(str.strip, names):
        if name.lower() not in SECRET_HEADERS:
            wanted.setdefault(name.lower(), name)
    for row in session.scalars(select(SecretHeader)):
        if wanted.pop(row.name.lower(), None) is None:
            session.delete(row)
    session.add_all(SecretHeader(name=name) for name in wanted.values())
    session.flush()
    return user_header_names(session)

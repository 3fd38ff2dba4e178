"""What is wrong with a registration or a target URL, as the sentences a user reads.

The one place these rules live: the registration dialog and the Fire dialog call them as the
user types, the services call them before saving or firing, and the CLI prints the same
sentence. An empty list means nothing is wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from webhook_desk import certificates, signing
from webhook_desk.engine.retry import parse_schedule
from webhook_desk.errors import UserError
from webhook_desk.services import catalog
from webhook_desk.vocabulary import AuthType, EventStatus

if TYPE_CHECKING:
    from webhook_desk.db.models import Registration
    from webhook_desk.services.registrations import RegistrationInput

AUTH_TYPES = tuple(a.value for a in AuthType)  # plain strings: argparse shows their repr
SECRET_KIND = {
    AuthType.BASIC: "basic-password",
    AuthType.HMAC: "hmac",
    AuthType.STANDARD_WEBHOOKS: "standard-webhooks",
    AuthType.OAUTH2: "oauth2-client-secret",
}
# The characters that cannot be in a host name (a space typed or pasted into a URL, above all).
_NOT_IN_HOST = set(' \t\r\n<>"{}|\\^`')
_PLATFORMS = {"centrepoint": "a CentrePoint", "ecg": "an ECG module"}
_OWNERS = {"centrepoint": "a study's registration", "ecg": "an organisation's subscription"}


@dataclass(frozen=True)
class EventChoice:
    """A catalogued event as the rules see it: which platform it belongs to, whether usable."""

    code: str
    name: str
    module: str  # centrepoint | ecg
    status: EventStatus  # effective: an inactive or archived category makes its events so


def event_choices(session: Session) -> list[EventChoice]:
    """Every event a registration could name, one per code (its newest version)."""
    found = {
        e.code: EventChoice(e.code, e.name, e.category.module, catalog.effective_status(e))
        for e in catalog.list_events(session)
        if e.code != "validation"
    }
    return list(found.values())


def offered(choices: Iterable[EventChoice], module: str) -> list[EventChoice]:
    """The events a new subscription of `module` may choose: those usable now."""
    return [c for c in choices if c.module == module and c.status == EventStatus.ACTIVE]


def module_of(data: RegistrationInput | Registration) -> str:
    return "ecg" if data.organization_id else "centrepoint"


def url_problems(url: str, development: bool) -> list[str]:
    """What is wrong with `url` as a target. Plain http is for development registrations."""
    text = url.strip()
    if not text:
        return ["Enter the target URL."]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"'{url}' is not an absolute http(s) URL."]
    if "@" in parts.netloc:
        # Never echo the URL: the part before '@' may be a password.
        return [
            "A URL cannot carry a user name or password (the part before '@'); "
            "choose Basic authentication instead, whose password is kept in the keyring."
        ]
    if _NOT_IN_HOST & set(parts.netloc):
        return [f"'{url}' has a space or a character that cannot be in a host name."]
    if parts.scheme == "http" and not development:
        return [f"'{url}' uses plain http, which only a development registration may use."]
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return [f"'{url}' has an invalid port."]
    return []


def problems(
    data: RegistrationInput,
    choices: Collection[EventChoice],
    secret: str | None = None,
    stored_auth: str | None = None,
    kept_events: Collection[str] = (),
) -> list[str]:
    """Everything wrong with `data`, first things first. `stored_auth` is the auth type of
    the registration being edited (its secret is in the keyring already); `kept_events` are
    the events it has, which stay allowed even when no longer offered."""
    found = url_problems(data.url, data.is_development)
    if data.auth_type not in AUTH_TYPES:
        found.append(f"Unknown auth type '{data.auth_type}'; use one of {', '.join(AUTH_TYPES)}.")
    if data.study_id and data.organization_id:
        found.append("A registration belongs to a study or an organisation, not both.")
    found += _event_problems(data, choices, kept_events)
    if data.retry_schedule:
        found += _schedule_problems(data.retry_schedule)
    found += credential_problems(data, secret, needs_secret=stored_auth != data.auth_type)
    return found


def _event_problems(data, choices: Collection[EventChoice], kept: Collection[str]) -> list[str]:
    if data.events is None:
        return []  # every event of the platform, chosen by the service
    if not data.events:
        return ["Choose at least one event."]
    module, by_code = module_of(data), {c.code: c for c in choices}
    found = []
    for code in data.events:
        choice = by_code.get(code)
        if choice is None:
            found.append(catalog.unknown_sentence("event", code, list(by_code)))
        elif choice.module != module:
            found.append(
                f"'{code}' is {_PLATFORMS[choice.module]} event, so {_OWNERS[module]} "
                "cannot subscribe to it."
            )
        elif choice.status != EventStatus.ACTIVE and code not in kept:
            found.append(f"The event '{code}' is {choice.status}, so it cannot be subscribed to.")
    return found


def _schedule_problems(schedule: str) -> list[str]:
    try:
        parse_schedule(schedule)
    except (UserError, ValueError) as error:
        return [str(error)]
    return []


def credential_problems(data: RegistrationInput, secret: str | None, needs_secret: bool):
    """What the chosen authentication still lacks. A secret is needed when none is stored for
    this auth type yet; HMAC and Standard Webhooks secrets are generated when none is given."""
    auth, found = data.auth_type, []
    if auth == AuthType.BASIC:
        if not data.username:
            found.append("Basic authentication needs a username.")
        if urlsplit(data.url.strip()).scheme != "https" and not data.is_development:
            found.append("Basic authentication is only allowed over https.")
    if auth == AuthType.OAUTH2:
        found += _oauth_problems(data)
    return found + secret_problems(auth, secret, needs_secret)


def secret_problems(auth: str, secret: str | None, needs_secret: bool) -> list[str]:
    """What is wrong with the secret given (or not given) for `auth`."""
    kind = SECRET_KIND.get(auth)  # type: ignore[call-overload]
    if secret and kind:
        problem = signing.secret_problem(kind, secret)
        return [problem] if problem else []
    if not secret and needs_secret and auth in (AuthType.BASIC, AuthType.OAUTH2):
        return [missing_secret_sentence(auth)]
    return []


def _oauth_problems(data: RegistrationInput) -> list[str]:
    wanted = (("a token URL", data.token_url), ("a client id", data.client_id))
    missing = [what for what, value in wanted if not value]
    if missing:
        return [f"OAuth2 client credentials need {' and '.join(missing)}."]
    return ["Token URL: " + p for p in url_problems(data.token_url or "", data.is_development)]


def missing_secret_sentence(auth: str) -> str:
    if auth == AuthType.BASIC:
        return "Basic authentication needs a password."
    return "OAuth2 client credentials need a client secret."


def certificate_problems(
    given: certificates.ClientCertificateFiles | None = None,
    ca_bundle: Path | None = None,
    now: datetime | None = None,
) -> list[str]:
    """What is wrong with a client certificate (unreadable, key not its own, wrong passphrase,
    expired or not yet valid) and a CA bundle to trust (unreadable, no certificate in it)."""
    found = []
    if given is not None:
        try:
            identity = certificates.read_identity(given)
        except UserError as error:
            found.append(str(error))
        else:
            found += _validity_problems(identity.certificate_pem, now or datetime.now(UTC))
    if ca_bundle is not None:
        try:
            certificates.read_ca_bundle(ca_bundle)
        except UserError as error:
            found.append(str(error))
    return found


def _validity_problems(certificate_pem: str, now: datetime) -> list[str]:
    leaf = certificates.facts(certificate_pem)[0]
    if leaf.not_after <= now:
        return [f"The client certificate ({leaf.subject}) expired on {leaf.not_after:%Y-%m-%d}."]
    if leaf.not_before > now:
        return [
            f"The client certificate ({leaf.subject}) is not valid before "
            f"{leaf.not_before:%Y-%m-%d}."
        ]
    return []

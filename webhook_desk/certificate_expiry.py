"""Expiry warnings for a registration's certificates, worked out from the facts kept when they
were saved (certificates.kept_facts, the registration's certificate_facts column). A warning is
then a date comparison: the window's first paint, the list and `health` load neither
cryptography nor the keyring for it (issue 15)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

EXPIRY_WARNING = timedelta(days=30)
DAY = timedelta(days=1)


def shown(kept: str | None) -> tuple[dict | None, list[dict] | None]:
    """The client certificate's leaf and the trusted CAs' facts in `kept` (JSON text)."""
    facts = json.loads(kept) if kept else {}
    return facts.get("client_certificate"), facts.get("ca_bundle")


def warnings(kept: str | None, now: datetime | None = None) -> list[str]:
    """A sentence for each kept certificate that has expired or expires within 30 days."""
    now = now or datetime.now(UTC)
    leaf, authorities = shown(kept)
    found = [expiry_sentence("The client certificate", leaf, now)] if leaf else []
    found += [expiry_sentence("The trusted CA", facts, now) for facts in authorities or []]
    return [sentence for sentence in found if sentence]


def expiry_sentence(what: str, facts: dict, now: datetime) -> str:
    """'<what> (subject) expired on DAY.' or '… expires on DAY, in N days.' within 30 days;
    empty when it is not soon."""
    not_after = datetime.fromisoformat(facts["not_after"])
    left = not_after - now
    day = f"{not_after:%Y-%m-%d}"
    if left <= timedelta(0):
        return f"{what} ({facts['subject']}) expired on {day}."
    if left <= EXPIRY_WARNING:
        return f"{what} ({facts['subject']}) expires on {day}, in {math.ceil(left / DAY)} days."
    return ""

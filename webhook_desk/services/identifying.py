"""Which payload fields identify a study participant, and how they are shown masked.

The one list (Settings, kept in the database; defaults: the subject id and identifier keys of
every catalog event) and the one mask rule (`•••• 2358`: all but the last four characters
hidden) for the History tab, its detail panel and the Receiver tab. A reveal on request is
audited. Exports use the same list to pseudonymise (services/pseudonyms.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk import redaction
from webhook_desk.db.models import IDENTIFYING_FIELD_LENGTH, IdentifyingField, MaskingSetting
from webhook_desk.errors import InvalidInput
from webhook_desk.services import audit
from webhook_desk.services.erasure import IDENTIFYING_KEYS

DEFAULT_FIELDS = IDENTIFYING_KEYS
MASK = "••••"
SHOWN = 4  # characters left visible at the end, as on a payment card
MAX_DEPTH = 20
MIN_EMBEDDED = 5  # characters an identifier needs to be looked for inside other texts


def mask(value: object) -> str:
    """`•••• 2358` for `SUBJ-2358`; a value of four characters or fewer is hidden whole."""
    if value is None or value == "":
        return ""
    text = str(value)
    return f"{MASK} {text[-SHOWN:]}" if len(text) > SHOWN else MASK


def replace_values(data: Any, fields: frozenset[str], change: Callable[[Any], Any]) -> Any:
    """Parsed JSON with every value under a key in `fields` passed through `change`, at any
    depth (containers under such a key are walked, their scalars changed). Such a value
    written inside another text (`19512_TAS1Z…avro`) is changed there too, when it is long
    enough not to be mistaken for a piece of a date or a count."""
    found = {str(v) for v in _values_under(data, fields, False, 0)}
    embedded = sorted((v for v in found if len(v) >= MIN_EMBEDDED), key=len, reverse=True)
    return _replaced(data, fields, change, embedded, False, 0)


def _values_under(data, fields, identifying: bool, depth: int):
    if depth > MAX_DEPTH:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _values_under(v, fields, identifying or k in fields, depth + 1)
    elif isinstance(data, list):
        for v in data:
            yield from _values_under(v, fields, identifying, depth + 1)
    elif identifying and data is not None and data != "":
        yield data


def _replaced(data, fields, change, embedded: list[str], identifying: bool, depth: int):
    if depth > MAX_DEPTH:
        return data
    if isinstance(data, dict):
        return {
            k: _replaced(v, fields, change, embedded, identifying or k in fields, depth + 1)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_replaced(v, fields, change, embedded, identifying, depth + 1) for v in data]
    if identifying and data is not None:
        return change(data)
    if isinstance(data, str):
        for value in embedded:
            if value in data:
                data = data.replace(value, str(change(value)))
    return data


def in_body(body: str | None, fields: frozenset[str], change: Callable[[Any], Any]):
    """A JSON body with its identifying values changed, as JSON text; anything that is not
    a JSON object or array comes back as it was (None stays None)."""
    if not body or not any(field in body for field in fields):
        return body  # nothing to change: no parse (bodies can be megabytes)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body
    if not isinstance(data, dict | list):
        return body
    return json.dumps(replace_values(data, fields, change), ensure_ascii=False)


@dataclass(frozen=True)
class Masking:
    """What the screens apply: masking on or off, over which fields."""

    on: bool = True
    fields: frozenset[str] = frozenset(DEFAULT_FIELDS)

    def value(self, value: object) -> str:
        """A subject id as a table cell shows it."""
        if not self.on:
            return "" if value is None else str(value)
        return mask(value)

    def body(self, body: str | None) -> str | None:
        return in_body(body, self.fields, mask) if self.on else body

    def subject_in(self, body: str | None) -> str:
        """The first identifying value of a JSON body, as a table's Subject cell shows it."""
        return self.value(first_value(body, self.fields))


def first_value(body: str | None, fields: frozenset[str]):
    """The first value under an identifying key of a JSON body; None when there is none."""
    if not body or not any(field in body for field in fields):
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return next(_values_under(data, fields, False, 0), None)


# ---- the list and the toggle, kept in the database ---------------------------------------


def fields(session: Session) -> list[str]:
    """The identifying fields, in the order added."""
    return list(session.scalars(select(IdentifyingField.name).order_by(IdentifyingField.id)))


def field_problem(name: str) -> str | None:
    """The sentence a user reads when `name` cannot be a payload field, else None."""
    if len(name) > IDENTIFYING_FIELD_LENGTH:
        return (
            f"A field name can be at most {IDENTIFYING_FIELD_LENGTH} characters long: "
            f"'{name[:30]}…' is not."
        )
    if any(c in name for c in '"\n\t'):
        return f"'{name}' is not a payload field: no quotes, tabs or line breaks."
    return None


def fields_problem(names: Iterable[str]) -> str | None:
    return next(filter(None, map(field_problem, names)), None)


def names_in(text: str) -> list[str]:
    """The field names in a comma-separated list as the user types it in Settings."""
    return redaction.names_in(text)


def set_fields(session: Session, names: Iterable[str]) -> list[str]:
    """Replace the list (audited); refuses the whole list with the first bad name's sentence."""
    wanted = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    problem = fields_problem(wanted)
    if problem:
        raise InvalidInput(problem)
    before = fields(session)
    if wanted == before:
        return before
    for row in session.scalars(select(IdentifyingField)):
        session.delete(row)
    session.flush()
    session.add_all(IdentifyingField(name=name) for name in wanted)
    session.flush()
    audit.record(
        session, "identifying_fields.set", "setting", "identifying_fields",
        before={"fields": before}, after={"fields": wanted},
    )  # fmt: skip
    return wanted


def masking_on(session: Session) -> bool:
    row = session.get(MaskingSetting, 1)
    return True if row is None else row.enabled


def set_masking(session: Session, on: bool) -> None:
    """Turn masking on or off; turning it off (or on) is an audit entry."""
    if masking_on(session) == on:
        return
    row = session.get(MaskingSetting, 1) or MaskingSetting(id=1)
    row.enabled = on
    session.add(row)
    audit.record(
        session, "masking.on" if on else "masking.off", "setting", "masking",
        before={"enabled": not on}, after={"enabled": on},
    )  # fmt: skip


def set_rule(db, names: Iterable[str], on: bool) -> Masking:
    """Settings' Save: the fields and the toggle in one unit of work (refused whole with
    the first bad name's sentence)."""
    with db.session() as session:
        set_fields(session, names)
        set_masking(session, on)
        return masking(session)


def masking(session: Session) -> Masking:
    """The rule as the user set it: every screen that shows identifiers uses this."""
    return Masking(masking_on(session), frozenset(fields(session)))


def reveal(session: Session, entity_type: str, entity_id: object) -> None:
    """A user asked to see the identifiers of a delivery or capture in full: audited."""
    audit.record(
        session, "identifiers.reveal", entity_type, entity_id,
        reason="shown unmasked on request",
    )  # fmt: skip

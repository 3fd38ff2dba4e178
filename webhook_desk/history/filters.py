"""What a History filter holds, as plain values: no SQLAlchemy here, so `history` can run a
filter's cached statement without importing it (issue 15). Its WHERE conditions, the one place
the rule lives, are history/queries.py's `conditions`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from webhook_desk.errors import InvalidInput
from webhook_desk.vocabulary import DeliveryStatus

STATUSES = tuple(s.value for s in DeliveryStatus)
EQUALITIES = ("study", "subject", "registration_id", "event")  # a column == the value each
_CODE = re.compile(r"^([1-5])(\d\d|xx)$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
RARE_LIMIT = 5000  # a text with at most this many matches is "rare" (history/payload_text.py)


@dataclass(frozen=True)
class Filters:
    study: str | None = None
    subject: str | None = None
    registration_id: int | None = None
    event: str | None = None
    status: str | None = None
    include_codes: str | None = None  # "2xx,404"
    exclude_codes: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None  # within payloads

    def conditions(self, session=None) -> list:
        """WHERE conditions for these filters (history.queries.conditions)."""
        # Imported here: SQLAlchemy loads only for a caller that builds a statement.
        from webhook_desk.history.queries import conditions

        return conditions(self, session)

    def bind_values(self) -> dict:
        """The values of `conditions`' parameters by name (the text's aside)."""
        found = {name: getattr(self, name) for name in EQUALITIES}
        found.update(status=self.status, since=self.since, until=self.until)
        for prefix, text in (("include", self.include_codes), ("exclude", self.exclude_codes)):
            if text:
                found.update(code_values(text, prefix))
        return found

    def shape(self) -> tuple:
        """What decides the SQL of these filters, as against their values."""
        return (
            tuple(name for name in EQUALITIES if getattr(self, name) not in (None, "")),
            bool(self.status),
            _code_shape(self.include_codes),
            _code_shape(self.exclude_codes),
            self.since is not None,
            self.until is not None,
        )

    def checked_status(self) -> str | None:
        if self.status and self.status not in STATUSES:
            raise InvalidInput(
                f"'{self.status}' is not a delivery status; use one of {', '.join(STATUSES)}."
            )
        return self.status

    def has_text(self) -> bool:
        return bool(self.text and self.text.strip())

    def is_empty(self) -> bool:
        return self == Filters()


def code_values(text: str, prefix: str) -> dict:
    found = {}
    for name, (low, high) in code_ranges(text, prefix).items():
        found[name] = low
        if low != high:
            found[name + "_hi"] = high
    return found


def _code_shape(text: str | None) -> tuple:
    if not text:
        return ()
    return tuple(low == high for low, high in code_ranges(text, "").values())


def code_ranges(text: str, prefix: str) -> dict[str, tuple[int, int]]:
    """'2xx,404' -> {prefix_0: (200, 299), prefix_1: (404, 404)}."""
    found = {}
    for n, part in enumerate(p.strip() for p in text.split(",") if p.strip()):
        match = _CODE.match(part)
        if not match:
            raise InvalidInput(f"'{part}' is not a response code; write e.g. 404 or 2xx.")
        if match.group(2).lower() == "xx":
            low = int(match.group(1)) * 100
            found[f"{prefix}_{n}"] = (low, low + 99)
        else:
            found[f"{prefix}_{n}"] = (int(part), int(part))
    return found


def parse_time(text: str | None, what: str) -> datetime | None:
    """An ISO 8601 date or time; without an offset it is the user's local time."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{what} '{text}' is not a date or time like 2024-05-01T12:00."
        ) from None
    if value.tzinfo is None:
        value = value.astimezone()  # naive: local time
    return value.astimezone(UTC)


def parse_until(text: str | None, what: str) -> datetime | None:
    """The end of a range (exclusive): a time is that instant; a date alone means the whole
    of that day, so "until 2026-11-28" runs to the local midnight that ends the 28th."""
    if text and _is_date_only(text.strip()):
        next_day = date.fromisoformat(text.strip()) + timedelta(days=1)
        return parse_time(next_day.isoformat(), what)
    return parse_time(text, what)


def _is_date_only(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def text_values(dialect_name: str, text: str) -> dict:
    """The payload text condition's parameter values by name (history/payload_text.py)."""
    if dialect_name != "sqlite":
        return {"pattern": f"%{_escaped(text.strip())}%"}
    return {"phrase": fts_phrase(text)}


def text_shape_of(matches: int) -> str:
    """'rare' or 'common', by how many payloads a SQLite text filter matched."""
    return "rare" if matches <= RARE_LIMIT else "common"


def fts_phrase(text: str) -> str:
    """The FTS5 query for `text`: its words as one phrase, the last word a prefix."""
    words = _WORD.findall(text.lower())
    if not words:
        raise InvalidInput(f"'{text}' has no letters or digits to search payloads for.")
    return '"' + " ".join(words) + '"*'


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

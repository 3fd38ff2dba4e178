"""A delivery as `history --json` and the window show it, shaped by one function whether the
values came from an ORM object or straight from the database driver (no SQLAlchemy here)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from webhook_desk.db.statement_cache import stored_time
from webhook_desk.vocabulary import DeliveryStatus

# The keys of a delivery's dict, in the order --json prints them.
NAMES = (
    "id",
    "delivery_id",
    "registration_id",
    "event",
    "event_version",
    "status",
    "response_code",
    "attempts",
    "created_at",
    "last_sent_at",
    "next_attempt_at",
    "target_url",
    "study_id",
    "subject_id",
    "error",
    "duration_ms",
    "is_validation",
    "resent_from_id",
    "source",
    "erased_at",
)
TIMES = ("created_at", "last_sent_at", "next_attempt_at", "erased_at")


def delivery_dict(values: Mapping) -> dict:
    """`values` by NAMES (times as datetimes or as SQLite stores them) -> snake_case keys,
    times as ISO 8601 UTC, the next attempt only while the delivery is pending."""
    found = {name: values[name] for name in NAMES}
    for name in TIMES:
        found[name] = iso(stored_time(found[name]))
    if found["status"] != DeliveryStatus.PENDING:
        found["next_attempt_at"] = None
    found["is_validation"] = bool(found["is_validation"])
    return found


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None

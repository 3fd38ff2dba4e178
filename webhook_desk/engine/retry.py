"""When to try again: the schedule, jitter, Retry-After, back-off, what is retryable.

One policy for everything that retries over HTTP: the delivery engine (a schedule of waits)
and the platform client (exponential back-off within one sync) both judge answers with
`is_retryable`, read Retry-After with `retry_after` and spread their waits with `jittered`.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from webhook_desk.errors import InvalidInput

DEFAULT_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h"
# Named schedules, usable wherever a schedule is typed. `centrepoint` is the platform's own
# policy: two immediate retries (transient network trouble), then 24 hours later, then once
# more 24 hours after that; after that only a manual resend.
NAMED_SCHEDULES = {"default": DEFAULT_SCHEDULE, "centrepoint": "0s,0s,24h,24h"}
JITTER = 0.2  # +-20%, so a receiver that was down is not hit by every retry at once
MAX_RETRY_AFTER = timedelta(hours=24)  # a receiver cannot park a delivery for longer
MAX_WAIT_DAYS = 30  # a longer wait is a typo; a huge one would overflow the date
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_STEP = re.compile(r"^(\d+)([smhd])$")


def parse_schedule(text: str | None) -> list[timedelta]:
    """'5s,5m,30m' or a name ('centrepoint') -> the waits after the first try, second try, ...;
    None means the default."""
    if text is None or not text.strip():
        text = DEFAULT_SCHEDULE
    text = NAMED_SCHEDULES.get(text.strip().lower(), text)
    steps = []
    for part in text.split(","):
        match = _STEP.match(part.strip().lower())
        if not match:
            raise InvalidInput(
                f"'{part.strip()}' is not a retry wait; write a number and s, m, h or d "
                "(e.g. 5s,5m,30m), or name a schedule (centrepoint)."
            )
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        if seconds > MAX_WAIT_DAYS * _UNITS["d"]:
            raise InvalidInput(
                f"'{part.strip()}' is too long a retry wait; the longest is {MAX_WAIT_DAYS}d."
            )
        steps.append(timedelta(seconds=seconds))
    return steps


def is_retryable(status: int | None) -> bool:
    """Network errors (no status), timeouts, 408, 429 and 5xx are worth another try."""
    return status is None or status in (408, 429) or status >= 500


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A Retry-After header (seconds or an HTTP date) as a wait, capped; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = max(when - now, timedelta(0))
    return min(wait, MAX_RETRY_AFTER)


def jittered(wait: timedelta, rng: random.Random | None = None) -> timedelta:
    """`wait` moved by up to JITTER either way."""
    return wait * (1 + (rng or random).uniform(-JITTER, JITTER))


def backoff(tries_so_far: int, first: timedelta, longest: timedelta) -> timedelta:
    """Exponential back-off after `tries_so_far` failed tries: first, 2x, 4x... up to longest."""
    return jittered(min(longest, first * 2 ** min(tries_so_far - 1, 32)))


def next_attempt_at(
    schedule: list[timedelta],
    tries_so_far: int,
    now: datetime,
    retry_after_wait: timedelta | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again after `tries_so_far` tries, or None when the schedule is used up.

    A Retry-After from the receiver wins over the schedule when it asks for longer.
    """
    if tries_so_far < 1 or tries_so_far > len(schedule):
        return None
    wait = schedule[tries_so_far - 1]
    spread = jittered(wait, rng)
    if retry_after_wait is not None and retry_after_wait > spread:
        spread = retry_after_wait
    return now + spread

"""How values read in the window: local times, owners, short lists."""

from __future__ import annotations

import json
from datetime import datetime


def local_time(value: datetime | str | None, layout: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A UTC timestamp shown in the user's local time ("" for none)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone().strftime(layout)


SHORT_TIME = "%m-%d %H:%M"  # for lists in narrow panels


def owner(row: dict) -> str:
    if row.get("study_id"):
        return f"Study {row['study_id']}"
    if row.get("organization_id"):
        return f"Org {row['organization_id'][:8]}…"
    return ""


# Beyond this the viewer's highlighter takes seconds (1.5 MB measured 2 s): show the start.
SHOWN_BODY_CHARS = 200_000


def pretty_body(text: str | bytes | None, limit: int = SHOWN_BODY_CHARS) -> str:
    """A JSON body indented for reading; anything else as it came; at most `limit` characters,
    with a last line saying how much more there is (an export has all of it)."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        shown = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        shown = text
    if len(shown) <= limit:
        return shown
    return (
        shown[:limit] + f"\n\n… {len(shown) - limit:,} more characters not shown "
        f"({len(text):,} in the body); export the delivery to see all of it."
    )


def header_lines(headers: dict | None) -> str:
    return "\n".join(f"{name}: {value}" for name, value in (headers or {}).items())

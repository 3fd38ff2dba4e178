"""How values read in the window: local times, owners, short lists."""

from __future__ import annotations

import json
from datetime import datetime


def local_time(value: datetime | str | None) -> str:
    """A UTC timestamp shown in the user's local time ("" for none)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def owner(row: dict) -> str:
    if row.get("study_id"):
        return f"Study {row['study_id']}"
    if row.get("organization_id"):
        return f"Org {row['organization_id'][:8]}…"
    return ""


def pretty_body(text: str | bytes | None) -> str:
    """A JSON body indented for reading; anything else as it came."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return text


def header_lines(headers: dict | None) -> str:
    return "\n".join(f"{name}: {value}" for name, value in (headers or {}).items())

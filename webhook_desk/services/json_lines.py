"""JSON pretty-printed with a note of where each value starts, so a viewer can point at the
line a difference names (its JSON Pointer, as json_diff writes it)."""

from __future__ import annotations

import json
from typing import Any

from webhook_desk.services.json_diff import pointer

INDENT = "  "


def pretty_with_lines(data: Any) -> tuple[str, dict[str, int]]:
    """The indented text (as json.dumps(indent=2) writes it) and {pointer: line number}."""
    lines: list[str] = []
    where: dict[str, int] = {}
    _write(data, "", 0, "", lines, where, last=True)
    return "\n".join(lines), where


def _write(value, path, depth, prefix, lines, where, last) -> None:
    where[path] = len(lines)
    comma = "" if last else ","
    pad = INDENT * depth
    if isinstance(value, dict) and value:
        lines.append(f"{pad}{prefix}{{")
        items = list(value.items())
        for i, (key, item) in enumerate(items):
            label = json.dumps(key, ensure_ascii=False) + ": "
            _write(item, pointer(path, key), depth + 1, label, lines, where, i == len(items) - 1)
        lines.append(f"{pad}}}{comma}")
    elif isinstance(value, list) and value:
        lines.append(f"{pad}{prefix}[")
        for i, item in enumerate(value):
            _write(item, pointer(path, i), depth + 1, "", lines, where, i == len(value) - 1)
        lines.append(f"{pad}]{comma}")
    else:
        lines.append(f"{pad}{prefix}{json.dumps(value, ensure_ascii=False)}{comma}")

"""JSON pretty-printed, and the line each value starts on, so a viewer can point at the line
a difference names (its JSON Pointer, as json_diff writes it).

The text is json.dumps(indent=2) itself (fast, in C); lines are found only for the paths
asked about, by counting the lines of the siblings before each step down, so a 1 MB body
with a few hundred differences costs a fraction of a second.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def pretty(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def line_numbers(data: Any, paths: Iterable[str]) -> dict[str, int]:
    """{pointer: line} in pretty(data) for each path that exists in `data`."""
    starts: dict[int, list[int]] = {}  # id(container) -> line of each child, relative
    found = {}
    for path in paths:
        line = _line_of(data, path, starts)
        if line is not None:
            found[path] = line
    return found


def _line_of(data: Any, path: str, starts: dict[int, list[int]]) -> int | None:
    line, node = 0, data
    for key in _keys(path):
        if isinstance(node, dict) and key in node:
            index = list(node).index(key)
            child = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            index = int(key)
            child = node[index]
        else:
            return None
        line += _child_starts(node, starts)[index]
        node = child
    return line


def _child_starts(container: dict | list, starts: dict[int, list[int]]) -> list[int]:
    """Where each child of a container starts, counted from the container's opening line."""
    if id(container) not in starts:
        values = container.values() if isinstance(container, dict) else container
        offsets, line = [], 1
        for value in values:
            offsets.append(line)
            line += _height(value)
        starts[id(container)] = offsets
    return starts[id(container)]


def _height(value: Any) -> int:
    if isinstance(value, dict | list) and value:
        return pretty(value).count("\n") + 1
    return 1


def _keys(path: str) -> list[str]:
    """A JSON Pointer's keys, unescaped as RFC 6901 says (~1 first, then ~0)."""
    if not path:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]

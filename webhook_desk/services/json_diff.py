"""Two JSON documents compared by structure: what changed, where, as a reader sees it, and
as an RFC 6902 JSON Patch that turns the first into the second.

Objects are compared key by key (order never matters), arrays position by position, and a
value whose type changed is one replacement. Paths are JSON Pointers (RFC 6901).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | changed
    path: str  # a JSON Pointer, "" for the whole document
    old: Any = None
    new: Any = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "path": self.path or "/", "old": self.old, "new": self.new}


def pointer(path: str, key: str | int) -> str:
    """`path` extended by one key, escaped as RFC 6901 says (~ first, then /)."""
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def changes(a: Any, b: Any, path: str = "") -> list[Change]:
    """Every difference from `a` to `b`, in document order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return _object_changes(a, b, path)
    if isinstance(a, list) and isinstance(b, list):
        return _array_changes(a, b, path)
    if _same(a, b):
        return []
    return [Change(CHANGED, path, a, b)]


def _object_changes(a: dict, b: dict, path: str) -> list[Change]:
    found: list[Change] = []
    for key in a:
        if key in b:
            found += changes(a[key], b[key], pointer(path, key))
        else:
            found.append(Change(REMOVED, pointer(path, key), old=a[key]))
    found += [Change(ADDED, pointer(path, key), new=b[key]) for key in b if key not in a]
    return found


def _array_changes(a: list, b: list, path: str) -> list[Change]:
    common = min(len(a), len(b))
    found: list[Change] = []
    for index in range(common):
        found += changes(a[index], b[index], pointer(path, index))
    # Removed from the end backwards, so each index is valid when a patch applies it in order.
    found += [Change(REMOVED, pointer(path, i), old=a[i]) for i in reversed(range(common, len(a)))]
    found += [Change(ADDED, pointer(path, i), new=b[i]) for i in range(common, len(b))]
    return found


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1 and 1.0 are the same number, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def json_patch(a: Any, b: Any) -> list[dict]:
    """An RFC 6902 patch that, applied to `a`, gives `b`."""
    ops = []
    for change in changes(a, b):
        if change.kind == REMOVED:
            ops.append({"op": "remove", "path": change.path})
        elif change.kind == ADDED:
            ops.append({"op": "add", "path": change.path, "value": change.new})
        else:
            ops.append({"op": "replace", "path": change.path, "value": change.new})
    return ops

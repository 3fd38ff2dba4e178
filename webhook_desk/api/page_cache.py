"""Served pages kept as the bytes sent, for as long as nothing they are read from changed.

Every write to the tables a kept page is read from (registration, delivery, attempt,
event_type) bumps one count, by triggers in the writer's own transaction (migration 0013),
whichever process writes: the GUI, the CLI, the engine or `serve` itself. A kept page is
sent only when the count read now equals the count read before the page was made. The count
is read first and the page after, so a page is never older than the count it is kept under:
a write committed at any moment is seen by the next request.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable

from sqlalchemy.orm import Session

from webhook_desk.db.models import change_count

KEPT_PAGES = 64


def encoded(document: object) -> bytes:
    return json.dumps(document).encode()


class PageCache:
    """Up to `kept` pages (0: none, each page is made afresh), the oldest made dropped first."""

    def __init__(self, kept: int = KEPT_PAGES):
        self._pages: dict[Hashable, tuple[int, bytes]] = {}
        self._kept = kept
        self._lock = threading.Lock()

    def page(self, session: Session, key: Hashable, make: Callable[[], object]) -> bytes:
        """The page `key` names: kept, if nothing changed since it was made, else `make`'s."""
        count = change_count(session)
        with self._lock:
            kept = self._pages.get(key)
        if kept is not None and kept[0] == count:
            return kept[1]
        body = encoded(make())
        with self._lock:
            self._pages.pop(key, None)
            if self._pages and len(self._pages) >= self._kept:
                self._pages.pop(next(iter(self._pages)))
            if self._kept:
                self._pages[key] = (count, body)
        return body

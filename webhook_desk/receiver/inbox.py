"""The receiver's inbox: captured requests written by one thread in batches, kept bounded.

SQLite has a single writer, and a commit per request would cap the receiver at the disk's
sync rate; so the server queues a Capture and one writer thread inserts whatever has queued
up in one transaction, then drops the oldest rows beyond the limit. put() may carry a future
that is told whether the capture was kept, so nothing is acknowledged that was not.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from webhook_desk import redaction
from webhook_desk.db.models import ReceivedRequest, utcnow
from webhook_desk.errors import NotFound, UserError
from webhook_desk.redaction import DEFAULT, Redactor

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10_000
INBOX_TABLE = cast(Table, ReceivedRequest.__table__)
BATCH_MAX = 500
LIST_KEYS = (
    "received_at",
    "method",
    "path",
    "query",
    "headers",
    "body",
    "remote_addr",
    "status_code",
    "event",
    "delivery_id",
    "signature",
    "signature_scheme",
    "secret_version",
    "duplicate",
    "body_is_json",
    "client_cert_subject",
    "client_cert_fingerprint",
)


@dataclass
class Capture:
    """One request as it arrived and what the receiver answered."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    remote_addr: str
    status_code: int
    body_is_json: bool = False
    event: str | None = None
    delivery_id: str | None = None
    signature: str = "unchecked"
    signature_scheme: str | None = None
    secret_version: str | None = None
    duplicate: bool = False
    client_cert_subject: str | None = None  # the client certificate presented (mTLS), if any
    client_cert_fingerprint: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    kept: bool = True  # False when the inbox could not store it; not a column

    def row(self) -> dict:
        # Shallow on purpose: dataclasses.asdict deep-copies, a cost per request under load.
        return {name: getattr(self, name) for name in CAPTURE_FIELDS}


CAPTURE_FIELDS = tuple(f.name for f in fields(Capture) if f.name != "kept")


class DuplicateTracker:
    """Delivery ids seen, as many as the inbox holds; a repeat is a duplicate."""

    def __init__(self, limit: int, seen: Sequence[str] = ()):
        self.limit = limit
        self._seen: OrderedDict[str, None] = OrderedDict((d, None) for d in seen)
        self._lock = threading.Lock()

    def is_repeat(self, delivery_id: str | None) -> bool:
        if not delivery_id:
            return False
        with self._lock:
            if delivery_id in self._seen:
                return True
            self._seen[delivery_id] = None
            if len(self._seen) > self.limit:
                self._seen.popitem(last=False)
            return False


def recent_delivery_ids(session, limit: int) -> list[str]:
    """The delivery ids already in the inbox, oldest first, to flag repeats across restarts."""
    ids = session.scalars(
        select(ReceivedRequest.delivery_id)
        .where(ReceivedRequest.delivery_id.is_not(None))
        .order_by(ReceivedRequest.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(ids))


def trim(session, limit: int) -> int:
    """Delete the oldest requests beyond `limit`; returns how many went."""
    newest_dropped = (
        select(ReceivedRequest.id)
        .order_by(ReceivedRequest.id.desc())
        .offset(limit)
        .limit(1)
        .scalar_subquery()
    )
    result = session.execute(delete(INBOX_TABLE).where(INBOX_TABLE.c.id <= newest_dropped))
    return result.rowcount or 0


def _one_line(error: Exception) -> str:
    return str(error).splitlines()[0]  # not the statement and its parameters


class InboxWriter:
    """The single thread that writes captures to the database, batch by batch."""

    def __init__(self, db, limit: int = DEFAULT_LIMIT, on_written: Callable | None = None):
        self.db = db
        self.limit = limit
        self.on_written = on_written
        # Trimming scans `limit` index entries, so under load it waits for 1% of slack.
        self.slack = limit // 100
        self.problem: str | None = None
        self.lost = 0
        self._queue: queue.SimpleQueue[tuple[Capture, asyncio.Future | None] | None] = (
            queue.SimpleQueue()
        )
        self._queued = 0
        self._written = 0
        self._progress = threading.Condition()
        with db.session() as session:
            self._count = session.scalar(select(func.count()).select_from(ReceivedRequest))
            if self._count > limit:
                trim(session, limit)
                self._count = limit
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._thread.start()

    def put(self, capture: Capture, stored: asyncio.Future | None = None) -> None:
        """Queue `capture`; `stored`, if given, gets whether it was kept (on its own loop)."""
        with self._progress:
            self._queued += 1
        self._queue.put((capture, stored))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is in the database."""
        deadline = time.monotonic() + timeout
        with self._progress:
            target = self._queued
            while self._written < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._progress.wait(left)
        return True

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _next_batch(self) -> tuple[list[tuple[Capture, asyncio.Future | None]], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < BATCH_MAX:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        done = False
        while not done:
            batch, done = self._next_batch()
            if batch:
                self._write(batch)
        if self._count > self.limit:  # the slack is for busy times; leave it exact
            self._insert([])

    def _insert(self, batch: list[Capture]) -> str | None:
        """Insert and trim in one transaction; the reason when it failed, else None."""
        try:
            with self.db.session() as session:
                # Core insert, not ORM bulk: no identity bookkeeping for rows never read back.
                if batch:
                    session.execute(insert(INBOX_TABLE), [c.row() for c in batch])
                count = self._count + len(batch)
                if count > self.limit + (self.slack if batch else 0):
                    trim(session, self.limit)
                    count = self.limit
        except (UserError, SQLAlchemyError) as error:
            return _one_line(error)
        self._count = count
        return None

    def _write(self, batch: list[tuple[Capture, asyncio.Future | None]]) -> None:
        captures = [capture for capture, _ in batch]
        error = self._insert(captures)
        if error and len(batch) > 1:
            # One bad row must not cost the whole batch: save the others one by one.
            errors = [self._insert([c]) for c in captures]
        else:
            errors = [error] * len(batch)
        failed = [e for e in errors if e]
        if failed:  # kept until the receiver is started again: the user must get to see it
            self.lost += len(failed)
            self.problem = (
                f"{self.lost} captured requests were not saved, the last because: {failed[-1]}"
            )
            log.error("%s", self.problem)
        for capture, error in zip(captures, errors, strict=True):
            capture.kept = error is None
        _settle([(stored, capture.kept) for capture, stored in batch if stored is not None])
        self._tell(captures)
        with self._progress:  # after the callbacks, so flush() means "heard of" too
            self._written += len(batch)
            self._progress.notify_all()

    def _tell(self, captures: list[Capture]) -> None:
        if self.on_written is None:
            return
        for capture in captures:
            try:
                self.on_written(capture)
            except Exception:  # a listener's bug must not stop the capture of requests
                log.exception("on_request callback failed")


def _settle(waiting: list[tuple[asyncio.Future, bool]]) -> None:
    """Tell the waiting handlers whether their captures were kept: one call into each
    serving loop per batch, not one per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for stored, kept in waiting:
        by_loop.setdefault(stored.get_loop(), []).append((stored, kept))
    for loop, results in by_loop.items():
        try:
            loop.call_soon_threadsafe(_set_results, results)
        except RuntimeError:  # that loop has closed: nobody waits any more
            pass


def _set_results(results: list[tuple[asyncio.Future, bool]]) -> None:
    for stored, kept in results:
        if not stored.done():  # a handler that timed out or was cancelled stopped waiting
            stored.set_result(kept)


def body_text(body: bytes) -> tuple[str, str]:
    """A body for people and JSON: UTF-8 text when it is, else base64."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def as_dict(row: ReceivedRequest, redactor: Redactor = DEFAULT) -> dict:
    record = {key: getattr(row, key) for key in LIST_KEYS}
    record["headers"] = redactor.headers(row.headers)  # the rule as it is now
    record["id"] = row.id
    record["body"], record["body_encoding"] = body_text(row.body)
    return record


def recent(session, limit: int = 50) -> list[dict]:
    """The newest captured requests first."""
    rows = session.scalars(
        select(ReceivedRequest).order_by(ReceivedRequest.id.desc()).limit(limit)
    ).all()
    redactor = redaction.redactor(session)
    return [as_dict(row, redactor) for row in rows]


def capture_ref(session, row: dict) -> str:
    """`capture:ID` for a row the Receiver tab shows; a row that arrived live has no id yet,
    so it is found by when and where it arrived (once the writer has saved it)."""
    if row.get("id") is not None:
        return f"capture:{row['id']}"
    found = session.scalars(
        select(ReceivedRequest.id)
        .where(ReceivedRequest.received_at == row["received_at"])
        .where(ReceivedRequest.path == row["path"])
        .order_by(ReceivedRequest.id.desc())
    ).first()
    if found is None:
        raise NotFound("That request is not in the inbox (still being saved, or trimmed).")
    return f"capture:{found}"

"""The audit trail: who changed what, when, and why; secret values are never recorded.

The trail is a hash chain: each entry holds the previous entry's hash and the SHA-256 of its
own content with it, and one head row holds the newest hash and the count. Appending takes
the head row's lock first, so two writers (two desktops on one PostgreSQL database) queue
instead of forking the chain. `verify` walks the chain and names the first entry that was
altered, inserted or deleted, and the head catches entries cut from the end. Anyone with the
database file could still write a whole new chain; a filed export carries the head hash, so
a copy kept elsewhere shows that too. The product never updates or deletes an entry.
"""

from __future__ import annotations

import csv
import getpass
import json
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webhook_desk.db.audit_hash import GENESIS, entry_hash
from webhook_desk.db.models import AuditEntry, AuditHead, utcnow
from webhook_desk.errors import InvalidInput, UserError
from webhook_desk.services.pdf_text import core_font_text
from webhook_desk.spreadsheet import formula_safe

VERIFY_BATCH = 2_000


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def host() -> str:
    return socket.gethostname() or "unknown"


# Who the served API acts for (a token's subject); unset, the OS user acts.
_acting_for: ContextVar[str | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(who: str) -> Iterator[None]:
    """Audit every change made inside the block as made by `who`."""
    token = _acting_for.set(who)
    try:
        yield
    finally:
        _acting_for.reset(token)


def record(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append an audit entry to the current unit of work (it commits with the change it
    records, or not at all)."""
    previous = _take_head(session)
    entry = AuditEntry(
        at=utcnow(),
        actor=_acting_for.get() or os_user(),
        host=host(),
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        reason=reason or None,
        prev_hash=previous,
    )
    entry.entry_hash = entry_hash(entry)
    session.add(entry)
    session.execute(update(AuditHead).values(head_hash=entry.entry_hash))
    return entry


def _take_head(session: Session) -> str:
    """The newest hash, with the head row locked for this transaction (count bumped)."""
    statement = (
        update(AuditHead).values(entries=AuditHead.entries + 1).returning(AuditHead.head_hash)
    )
    found = session.execute(statement).scalar_one_or_none()
    if found is None:  # an empty trail made before the chain: start its head
        session.add(AuditHead(id=1, entries=1, head_hash=GENESIS))
        session.flush()
        return GENESIS
    return found


@dataclass(frozen=True)
class ChainState:
    ok: bool
    entries: int
    head_hash: str
    problem: str | None = None  # the sentence naming the first break

    def as_dict(self) -> dict:
        return asdict(self)


def verify(session: Session) -> ChainState:
    """Walk the chain oldest first; the first break is named, and the head checked last.

    Rows are read as plain column tuples, not ORM objects: five times faster over a long
    trail (benchmarks/audit_verify.py)."""
    expected_prev, count, last_id = GENESIS, 0, None
    columns = [getattr(AuditEntry, name) for name in CHAIN_COLUMNS]
    query = select(*columns).order_by(AuditEntry.id).execution_options(yield_per=VERIFY_BATCH)
    for entry in session.execute(query):
        problem = _break_at(entry, expected_prev, last_id)
        if problem:
            return ChainState(False, count, expected_prev, problem)
        expected_prev, last_id, count = entry.entry_hash, entry.id, count + 1
    head = session.get(AuditHead, 1)
    head_hash, head_count = (head.head_hash, head.entries) if head else (GENESIS, 0)
    if (head_hash, head_count) != (expected_prev, count):
        return ChainState(
            False,
            count,
            expected_prev,
            f"The trail ends at entry {last_id} after {count} entries, but its head records "
            f"{head_count}: entries were deleted from the end.",
        )
    return ChainState(True, count, expected_prev)


CHAIN_COLUMNS = (
    "id", "at", "actor", "host", "action", "entity_type", "entity_id", "before", "after",
    "reason", "prev_hash", "entry_hash",
)  # fmt: skip


def _break_at(entry, expected_prev: str, last_id: int | None) -> str | None:
    after = f"entry {last_id}" if last_id is not None else "the start of the trail"
    if (entry.prev_hash or GENESIS) != expected_prev:
        return (
            f"Audit entry {entry.id} does not follow {after}: an entry between them was "
            f"deleted, or entry {entry.id} was inserted."
        )
    if entry_hash(entry) != entry.entry_hash:
        return f"Audit entry {entry.id} was altered after it was written."
    return None


def head(session: Session) -> ChainState:
    """The head as recorded, without walking the chain (for a quick display)."""
    found = session.get(AuditHead, 1)
    if found is None:
        count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        return ChainState(count == 0, count, GENESIS)
    return ChainState(True, found.entries, found.head_hash)


def entries(
    session: Session,
    limit: int | None = None,
    entity: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEntry]:
    """Newest first; `entity` is a type ("registration") or a type and id ("registration 7"),
    `action` matches a prefix ("registration." finds every registration change)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if entity:
        kind, _, ident = entity.strip().partition(" ")
        query = query.where(AuditEntry.entity_type == kind)
        if ident.strip():
            query = query.where(AuditEntry.entity_id == ident.strip())
    if actor:
        query = query.where(AuditEntry.actor == actor.strip())
    if action:
        query = query.where(AuditEntry.action.startswith(action.strip()))
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def vocabulary(session: Session) -> dict[str, list[str]]:
    """The users, entity types and actions the trail holds, for the audit view's filters."""

    def distinct(column) -> list[str]:
        return sorted(session.scalars(select(column).distinct()))

    return {
        "actors": distinct(AuditEntry.actor),
        "entity_types": distinct(AuditEntry.entity_type),
        "actions": distinct(AuditEntry.action),
    }


def as_dict(entry: AuditEntry) -> dict:
    record = {name: getattr(entry, name) for name in CHAIN_COLUMNS}
    record["at"] = entry.at.isoformat()
    return record


# --- filing -------------------------------------------------------------------------------

HEAD_LINE = re.compile(r"^# webhook-desk audit trail; entries=(\d+); head=([0-9a-f]*);")


def export(session: Session, output: str | Path) -> ChainState:
    """The whole trail, oldest first, as CSV or PDF (by the file's suffix), under a head line
    that carries the entry count and the head hash (and whether the chain verified), so a
    filed copy can be checked later with check_export."""
    target = Path(output)
    if target.suffix.lower() not in (".csv", ".pdf"):
        raise InvalidInput(
            f"An audit export is .csv or .pdf, not '{target.suffix or target.name}'."
        )
    state = verify(session)
    head = _head_line(state)
    try:
        if target.suffix.lower() == ".pdf":
            target.write_bytes(_pdf(session, head))
        else:
            _write_csv(session, target, head)
    except OSError as error:
        raise UserError(f"Cannot write {target}: {error.strerror or error}.") from None
    return state


def _head_line(state: ChainState) -> str:
    return (
        f"# webhook-desk audit trail; entries={state.entries}; head={state.head_hash}; "
        f"exported={utcnow().isoformat()}; verified={'yes' if state.ok else 'no'}"
    )


def _oldest_first(session: Session):
    query = select(AuditEntry).order_by(AuditEntry.id)
    return session.scalars(query.execution_options(yield_per=VERIFY_BATCH))


def _pdf(session: Session, head: str) -> bytes:
    from fpdf import FPDF  # only the PDF needs it

    pdf = FPDF()
    pdf.set_keywords(head)  # the head line, for check_export to read back
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 9)
    pdf.multi_cell(0, 5, head, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    for entry in _oldest_first(session):
        line = (
            f"{entry.id}  {entry.at:%Y-%m-%d %H:%M:%S} UTC  {entry.actor}@{entry.host or '?'}  "
            f"{entry.action} {entry.entity_type} {entry.entity_id}  {entry.reason or ''}  "
            f"#{(entry.entry_hash or '')[:16]}"
        )
        pdf.multi_cell(0, 4, core_font_text(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _write_csv(session: Session, target: Path, head: str) -> None:
    with target.open("w", newline="", encoding="utf-8") as out:
        out.write(head + "\n")
        writer = csv.writer(out)
        writer.writerow(CHAIN_COLUMNS)
        for entry in _oldest_first(session):
            record = as_dict(entry)
            writer.writerow(_cell(record[name]) for name in CHAIN_COLUMNS)


def _cell(value) -> str:
    """Text for one CSV cell; a spreadsheet must not run it as a formula."""
    text = value if isinstance(value, str) else json.dumps(value) if value is not None else ""
    return formula_safe(text)


def check_export(session: Session, filed: str | Path) -> str:
    """Whether a filed export's head is still in the chain at the same place: the sentence."""
    try:
        data = Path(filed).read_bytes()
    except OSError as error:
        raise UserError(f"Cannot read {filed}: {error.strerror or error}.") from None
    in_pdf = re.search(rb"/Keywords \((# webhook-desk audit trail;[^)]*)\)", data)
    first = (in_pdf[1] if in_pdf else data.split(b"\n", 1)[0]).decode("utf-8", "replace")
    match = HEAD_LINE.match(first)
    if match is None:
        raise InvalidInput(f"{filed} is not an audit export of webhook-desk (no head line).")
    count, head_hash = int(match[1]), match[2]
    at = (
        session.scalars(
            select(AuditEntry).order_by(AuditEntry.id).offset(count - 1).limit(1)
        ).first()
        if count
        else None
    )
    found = at.entry_hash if at is not None else ""
    if found != head_hash:
        raise UserError(
            f"The filed export's head (entry {count}, {head_hash[:12]}…) is not in this trail: "
            "the trail was rewritten since it was filed."
        )
    return f"The filed export ({count:,} entries) matches this trail's first {count:,} entries."

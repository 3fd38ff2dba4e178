"""Import CentrePoint delivery history: v3 pages (one, a list of them, or several documents
one after another) and v1 record lists, as the platform returns them, trailing commas and all.

One file is one transaction: a file that is not history, is cut short, or holds a malformed
item is refused with one sentence naming the line, and nothing from it is kept. Importing
the same file again adds nothing: deliveries are known by their hash (X-ActiGraph-Delivery /
WebhookDeliveryHash), attempts by when they were sent and what came back.
"""

from __future__ import annotations

import json
import json.scanner
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from webhook_desk import redaction
from webhook_desk.db.models import Attempt, Delivery, Registration
from webhook_desk.errors import InvalidInput, UserError
from webhook_desk.history import centrepoint_format as cp
from webhook_desk.history import imported_values as check
from webhook_desk.vocabulary import DeliveryStatus

EXPECTED = "CentrePoint v3 history pages or a list of v1 history records"
LOOKUP_BATCH = 500
# An import holds the file in memory a few times over (text, parsed values, rows): past this
# size a machine may run out, so the file is refused and the user asked to split it.
MAX_FILE_MB = 256


@dataclass
class ImportResult:
    path: Path
    shape: str  # "v3" | "v1"
    items: int = 0
    deliveries_added: int = 0
    attempts_added: int = 0
    already_present: int = 0  # attempts the database had already

    def summary(self) -> str:
        """What was imported, as the CLI prints it and the GUI shows it."""
        shape = "CentrePoint v3 history" if self.shape == "v3" else "CentrePoint v1 history"
        return (
            f"Imported {counted(self.deliveries_added, 'delivery')} with "
            f"{counted(self.attempts_added, 'attempt')} from {self.path} ({shape}); "
            f"{counted(self.already_present, 'attempt')} already present."
        )


def counted(n: int, unit: str) -> str:
    """'1 delivery', '2,000 deliveries', '3 attempts'."""
    plural = "deliveries" if unit == "delivery" else unit + "s"
    return f"{n:,} {unit if n == 1 else plural}"


def import_file(db, path, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Read `path` and add its deliveries and attempts (source 'import') in one transaction."""
    path = Path(path)
    shape, found = _read_history(path)
    result = ImportResult(path, shape, sum(len(f.attempts) for f in found))
    with db.session() as session:
        store(session, found, result, progress)
    return result


def _read_history(path: Path) -> tuple[str, list[cp.ImportedDelivery]]:
    """The file's shape and deliveries, every value checked. The file's text and parsed
    documents are let go on return: memory stays a few times the file's size (issue 13)."""
    text = _read(path)
    shape, items = _items(path, text, _documents(path, text))
    read = cp.from_v3_item if shape == "v3" else cp.from_v1_record
    pairs = []
    for item in items:
        try:
            pairs.append(read(item))
        except cp.FormatError as exc:
            raise InvalidInput(f"{path.name} line {_line_of(text, item)}: {exc}.") from None
    return shape, cp.group(pairs)


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_MB * 1024 * 1024:
            raise InvalidInput(
                f"{path.name} is {size / 1024 / 1024:,.0f} MB; files of up to {MAX_FILE_MB} MB "
                "can be imported, so split it (the platform exports history in pages)."
            )
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"There is no file {path}.") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} is not text; expected {EXPECTED} as JSON.") from None
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}.") from None


def _documents(path: Path, text: str) -> list:
    """Every JSON document in `text` (usually one), trailing commas forgiven. Most files
    have none, so the text is cleaned (copied) only when it does not read as it is."""
    try:
        documents = _decode_all(text)
    except json.JSONDecodeError:
        cleaned = cp.without_trailing_commas(text)
        try:
            documents = _decode_all(cleaned)
        except json.JSONDecodeError as exc:
            raise InvalidInput(_broken_json(path, cleaned, exc)) from None
    except RecursionError:
        raise InvalidInput(
            f"{path.name} nests its JSON deeper than {sys.getrecursionlimit():,} levels; "
            f"expected {EXPECTED}."
        ) from None
    if not documents:
        raise InvalidInput(f"{path.name} is empty; expected {EXPECTED}.")
    return documents


def _decode_all(text: str) -> list:
    decoder, documents, at = check.decoder(), [], 0
    while (at := _skip_space(text, at)) < len(text):
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


def _broken_json(path: Path, text: str, exc: json.JSONDecodeError) -> str:
    if exc.pos >= len(text.rstrip()):
        return (
            f"{path.name} line {exc.lineno}: the file ends before its JSON does (cut short?); "
            f"expected {EXPECTED}."
        )
    return f"{path.name} line {exc.lineno}: this is not JSON ({exc.msg}); expected {EXPECTED}."


def _items(path: Path, text: str, documents: list) -> tuple[str, list]:
    """('v3' | 'v1', the items or records) of the documents, or one sentence why not."""
    if len(documents) == 1 and isinstance(documents[0], list):
        documents = documents[0]  # a list of v3 pages, or of v1 records
        if not documents:
            raise InvalidInput(f"{path.name} holds an empty list; expected {EXPECTED}.")
    if all(isinstance(d, dict) and isinstance(d.get("items"), list) for d in documents):
        return "v3", [item for page in documents for item in page["items"]]
    if all(isinstance(d, dict) and "WebhookEvent" in d for d in documents):
        return "v1", documents
    odd = next(
        d
        for d in documents
        if not (isinstance(d, dict) and (isinstance(d.get("items"), list) or "WebhookEvent" in d))
    )
    return _not_history(path, text, odd)


def _not_history(path: Path, text: str, odd) -> tuple[str, list]:
    if isinstance(odd, dict):
        keys = ", ".join(list(odd)[:4]) or "no keys"
        found = f"an object with {keys}"
    else:
        names: dict[type, str] = {list: "a list", str: "a string"}
        found = names.get(type(odd), f"a {type(odd).__name__}")
    line = _line_of(text, odd)
    raise InvalidInput(
        f"{path.name} line {line} is not CentrePoint history: found {found}; "
        f"expected a v3 page (with items) or v1 records (with WebhookEvent)."
    )


# ---- where in the file: only when something is wrong --------------------------------------


def _line_of(text: str, value) -> int:
    """The line where `value` (an object or list from this file) starts.

    Re-parses with the pure-Python scanner, which lets us note where each object and list
    begins; slow, so only used to word an error.
    """
    if not isinstance(value, dict | list):
        return 1
    starts: dict[str, int] = {}
    decoder: Any = check.decoder()  # its parse_object/parse_array/scan_once: not in typeshed
    plain_object, plain_array = decoder.parse_object, decoder.parse_array

    def parse_object(s_and_end, *args):
        found, end = plain_object(s_and_end, *args)
        starts.setdefault(_key(found), s_and_end[1] - 1)
        return found, end

    def parse_array(s_and_end, *args):
        found, end = plain_array(s_and_end, *args)
        starts.setdefault(_key(found), s_and_end[1] - 1)
        return found, end

    decoder.parse_object, decoder.parse_array = parse_object, parse_array
    decoder.scan_once = cast(Any, json.scanner).py_make_scanner(decoder)
    cleaned, at = cp.without_trailing_commas(text), 0
    while _key(value) not in starts and (at := _skip_space(cleaned, at)) < len(cleaned):
        try:
            _, at = decoder.raw_decode(cleaned, at)
        except (json.JSONDecodeError, RecursionError):
            break
    return cleaned.count("\n", 0, starts.get(_key(value), 0)) + 1


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


# ---- into the database ------------------------------------------------------------------


def store(session: Session, found: list[cp.ImportedDelivery], result: ImportResult, progress):
    """Add deliveries read from the platform (a file or a sync), merging what is known."""
    _redact_users_headers(session, found)
    registrations = _registrations_by_remote_id(session)
    for start in range(0, len(found), LOOKUP_BATCH):
        batch = found[start : start + LOOKUP_BATCH]
        known = _known(session, [f.delivery["uuid"] for f in batch])
        _add(session, [f for f in batch if f.delivery["uuid"] not in known], registrations, result)
        for imported in batch:
            if imported.delivery["uuid"] in known:
                _merge(session, known[imported.delivery["uuid"]], imported, result)
        session.flush()
        if progress:
            progress(start + len(batch), len(found))


def _redact_users_headers(session: Session, found: list[cp.ImportedDelivery]) -> None:
    """The headers the user named secret in Settings, redacted too (the built-in ones are)."""
    redactor = redaction.redactor(session)
    if redactor is redaction.DEFAULT:
        return
    for attempt in (a for f in found for a in f.attempts):
        for key in ("request_headers", "response_headers"):
            if attempt.get(key):
                attempt[key] = redactor.headers(attempt[key])


def _registrations_by_remote_id(session: Session) -> dict[str, int]:
    """Registrations pulled from the platform, so imported history links to them."""
    rows = session.execute(
        select(Registration.remote_id, Registration.id).where(Registration.remote_id.isnot(None))
    )
    return {remote: local for remote, local in rows if remote is not None}


def _known(session: Session, hashes: list[str]) -> dict[str, tuple[int, set]]:
    """For the hashes already stored: (delivery id, identities of its attempts). Plain rows:
    a re-import compares thousands of attempts and changes none of them."""
    rows = session.execute(
        select(Delivery.uuid, Delivery.id, Attempt.started_at, Attempt.response_code)
        .outerjoin(Attempt, Attempt.delivery_id == Delivery.id)
        .where(Delivery.uuid.in_(hashes))
    )
    found: dict[str, tuple[int, set]] = {}
    for uuid, delivery_id, started_at, code in rows:
        _, identities = found.setdefault(uuid, (delivery_id, set()))
        if started_at is not None:
            identities.add(_identity(started_at, code))
    return found


def _add(session: Session, batch: list[cp.ImportedDelivery], registrations, result) -> None:
    """New deliveries and their attempts in two bulk INSERTs (RETURNING the new ids): five
    times quicker than adding ORM objects one by one."""
    if not batch:
        return
    rows = [
        {**f.delivery, "registration_id": registrations.get(f.delivery["remote_id"])} for f in batch
    ]
    returning = insert(Delivery).returning(Delivery.id, Delivery.uuid, sort_by_parameter_order=True)
    ids = {uuid: new_id for new_id, uuid in session.execute(returning, rows)}
    attempts = [
        {**_attempt_columns(a), "delivery_id": ids[f.delivery["uuid"]]}
        for f in batch
        for a in f.attempts
    ]
    session.execute(insert(Attempt), attempts)
    result.deliveries_added += len(batch)
    result.attempts_added += len(attempts)


def _merge(session: Session, known: tuple[int, set], imported: cp.ImportedDelivery, result):
    """Attempts of a delivery we have already: add those we lack (a later page may hold a
    retry of a delivery from an earlier one), keep the rest."""
    delivery_id, have = known
    new = [
        a for a in imported.attempts if _identity(a["started_at"], a["response_code"]) not in have
    ]
    result.already_present += len(imported.attempts) - len(new)
    if not new:
        return
    existing = session.get(Delivery, delivery_id, options=[selectinload(Delivery.attempts)])
    assert existing is not None  # found by this very session a moment ago
    for attempt in existing.attempts:  # out of the way of (delivery, number) being unique
        attempt.number += 10_000
    session.flush()
    existing.attempts.extend(Attempt(**_attempt_columns(a)) for a in new)
    ordered = sorted(existing.attempts, key=lambda a: a.started_at)
    for number, attempt in enumerate(ordered, 1):
        attempt.number = number
    last = ordered[-1]
    code = last.response_code
    existing.status = (
        DeliveryStatus.SUCCEEDED
        if code is not None and 200 <= code < 300
        else DeliveryStatus.FAILED
    )
    existing.response_code, existing.error = code, last.error
    existing.attempt_count, existing.last_sent_at = len(ordered), last.started_at
    existing.created_at = min(existing.created_at, ordered[0].started_at)
    result.attempts_added += len(new)


def _identity(started_at, code) -> tuple:
    # The platform's dates carry whole seconds; ours carry microseconds.
    return started_at.replace(microsecond=0), code


def _attempt_columns(attempt: dict) -> dict:
    return {k: v for k, v in attempt.items() if k != "remote_id"}

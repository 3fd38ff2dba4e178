"""`webhook-desk fire | deliver | resend`, and the handler of `registrations validate ID`."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from webhook_desk.cli.common import (
    open_db,
    print_json,
)
from webhook_desk.cli.events import read_json_file
from webhook_desk.cli.history import filters_from
from webhook_desk.cli.platform import hosted_activity, hosted_client, print_module_answer
from webhook_desk.engine.sender import Timeouts
from webhook_desk.engine.worker import Callbacks
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.services import delivery_engine, edit_resend, firing, registrations, resend
from webhook_desk.vocabulary import ValidationState


def _read_payload(source: str | None) -> str | None:
    if source is None:
        return None
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"No payload file {source}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"The payload file {source} cannot be read: {exc}.") from None


def _fire(args) -> int:
    db = open_db(args)
    hosted = hosted_activity(args, db, registration=args.to) if args.to else None
    if hosted is not None:
        return _fire_on_module(args, hosted)
    payload = _read_payload(args.payload)
    signing = _signing(args.sign_with)
    with db.session() as session:
        fired = firing.fire(
            session,
            args.event,
            to_registration=args.to,
            url=args.url,
            payload=payload,
            count=args.count,
            validate=not args.no_validate,
            **signing,
        )
        rows = [{"id": d.id, "delivery_id": d.uuid, "target_url": d.target_url} for d in fired]
        note = _validation_note(session, args.to) if args.to else None
    if note:
        print(f"webhook-desk: note: {note}", file=sys.stderr)
    if args.json:
        print_json(rows)
    else:
        where = f"registration {args.to}" if args.to else args.url
        ids = str(rows[0]["id"]) if len(rows) == 1 else f"{rows[0]['id']}-{rows[-1]['id']}"
        print(
            f"Queued {len(rows)} {args.event} deliver{'y' if len(rows) == 1 else 'ies'} "
            f"to {where} (id {ids}); `webhook-desk deliver` sends them."
        )
    return 0


def _fire_on_module(args, hosted) -> int:
    """`fire EVENT --to MIRROR`: the ECG module posts the event to its subscription."""
    problem = firing.hosted_fire_problem(args.count, not args.no_validate)
    if problem:
        raise InvalidInput(problem)
    body = read_json_file(args.payload) if args.payload else None
    with hosted:
        done = hosted.fire(args.to, args.event, body, args.reason)
    sentence = f"The ECG module posts {args.event} to registration {args.to}"
    return print_module_answer(args, done, sentence)


def _signing(choice: str | None) -> dict:
    """--sign-with as firing.fire's arguments (the throwaway secret is made on first use)."""
    if choice is None:
        return {}
    if choice == "throwaway":
        SecretStore().throwaway_hmac(create=True)
        return {"sign_throwaway": True}
    if not choice.isdigit():
        raise InvalidInput(f"--sign-with takes a registration id or 'throwaway', not '{choice}'.")
    return {"sign_as": int(choice)}


def _validation_note(session, reg_id) -> str | None:
    """Why the deliveries just queued will wait, when the registration is not validated."""
    reg = registrations.get(session, reg_id)
    if reg.validation_state == ValidationState.FAILED:
        return (
            f"registration {reg.id} failed validation ({reg.validation_error}); these wait "
            f"until `webhook-desk registrations validate {reg.id}` passes."
        )
    if reg.validation_state != ValidationState.VALIDATED:
        return f"registration {reg.id} is validated first, when `webhook-desk deliver` runs."
    return None


def _deliver(args) -> int:
    if args.workers < 1 or args.timeout <= 0 or args.connect_timeout <= 0:
        raise InvalidInput("--workers and the timeouts must be positive.")
    db = open_db(args)
    callbacks = Callbacks(
        attempt_recorded=None if args.quiet else _print_attempt,
        registration_disabled=lambda reg_id: print(
            f"registration {reg_id} disabled: its deliveries kept failing", file=sys.stderr
        ),
        error=lambda message: print(f"webhook-desk: {message}", file=sys.stderr),
    )
    engine = delivery_engine.new_engine(
        db,
        workers=args.workers,
        callbacks=callbacks,
        timeouts=Timeouts(args.connect_timeout, args.timeout),
        default_schedule=args.retry_schedule,
    )
    if args.until_idle:
        summary = engine.run_until_idle()
    else:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())  # finish what is in flight, then exit
        summary = engine.run_forever(stop)
    print(
        f"Sent {summary.sent}: {summary.succeeded} succeeded, {summary.failed} failed, "
        f"{summary.retrying} to retry later; {summary.validations} validation handshakes."
    )
    return 0


def _print_attempt(report) -> None:
    outcome = report.response_code if report.response_code is not None else report.error
    print(f"{report.delivery_id} {report.event} -> {outcome} ({report.status})", flush=False)


def _resend(args) -> int:
    if bool(args.delivery) == bool(args.all_matching):
        raise InvalidInput("Give one DELIVERY_ID or --all-matching with history filters.")
    if (args.to or args.url) and not args.edit:
        raise InvalidInput("--to and --url go with --edit; a plain resend goes where it went.")
    if args.edit and not args.delivery:
        raise InvalidInput("--edit resends one delivery: give its DELIVERY_ID.")
    if args.header and not args.edit:
        raise InvalidInput("--header goes with --edit.")
    edited = _read_payload(args.edit)
    headers, problems = edit_resend.headers_from_text("\n".join(args.header))
    if problems:
        raise InvalidInput(" ".join(problems))
    db = open_db(args)
    if args.delivery:
        return _resend_one(args, db, edited, headers)
    progress = _bulk_progress()
    with db.session() as session:
        bulk = resend.resend_matching(
            session, filters_from(args), dry_run=args.dry_run, progress=progress
        )
    if progress:
        print(file=sys.stderr)  # end the running count's line
    retried, failed = 0, list[str]()
    if bulk.hosted and not args.dry_run:
        retried, failed = _retry_on_modules(args, db, bulk)
    result = {
        "matched": bulk.matched,
        "queued": bulk.queued,
        "skipped": bulk.skipped,
        "already_queued": bulk.already_queued,
        "already_retried_by_module": bulk.already_retried,
        "hosted": len(bulk.hosted),
        "retried_by_module": retried,
        "module_refused": failed,
        "read_only": bulk.read_only,
        "dry_run": args.dry_run,
    }
    print_json(result) if args.json else print(resend.summary(bulk, args.dry_run, retried, failed))
    return 1 if failed else 0


def _retry_on_modules(args, db, bulk) -> tuple[int, list[str]]:
    """Each hosted delivery of a resend of all matching, retried by its ECG module."""
    from webhook_desk.platform import ecg_activity_writes as writes

    def connect(hosted):
        return writes.EcgActivityWrites(db, hosted_client(args, hosted.reg_id, hosted.origin))

    return writes.retry_each(db, connect, bulk, args.reason)


def _resend_one(args, db, edited, headers) -> int:
    """One delivery queued again here (plainly or edited), or retried by its ECG module."""
    with db.session() as session:
        original = resend.find(session, args.delivery)
        route = resend.resend_route(original.id, original.source, edited is not None)
    if route.way == resend.REFUSED:
        raise InvalidInput(route.sentence)
    if args.dry_run:
        by = " through the ECG module (its retry)" if route.way == resend.MODULE else ""
        print(f"Would resend delivery {original.id}{by}.")
        return 0
    hosted = (
        hosted_activity(args, db, delivery=args.delivery) if route.way == resend.MODULE else None
    )
    if hosted is not None:  # None: its subscription is no longer mirrored (refused below)
        with hosted:
            done = hosted.retry(args.delivery, args.reason)
        return print_module_answer(args, done, f"The ECG module retries {args.delivery}")
    with db.session() as session:
        if edited is None:
            copy = resend.resend(session, args.delivery)
        else:
            to = int(args.to) if args.to else None
            copy = edit_resend.resend_edited(
                session,
                args.delivery,
                edited,
                to,
                args.url,
                args.reason,
                validate=not args.no_validate,
                headers=headers,
            )
        result = {
            "id": copy.id,
            "delivery_id": copy.uuid,
            "resent_from_id": copy.resent_from_id,
            "edited": edited is not None,
        }
        how = "an edited resend" if edited is not None else "a resend"
        text = f"Queued delivery {copy.id} as {how} of {copy.resent_from_id}."
    print_json(result) if args.json else print(text)
    return 0


def _bulk_progress():
    """On a terminal, a running count on stderr (stdout stays the result alone)."""
    if not sys.stderr.isatty():
        return None

    def show(matched: int, queued: int) -> None:
        print(f"\r{matched:,} matched, {queued:,} queued…", end="", file=sys.stderr, flush=True)

    return show


def validate_handler(args) -> int:
    """`registrations validate ID`: run the handshake now and say whether it passed."""
    db = open_db(args)
    result = delivery_engine.validate(db, SecretStore(), args.id)
    if getattr(args, "json", False):
        print_json(
            {
                "registration_id": result.registration_id,
                "validated": result.ok,
                "error": result.error,
                "delivery_id": result.delivery_id,
                "response_code": result.response_code,
            }
        )
    elif result.ok:
        print(f"Registration {result.registration_id} passed validation.")
    else:
        print(f"Registration {result.registration_id} failed validation: {result.error}")
    return 0 if result.ok else 1

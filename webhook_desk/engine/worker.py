"""The Engine: claim due deliveries, send them on a pool of threads, record every attempt.

Plain Python, no Qt: `webhook-desk deliver` runs it headless and the GUI runs it in a QThread,
both learning about progress through Callbacks.

Threads and who owns what:
- the database loop (the thread that calls run_until_idle/run_forever) owns the engine's
  state: the outstanding count, the summary, the target cache, the set of registrations
  being validated and the recheck flag. Nothing else reads or writes them, so they need no
  lock. It is also the only thread that writes deliveries: it records finished attempts in
  batches and claims due work in batches (SQLite has a single writer, so this process never
  waits on its own lock);
- the sending threads sign and send what it hands them (one requests.Session each) and post
  each outcome to the results queue;
- one short-lived thread per validation handshake (so a handshake never queues behind slow
  deliveries) posts a ValidationDone to the same queue; the loop applies it.

States and transitions:
    stopped --run_until_idle() / run_forever(stop_event)--> running
    running --pause()--> paused: nothing new is claimed; what is in flight finishes, recorded
    paused --resume()--> running
    running --nothing due, nothing in flight--> idle (callbacks.idle, once per idle spell);
        run_until_idle returns here (stopped); run_forever polls every poll_interval and is
        running again as soon as something falls due
    running | paused | idle --stop() or stop_event--> stopping: claimed work not yet sent is
        given back (its lease released), requests on the wire finish and are recorded
    stopping --nothing in flight, no handshake running--> stopped (run_* returns the summary)
A registration waiting for its handshake goes pending --claimed by one engine--> validating
--> validated | failed (validation.claim_due: one engine per handshake, even with several on
one database); its deliveries are claimable only once it is validated.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from sqlalchemy import select

from webhook_desk import redaction
from webhook_desk.db.models import Registration, utcnow
from webhook_desk.engine import attempt, auth, claim, record, retry, streaks, validation
from webhook_desk.engine.bookkeeping import Bookkeeping
from webhook_desk.engine.fairness import TargetShares, target_key
from webhook_desk.engine.sender import RESPONSE_BODY_CAP, Response, Sender, Timeouts
from webhook_desk.vocabulary import DeliveryStatus

log = logging.getLogger(__name__)

TARGET_CACHE_S = 5.0  # how long a registration's URL and credentials are reused between batches
POLL_INTERVAL_S = 0.5  # how often an idle engine looks for newly fired deliveries
WRITE_BATCH = 500
WRITE_LINGER_S = 0.01
OTHERS_IDLE_S = 1.0


@dataclass(frozen=True)
class AttemptReport:
    """What the engine tells its callbacks after recording an attempt."""

    delivery_id: int
    delivery_uuid: str
    registration_id: int | None
    event: str
    status: str  # the delivery's status now: succeeded | failed | pending (retry scheduled)
    response_code: int | None
    error: str | None
    duration_ms: int


@dataclass
class Callbacks:
    """Progress hooks; called from engine threads, so they must be quick and thread-safe."""

    claimed: Callable[[int], None] | None = None
    attempt_recorded: Callable[[AttemptReport], None] | None = None
    idle: Callable[[], None] | None = None
    registration_disabled: Callable[[int], None] | None = None
    error: Callable[[str], None] | None = None


@dataclass
class RunSummary:
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    retrying: int = 0
    validations: int = 0


_WAKE = object()  # put on the results queue to make the database loop look again
VALIDATION_LEASE = timedelta(minutes=2)  # then another engine may take a handshake over


@dataclass(frozen=True)
class ValidationDone:
    """Posted by a handshake thread; the database loop applies it to the engine's state."""

    registration_id: int
    ran: bool  # False: it raised before a verdict was recorded


class Engine:
    def __init__(
        self,
        db,
        book: Bookkeeping,
        workers: int = 4,
        callbacks: Callbacks | None = None,
        timeouts: Timeouts | None = None,
        body_cap: int = RESPONSE_BODY_CAP,
        lease: timedelta = claim.DEFAULT_LEASE,
        disable_after: timedelta = streaks.DEFAULT_DISABLE_AFTER,
        poll_interval: float = POLL_INTERVAL_S,
        default_schedule: str | None = None,
        sign_validation: bool = validation.SIGNED_BY_DEFAULT,
    ):
        """`default_schedule` ("5s,5m,30m"): the retries of registrations without a schedule
        of their own and of ad-hoc deliveries; None is retry.DEFAULT_SCHEDULE. `book` is the
        services' side of things (secrets, verdicts, audit): services.delivery_engine builds
        engines with it. `sign_validation`: whether handshakes carry a signature."""
        self.db = db
        self.book = book
        self.workers = max(1, workers)
        self.callbacks = callbacks or Callbacks()
        self.timeouts = timeouts or Timeouts()
        self.sender = Sender(self.timeouts, body_cap)
        self.tokens = auth.TokenCache(self.timeouts.total)
        self.disable_after = disable_after
        self.poll_interval = poll_interval
        self.default_schedule = retry.parse_schedule(default_schedule)
        self.sign_validation = sign_validation
        self.adhoc = replace(attempt.ADHOC, schedule=self.default_schedule)
        self._adhoc_until = 0.0
        self.owner = claim.new_owner()
        self.summary = RunSummary()
        # Claimed work waiting for a thread: enough to keep every thread busy while the next
        # batch is claimed; sent but unrecorded outcomes are bounded by max_outstanding.
        self.capacity = max(self.workers * 16, 64)
        self.max_outstanding = self.capacity * 4
        # A lease must outlast the wait behind the whole claimed backlog, not just one request.
        self.lease = max(
            lease, timedelta(seconds=self.timeouts.total * (self.capacity / self.workers + 2))
        )
        # Owned by the database loop (see the module's docstring): no lock.
        self._outstanding = 0  # claimed and not yet recorded
        self.shares = TargetShares(self.workers, self.capacity)
        self._validating: set[int] = set()
        self._targets: dict[int, tuple[attempt.Target, float]] = {}
        self._paused = threading.Event()
        self._stopping = threading.Event()
        self._results: queue.Queue = queue.Queue()
        self._work: queue.SimpleQueue = queue.SimpleQueue()  # callables for the sending threads
        self._threads: list[threading.Thread] = []
        self._last_validation_check = 0.0
        self._others_idle_until = 0.0
        self._next_poll = 0.0  # when nothing was due, look again only after poll_interval
        self._recheck = False  # a handshake passed since the last claim: look before idling

    # --- control -------------------------------------------------------------------------

    def run_until_idle(self) -> RunSummary:
        """Send everything due now (and retries that fall due meanwhile are left for later)."""
        return self._run(threading.Event(), until_idle=True)

    def run_forever(self, stop_event: threading.Event) -> RunSummary:
        """Keep delivering, polling for newly fired work, until `stop_event` is set."""
        return self._run(stop_event, until_idle=False)

    def pause(self) -> None:
        """Stop claiming new work; what is in flight finishes and is recorded."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()
        self._wake()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def stop(self) -> None:
        """Finish the requests on the wire, give back claimed work not yet sent, and return."""
        self._stopping.set()
        self._wake()

    # --- the database loop: record, then claim -------------------------------------------

    def _run(self, stop_event: threading.Event, until_idle: bool) -> RunSummary:
        """Record finished attempts and claim new work, both on this one thread.

        SQLite has a single writer: doing both here means this process never waits on its
        own lock, and each transaction carries everything that finished meanwhile.
        """
        self._stopping.clear()
        self._start_threads()
        idle_reported = False
        try:
            with self.db.session() as session:
                claim.release_dead_local_owners(session)
            while True:
                if stop_event.is_set():
                    self._stopping.set()
                self._record_finished(self._wait_time())
                if self._stopping.is_set():
                    if not self._busy():
                        break
                    continue
                if self._paused.is_set():
                    continue
                self._start_validations()
                if self._should_claim() and self._claim_and_dispatch():
                    idle_reported = False
                    continue
                if self._busy() or self._recheck:
                    continue
                if not idle_reported and self.callbacks.idle:
                    self.callbacks.idle()
                idle_reported = True
                if until_idle:
                    break
        finally:
            self._stopping.set()
            while self._busy():
                self._record_finished(self.poll_interval)
            self._stop_threads()
        return self.summary

    def _wait_time(self) -> float:
        """How long to wait for outcomes: not at all while work can be claimed."""
        if self._stopping.is_set() or self._paused.is_set():
            return self.poll_interval
        if self._free() >= self.capacity // 2 and not self._nothing_due_recently():
            return 0.0
        return self.poll_interval

    def _should_claim(self) -> bool:
        """Room for a batch, and either something may be due or all work is done (so one
        last look decides whether the engine is idle)."""
        return self._free() >= self.capacity // 2 and (
            not self._nothing_due_recently() or not self._busy()
        )

    def _nothing_due_recently(self) -> bool:
        return time.monotonic() < self._next_poll

    def _free(self) -> int:
        return min(self.capacity - self.shares.queued, self.max_outstanding - self._outstanding)

    def _busy(self) -> bool:
        return self._outstanding > 0 or bool(self._validating)

    def _wake(self) -> None:
        self._results.put(_WAKE)

    def _claim_and_dispatch(self) -> int:
        """Claim a batch (other targets first when one is saturated) and hand it to the pool."""
        free = self._free()
        self._recheck = False
        with self.db.session() as session:
            saturated = self.shares.exclusion()
            claimed = []
            if saturated and time.monotonic() >= self._others_idle_until:
                claimed = claim.claim(session, self.owner, free, self.lease, exclude=saturated)
                if not claimed:
                    # Nothing else is due; do not ask again for a while (the query that
                    # excludes the busy targets walks all their due rows).
                    self._others_idle_until = time.monotonic() + OTHERS_IDLE_S
            if not claimed:
                # Let healthy targets use the spare threads too; struggling ones stay capped.
                claimed = claim.claim(
                    session,
                    self.owner,
                    free,
                    self.lease,
                    exclude=self.shares.exclusion(only_struggling=True),
                )
            claimed, surplus = self.shares.trim(claimed)
            claim.release(session, self.owner, [c.id for c in surplus])
            targets = self._load_targets(
                session, {c.registration_id or c.signing_registration_id for c in claimed}
            )
        if not claimed:
            self._next_poll = time.monotonic() + self.poll_interval
            return 0
        self._outstanding += len(claimed)
        self.shares.claimed(claimed)
        if self.callbacks.claimed:
            self.callbacks.claimed(len(claimed))
        throwaway = self.adhoc  # read from the keyring once a batch, only when asked for
        if any(c.signing_throwaway for c in claimed):
            throwaway = attempt.throwaway_target(self.adhoc, self.book)
        for c in claimed:
            target = attempt.target_for(c, targets, self.adhoc, throwaway)
            self._work.put(partial(self._send_one, c, target))
        return len(claimed)

    def _load_targets(self, session, reg_ids: set) -> dict[int, attempt.Target]:
        now = time.monotonic()
        if None in reg_ids and self._adhoc_until < now:  # the user's secret headers may change
            self.adhoc = replace(self.adhoc, redactor=redaction.redactor(session))
            self._adhoc_until = now + TARGET_CACHE_S
        wanted = {i for i in reg_ids if i is not None}
        stale = [i for i in wanted if i not in self._targets or self._targets[i][1] < now]
        if stale:
            regs = session.scalars(select(Registration).where(Registration.id.in_(stale)))
            for reg in regs:
                self._targets[reg.id] = (
                    attempt.target_of(session, self.book, reg, self.default_schedule),
                    now + TARGET_CACHE_S,
                )
        return {i: self._targets[i][0] for i in wanted if i in self._targets}

    # --- validation handshakes -----------------------------------------------------------

    def _start_validations(self) -> None:
        """Registrations waiting for the handshake that have events due: validate them first."""
        if time.monotonic() - self._last_validation_check < self.poll_interval:
            return
        self._last_validation_check = time.monotonic()
        with self.db.session() as session:
            reg_ids = validation.claim_due(session, utcnow(), VALIDATION_LEASE)
        for reg_id in reg_ids:
            if reg_id in self._validating:
                continue
            self._validating.add(reg_id)
            # Its own thread: a handshake must not queue behind deliveries to slow receivers.
            threading.Thread(
                target=self._validate_one, args=(reg_id,), name=f"webhook-validate-{reg_id}"
            ).start()

    def _validate_one(self, reg_id: int) -> None:
        """On a handshake thread: run it, then post the news to the database loop."""
        ran = False
        try:
            validation.validate(
                self.db, self.book, reg_id, self.sender, self.tokens, self.sign_validation
            )
            ran = True
        except Exception as exc:  # a broken handshake must not kill the pool thread
            log.exception("validation of registration %s failed", reg_id)
            self._report_error(f"Validating registration {reg_id} failed: {exc}")
        finally:
            self._results.put(ValidationDone(reg_id, ran))

    def _validation_done(self, done: ValidationDone) -> None:
        """On the database loop: the registration's target changed, and its deliveries may
        have become claimable after the last claim looked."""
        self._validating.discard(done.registration_id)
        self._targets.pop(done.registration_id, None)
        self.summary.validations += done.ran
        self._recheck = True

    # --- sending (pool threads) ----------------------------------------------------------

    def _send_one(self, c: claim.Claimed, target: attempt.Target) -> None:
        key = target_key(c)
        if self._stopping.is_set():
            self.shares.given_back(key)
            self._results.put(record.Outcome(c, released=True))
        elif self.shares.may_send(key, partial(self._send_admitted, c, target)):
            self._send_admitted(c, target)

    def _send_admitted(self, c: claim.Claimed, target: attempt.Target) -> None:
        response = None
        if self._stopping.is_set():  # parked until now, and the engine is stopping
            for job in self.shares.finished(target_key(c), None):
                self._work.put(job)
            self._results.put(record.Outcome(c, released=True))
            return
        try:
            outcome = attempt.send(c, target, self.sender, self.tokens)
            response = outcome.response
        except Exception as exc:  # never lose a claimed delivery to a bug: record it as an error
            log.exception("sending delivery %s failed", c.id)
            url = target.url or c.target_url
            error = Response(error=f"Internal error: {exc}")
            outcome = attempt.outcome(c, target, url, {}, utcnow(), error)
        finally:
            for job in self.shares.finished(target_key(c), response):
                self._work.put(job)
        self._results.put(outcome)

    def _start_threads(self) -> None:
        self._threads = [
            threading.Thread(target=self._work_loop, name=f"webhook-send-{n}")
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def _stop_threads(self) -> None:
        for _thread in self._threads:
            self._work.put(None)
        for thread in self._threads:
            thread.join()
        self.sender.close()

    def _work_loop(self) -> None:
        while (job := self._work.get()) is not None:
            try:
                job()
            except Exception:  # a bug must not cost the engine a thread; say it loudly
                log.exception("a sending job failed")
                self._report_error("A sending job failed unexpectedly; see the log.")

    def _record_finished(self, wait: float) -> None:
        """Store every outcome that has arrived, waiting up to `wait` for the first."""
        batch = []
        try:
            batch.append(
                self._results.get(timeout=wait) if wait > 0 else self._results.get_nowait()
            )
            # While the threads have plenty queued, let outcomes gather a little: one
            # transaction for many is cheaper than many for few.
            if self.shares.queued >= self.capacity // 2:
                time.sleep(WRITE_LINGER_S)
            while len(batch) < WRITE_BATCH:
                batch.append(self._results.get_nowait())
        except queue.Empty:
            pass
        for done in [o for o in batch if isinstance(o, ValidationDone)]:
            self._validation_done(done)
        batch = [o for o in batch if isinstance(o, record.Outcome)]
        if batch:
            self._write(batch)

    def _write(self, batch: list[record.Outcome]) -> None:
        disabled: list[int] = []
        for try_number in range(5):
            try:
                with self.db.session() as session:
                    disabled = record.record_batch(
                        session, self.owner, batch, self.book, self.disable_after
                    )
                break
            except Exception as exc:  # locked database, lost connection: try again shortly
                log.warning("recording %d outcomes failed (%s), retrying", len(batch), exc)
                if try_number == 4:
                    # The leases will expire and the deliveries be sent again: at least once.
                    self._report_error(f"Could not record {len(batch)} attempts: {exc}")
                time.sleep(0.2 * (try_number + 1))
        self._outstanding -= len(batch)
        self._report(batch, disabled)

    def _report(self, batch: list[record.Outcome], disabled: list[int]) -> None:
        for o in batch:
            if o.released:
                continue
            self.summary.sent += 1
            if o.status == DeliveryStatus.SUCCEEDED:
                self.summary.succeeded += 1
            elif o.status == DeliveryStatus.FAILED:
                self.summary.failed += 1
            else:
                self.summary.retrying += 1
            if self.callbacks.attempt_recorded:
                r = o.sent_response
                self.callbacks.attempt_recorded(
                    AttemptReport(
                        o.claimed.id,
                        o.claimed.uuid,
                        o.registration_id,
                        o.claimed.event_code,
                        o.status,
                        r.status,
                        r.error,
                        r.duration_ms,
                    )
                )
        for reg_id in disabled:
            self._targets.pop(reg_id, None)
            if self.callbacks.registration_disabled:
                self.callbacks.registration_disabled(reg_id)

    def _report_error(self, message: str) -> None:
        if self.callbacks.error:
            self.callbacks.error(message)

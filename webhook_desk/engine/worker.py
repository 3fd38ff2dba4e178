"""The Engine: claim due deliveries, send them on a pool of threads, record every attempt.

Plain Python, no Qt: `webhook-desk deliver` runs it headless and the GUI runs it in a QThread,
both learning about progress through Callbacks. Three kinds of thread:
- the caller's thread claims due work in batches and hands it to the pool;
- the pool's threads sign and send (one requests.Session each);
- one writer thread stores outcomes in batches, because SQLite has a single writer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, select

from webhook_desk.db.models import Delivery, Registration, utcnow
from webhook_desk.delivery_counts import DeliveryCounts, counts
from webhook_desk.engine import auth, claim, record, retry, streaks, validation
from webhook_desk.engine.headers import platform_headers
from webhook_desk.engine.sender import RESPONSE_BODY_CAP, Response, Sender, Timeouts
from webhook_desk.errors import UserError

log = logging.getLogger(__name__)

TARGET_CACHE_S = 5.0  # how long a registration's URL and credentials are reused between batches
POLL_INTERVAL_S = 0.5  # how often an idle engine looks for newly fired deliveries
WRITE_BATCH = 500
WRITE_LINGER_S = 0.02  # wait this long for more outcomes so one transaction carries many
SLOW_MS = 2000  # a target answering slower than this (or not at all) is "struggling"


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


@dataclass(frozen=True)
class Target:
    """Where and how a registration's deliveries go, loaded once per few seconds."""

    url: str | None  # None: use the delivery's own target_url (ad-hoc deliveries)
    webhook_id: str | None
    creds: auth.Credentials
    schedule: list[timedelta] = field(default_factory=lambda: retry.parse_schedule(None))


_STOP = object()
_ADHOC = Target(url=None, webhook_id=None, creds=auth.NO_AUTH)


class Engine:
    def __init__(
        self,
        db,
        store=None,
        workers: int = 4,
        callbacks: Callbacks | None = None,
        timeouts: Timeouts | None = None,
        body_cap: int = RESPONSE_BODY_CAP,
        lease: timedelta = claim.DEFAULT_LEASE,
        disable_after: timedelta = streaks.DEFAULT_DISABLE_AFTER,
        poll_interval: float = POLL_INTERVAL_S,
    ):
        from webhook_desk.secrets import SecretStore

        self.db = db
        self.store = store or SecretStore()
        self.workers = max(1, workers)
        self.callbacks = callbacks or Callbacks()
        self.timeouts = timeouts or Timeouts()
        self.sender = Sender(self.timeouts, body_cap)
        self.tokens = auth.TokenCache(self.timeouts.total)
        self.lease = lease
        self.disable_after = disable_after
        self.poll_interval = poll_interval
        self.owner = claim.new_owner()
        self.summary = RunSummary()
        # Enough claimed work to keep every thread busy while the next batch is claimed.
        self.capacity = max(self.workers * 4, 32)
        self._cond = threading.Condition()
        self._outstanding = 0  # claimed and not yet recorded
        self._per_target: Counter = Counter()  # claimed and not yet sent, by target
        self._sending: Counter = Counter()  # being sent right now, by target
        self._struggling: set = set()  # targets whose last request failed slowly
        self._validating: set[int] = set()
        self._targets: dict[int, tuple[Target, float]] = {}
        self._paused = threading.Event()
        self._stopping = threading.Event()
        self._results: queue.Queue = queue.Queue()
        self._pool: ThreadPoolExecutor | None = None
        self._writer: threading.Thread | None = None
        self._last_validation_check = 0.0

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

    def stats(self) -> DeliveryCounts:
        with self.db.session() as session:
            return counts(session)

    # --- the claiming loop ---------------------------------------------------------------

    def _run(self, stop_event: threading.Event, until_idle: bool) -> RunSummary:
        self._stopping.clear()
        self._start_threads()
        idle_reported = False
        try:
            with self.db.session() as session:
                claim.release_dead_local_owners(session)
            while not (stop_event.is_set() or self._stopping.is_set()):
                if self._paused.is_set():
                    self._wait(self.poll_interval)
                    continue
                self._start_validations()
                if self._free() < min(self.workers, self.capacity // 2):
                    self._wait(self.poll_interval)
                    continue
                if self._claim_and_dispatch():
                    idle_reported = False
                    continue
                if self._busy():
                    self._wait(self.poll_interval)
                    continue
                if not idle_reported and self.callbacks.idle:
                    self.callbacks.idle()
                idle_reported = True
                if until_idle:
                    break
                stop_event.wait(self.poll_interval)
        finally:
            self._stopping.set()
            self._drain_and_stop_threads()
        return self.summary

    def _free(self) -> int:
        with self._cond:
            return self.capacity - self._outstanding

    def _busy(self) -> bool:
        with self._cond:
            return self._outstanding > 0 or bool(self._validating)

    def _wait(self, seconds: float) -> None:
        with self._cond:
            self._cond.wait(seconds)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _claim_and_dispatch(self) -> int:
        """Claim a batch (other targets first when one is saturated) and hand it to the pool."""
        free = self._free()
        with self.db.session() as session:
            saturated = self._saturated()
            claimed = claim.claim(session, self.owner, free, self.lease, exclude=saturated)
            if not claimed and saturated:
                # Nothing else is waiting: let healthy targets use the spare threads too.
                claimed = claim.claim(
                    session, self.owner, free, self.lease, exclude=self._struggling_keys()
                )
            claimed, surplus = self._trim(claimed)
            claim.release(session, self.owner, [c.id for c in surplus])
            targets = self._load_targets(session, {c.registration_id for c in claimed})
        if not claimed:
            return 0
        with self._cond:
            self._outstanding += len(claimed)
            for c in claimed:
                self._per_target[_key(c)] += 1
        if self.callbacks.claimed:
            self.callbacks.claimed(len(claimed))
        for c in claimed:
            target = targets.get(c.registration_id, _ADHOC)
            self._pool.submit(self._send_one, c, target)
        return len(claimed)

    def _cap(self, key) -> int:
        """Threads one target may hold: a slow or dead one must not starve the others."""
        if key in self._struggling:
            return max(1, self.workers // 4)
        return max(1, self.workers - 1)

    def _saturated(self) -> claim.Exclusion:
        with self._cond:
            keys = [k for k, n in self._per_target.items() if n >= self._cap(k)]
        return claim.Exclusion.of(keys)

    def _struggling_keys(self) -> claim.Exclusion:
        with self._cond:
            keys = [k for k in self._struggling if self._per_target[k] >= self._cap(k)]
        return claim.Exclusion.of(keys)

    def _trim(self, claimed: list[claim.Claimed]):
        """Keep what struggling targets may take now; the rest goes back unsent."""
        kept, surplus, taken = [], [], Counter()
        with self._cond:
            for c in claimed:
                key = _key(c)
                if key in self._struggling and self._per_target[key] + taken[key] >= self._cap(key):
                    surplus.append(c)
                else:
                    taken[key] += 1
                    kept.append(c)
        return kept, surplus

    def _load_targets(self, session, reg_ids: set) -> dict[int, Target]:
        now = time.monotonic()
        wanted = {i for i in reg_ids if i is not None}
        stale = [i for i in wanted if i not in self._targets or self._targets[i][1] < now]
        if stale:
            regs = session.scalars(select(Registration).where(Registration.id.in_(stale)))
            for reg in regs:
                self._targets[reg.id] = (self._target_of(session, reg), now + TARGET_CACHE_S)
        return {i: self._targets[i][0] for i in wanted if i in self._targets}

    def _target_of(self, session, reg: Registration) -> Target:
        try:
            schedule = retry.parse_schedule(reg.retry_schedule)
        except UserError:
            schedule = retry.parse_schedule(None)
        creds = auth.load_credentials(session, self.store, reg)
        return Target(url=reg.url, webhook_id=str(reg.id), creds=creds, schedule=schedule)

    # --- validation handshakes -----------------------------------------------------------

    def _start_validations(self) -> None:
        """Registrations waiting for the handshake that have events due: validate them first."""
        if time.monotonic() - self._last_validation_check < self.poll_interval:
            return
        self._last_validation_check = time.monotonic()
        now = utcnow()
        with self.db.session() as session:
            reg_ids = session.scalars(
                select(Registration.id).where(
                    Registration.status == "enabled",
                    Registration.validation_state == "pending",
                    exists().where(
                        Delivery.registration_id == Registration.id,
                        Delivery.status == "pending",
                        Delivery.next_attempt_at <= now,
                    ),
                )
            ).all()
        for reg_id in reg_ids:
            with self._cond:
                if reg_id in self._validating:
                    continue
                self._validating.add(reg_id)
            self._pool.submit(self._validate_one, reg_id)

    def _validate_one(self, reg_id: int) -> None:
        try:
            validation.validate(self.db, self.store, reg_id, self.sender, self.tokens)
            self.summary.validations += 1
        except Exception as exc:  # a broken handshake must not kill the pool thread
            log.exception("validation of registration %s failed", reg_id)
            self._report_error(f"Validating registration {reg_id} failed: {exc}")
        finally:
            with self._cond:
                self._validating.discard(reg_id)
                self._targets.pop(reg_id, None)
                self._cond.notify_all()

    # --- sending (pool threads) ----------------------------------------------------------

    def _send_one(self, c: claim.Claimed, target: Target) -> None:
        key = _key(c)
        try:
            with self._cond:
                give_back = self._stopping.is_set() or (
                    key in self._struggling and self._sending[key] >= self._cap(key)
                )
                if not give_back:
                    self._sending[key] += 1
            if give_back:
                outcome = record.Outcome(c, released=True)
            else:
                try:
                    outcome = self._attempt(c, target)
                finally:
                    with self._cond:
                        self._sending[key] -= 1
                self._note_health(key, outcome.response)
        except Exception as exc:  # never lose a claimed delivery to a bug: record it as an error
            log.exception("sending delivery %s failed", c.id)
            outcome = self._outcome(
                c,
                target,
                target.url or c.target_url,
                {},
                utcnow(),
                Response(error=f"Internal error: {exc}"),
            )
        with self._cond:
            self._per_target[key] -= 1
            if self._per_target[key] <= 0:
                del self._per_target[key]
        self._results.put(outcome)

    def _attempt(self, c: claim.Claimed, target: Target) -> record.Outcome:
        url = target.url or c.target_url
        body = c.payload.encode("utf-8")
        headers = platform_headers(target.webhook_id, c.event_code, c.uuid)
        started = utcnow()
        response = auth.send(self.sender, self.tokens, target.creds, url, headers, body)
        return self._outcome(c, target, url, headers, started, response)

    def _outcome(self, c, target, url, headers, started, response) -> record.Outcome:
        if response.ok:
            status, next_at = "succeeded", None
        elif retry.is_retryable(response.status):
            wait = retry.retry_after(response.header("Retry-After"), started)
            next_at = retry.next_attempt_at(target.schedule, c.attempt_count + 1, utcnow(), wait)
            status = "pending" if next_at else "failed"
        else:
            status, next_at = "failed", None
        return record.Outcome(
            claimed=c,
            started_at=started,
            url=url,
            request_headers=auth.redacted(headers),
            response=response,
            status=status,
            next_attempt_at=next_at,
        )

    def _note_health(self, key, response: Response) -> None:
        slow = response.status is None or response.duration_ms > SLOW_MS
        with self._cond:
            if slow:
                self._struggling.add(key)
            else:
                self._struggling.discard(key)

    # --- recording (the writer thread) ---------------------------------------------------

    def _start_threads(self) -> None:
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="webhook-send")
        self._writer = threading.Thread(target=self._write_loop, name="webhook-record")
        self._writer.start()

    def _drain_and_stop_threads(self) -> None:
        """Wait for everything claimed to be sent or given back and recorded."""
        with self._cond:
            while self._outstanding > 0 or self._validating:
                self._cond.wait(0.1)
        self._pool.shutdown(wait=True)
        self._results.put(_STOP)
        self._writer.join()
        self.sender.close()

    def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._results.get()]
            deadline = time.monotonic() + WRITE_LINGER_S
            while len(batch) < WRITE_BATCH:
                try:
                    batch.append(self._results.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            if _STOP in batch:
                stopping = True
                batch = [o for o in batch if o is not _STOP]
            if batch:
                self._write(batch)

    def _write(self, batch: list[record.Outcome]) -> None:
        disabled: list[int] = []
        for attempt in range(5):
            try:
                with self.db.session() as session:
                    disabled = record.record_batch(session, self.owner, batch, self.disable_after)
                break
            except Exception as exc:  # locked database, lost connection: try again shortly
                log.warning("recording %d outcomes failed (%s), retrying", len(batch), exc)
                if attempt == 4:
                    # The leases will expire and the deliveries be sent again: at least once.
                    self._report_error(f"Could not record {len(batch)} attempts: {exc}")
                time.sleep(0.2 * (attempt + 1))
        with self._cond:
            self._outstanding -= len(batch)
            self._cond.notify_all()
        self._report(batch, disabled)

    def _report(self, batch: list[record.Outcome], disabled: list[int]) -> None:
        for o in batch:
            if o.released:
                continue
            self.summary.sent += 1
            if o.status == "succeeded":
                self.summary.succeeded += 1
            elif o.status == "failed":
                self.summary.failed += 1
            else:
                self.summary.retrying += 1
            if self.callbacks.attempt_recorded:
                r = o.response
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


def _key(c: claim.Claimed):
    """A target: a registration, or a bare URL for ad-hoc deliveries."""
    return c.registration_id if c.registration_id is not None else "url:" + c.target_url

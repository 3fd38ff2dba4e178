"""Sharing the sending threads between targets, so one slow receiver cannot hold them all.

A target is a registration, or a bare URL for ad-hoc deliveries. While other targets have
work waiting, a target may hold half the threads; one that answers slowly or not at all
("struggling") only a quarter, always. A job over its target's share is parked and goes
back to the threads when one of that target's requests finishes.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable

from webhook_desk.engine.claim import Claimed, Exclusion
from webhook_desk.engine.sender import Response

SLOW_MS = 2000  # a target answering slower than this (or not at all) is struggling


def target_key(c: Claimed):
    return c.registration_id if c.registration_id is not None else "url:" + c.target_url


class TargetShares:
    def __init__(self, workers: int, capacity: int):
        self.workers = workers
        self.capacity = capacity
        self._lock = threading.Lock()
        self._queued: Counter = Counter()  # claimed, not yet done sending (parked included)
        self._sending: Counter = Counter()
        self._total_queued = 0
        self._total_sending = 0
        self._struggling: set = set()
        self._parked: defaultdict = defaultdict(deque)

    @property
    def queued(self) -> int:
        with self._lock:
            return self._total_queued

    def claimed(self, claims: list[Claimed]) -> None:
        with self._lock:
            for c in claims:
                self._queued[target_key(c)] += 1
            self._total_queued += len(claims)

    def may_send(self, key, job: Callable) -> bool:
        """True: send now (a thread is counted). False: `job` is parked, and comes back from
        finished() already admitted."""
        with self._lock:
            over = self._sending[key] >= self._limit(key)
            if over and (key in self._struggling or self._others_waiting(key)):
                self._parked[key].append(job)
                return False
            self._sending[key] += 1
            self._total_sending += 1
            return True

    def finished(self, key, response: Response | None) -> list[Callable]:
        """A request of `key` is done (None: it was not sent after all); returns parked jobs
        that may go now."""
        with self._lock:
            self._sending[key] -= 1
            self._total_sending -= 1
            self._forget_one(key)
            if response is not None:
                if response.status is None or response.duration_ms > SLOW_MS:
                    self._struggling.add(key)
                else:
                    self._struggling.discard(key)
            return self._unpark()

    def given_back(self, key) -> None:
        """A claimed job that will not be sent (the engine is stopping)."""
        with self._lock:
            self._forget_one(key)

    def exclusion(self, only_struggling: bool = False) -> Exclusion:
        """Targets the next claim should skip: they already hold their share of the queue."""
        with self._lock:
            keys = [
                k
                for k, n in self._queued.items()
                if (k in self._struggling and n >= self._limit(k))
                or (not only_struggling and n >= self.capacity // 2)
            ]
        return Exclusion.of(keys)

    def trim(self, claims: list[Claimed]) -> tuple[list[Claimed], list[Claimed]]:
        """Keep what struggling targets may take now; the surplus goes back unsent."""
        kept: list[Claimed] = []
        surplus: list[Claimed] = []
        taken: Counter = Counter()
        with self._lock:
            for c in claims:
                key = target_key(c)
                if key in self._struggling and self._queued[key] + taken[key] >= self._limit(key):
                    surplus.append(c)
                else:
                    taken[key] += 1
                    kept.append(c)
        return kept, surplus

    def _limit(self, key) -> int:
        if key in self._struggling:
            return max(1, self.workers // 4)
        return max(1, self.workers // 2)

    def _others_waiting(self, key) -> bool:
        waiting = self._total_queued - self._total_sending
        return waiting - (self._queued[key] - self._sending[key]) > 0

    def _forget_one(self, key) -> None:
        self._queued[key] -= 1
        self._total_queued -= 1
        if self._queued[key] <= 0:
            del self._queued[key]

    def _unpark(self) -> list[Callable]:
        ready = []
        for key, jobs in list(self._parked.items()):
            # Within the shared limit even when nobody else waits at this instant: a parked
            # target was already over its share, and new work is often about to be claimed.
            while jobs and self._sending[key] < self._limit(key):
                ready.append(jobs.popleft())
                # Admitted here: counted as sending from now (the job must not ask again).
                self._sending[key] += 1
                self._total_sending += 1
            if not jobs:
                del self._parked[key]
        return ready

"""The worker pool: threads that run model work (engine verbs, ``/bridge/describe``) off the
receive thread, clients taken in turn.

Each client (host and source port) has a queue of its own and the workers take one job from
each waiting client in turn, so a client's request waits behind at most one job of every
other client, never behind another client's burst: a flood costs the flooder. A client
with ``per_client`` jobs queued or running is told busy; so is everyone once ``max_pending``
jobs wait in all.

Why the pool is small and polite (measured with ``bridge bench --fuzz``): a model worker
running Python (sampling loops, small tensors) holds the GIL, and the receive thread that
answers pings waits for it each time it comes back from a system call (select, recvfrom,
sendto); with as many workers as cores it also waits for a CPU. So there is at most one
worker per core but one (the receive thread keeps a core), and while the pool runs the
interpreter hands the GIL over every ``SWITCH_INTERVAL_S`` instead of every 5 ms. The
workers keep the priority they inherit: a lower one made no difference to the fuzz's pings,
and a worker holding the GIL must not wait behind a busy machine while the threads that
keep time wait for it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)

Job = Callable[[], None]
# How long a thread waiting for the GIL waits before asking for it (Python's default: 5 ms).
# Measured: 8 perf streams had events 5-16 ms late at 5 ms, none at 0.5 ms; fuzz ping p99
# 12.9-16.2 ms at 0.5 ms against 22.8-32.4 ms at 1 ms. Live relies on this pool setting it.
SWITCH_INTERVAL_S = 0.0005
PER_CLIENT = 8  # jobs one client may have queued or running
SHARED = "bridge"  # the lane of jobs the bridge itself submits (call and response)


def worker_count(asked: int, cores: int | None = None) -> int:
    """``asked`` workers, but at most one per core less one (at least one)."""
    cores = cores if cores is not None else os.cpu_count() or 1
    return max(1, min(asked, cores - 1))


class FairQueue:
    """Jobs queued per client, taken one per client in turn. Not thread-safe: the pool
    holds its lock around every call."""

    def __init__(self) -> None:
        self._lanes: OrderedDict[Hashable, deque[Job]] = OrderedDict()

    def __len__(self) -> int:
        return sum(map(len, self._lanes.values()))

    def put(self, client: Hashable, job: Job) -> None:
        self._lanes.setdefault(client, deque()).append(job)

    def take(self) -> tuple[Hashable, Job] | None:
        """The next client's oldest job (the client then goes to the back), or None."""
        if not self._lanes:
            return None
        client, lane = next(iter(self._lanes.items()))
        job = lane.popleft()
        if lane:
            self._lanes.move_to_end(client)
        else:
            del self._lanes[client]
        return client, job

    def clear(self) -> None:
        self._lanes.clear()


class WorkerPool:
    """``workers`` threads (capped by ``worker_count``) running submitted jobs fairly.

    ``prepare()`` runs first on each worker thread (the engines' torch thread count). A job's
    exception is logged; the worker goes on.
    """

    def __init__(
        self,
        workers: int = 2,
        max_pending: int = 64,
        per_client: int = PER_CLIENT,
        prepare: Callable[[], None] | None = None,
        name: str = "bridge-worker",
    ) -> None:
        self.workers = worker_count(workers)
        self.max_pending = max_pending
        self.per_client = max(1, per_client)
        self.prepare = prepare
        self.name = name
        self._queue = FairQueue()
        self._counts: dict[Hashable, int] = {}  # client -> its jobs queued or running
        self._pending = 0
        self._ready = threading.Condition()
        self._running = False
        self._threads: list[threading.Thread] = []
        self._switch_before: float | None = None

    def start(self) -> None:
        """Start the threads; the interpreter switches threads faster until ``stop``."""
        self._running = True
        self._pending = 0
        self._counts = {}
        self._switch_before = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_before, SWITCH_INTERVAL_S))
        self._threads = [
            threading.Thread(target=self._work, name=f"{self.name}-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for t in self._threads:
            t.start()

    def stop(self, deadline: float) -> None:
        """Drop queued jobs; wait until ``deadline`` (time.monotonic) for running ones."""
        with self._ready:
            self._running = False
            self._queue.clear()
            self._ready.notify_all()
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads = []
        if self._switch_before is not None:
            sys.setswitchinterval(self._switch_before)
            self._switch_before = None

    def submit(self, job: Job, client: Hashable = SHARED) -> str | None:
        """Queue ``job`` for ``client``: None if queued, else why not (it starts "busy")."""
        with self._ready:
            mine = self._counts.get(client, 0)
            if mine >= self.per_client:
                return (
                    f"busy: {mine} of your requests are waiting or running, the most one "
                    "client may have; wait for their replies"
                )
            if self._pending >= self.max_pending:
                return f"busy: {self.max_pending} requests are waiting; try again in a moment"
            self._pending += 1
            self._counts[client] = mine + 1
            self._queue.put(client, job)
            self._ready.notify()
        return None

    def _work(self) -> None:
        if self.prepare is not None:
            self.prepare()
        while True:
            with self._ready:
                while self._running and not len(self._queue):
                    self._ready.wait()
                if not self._running:
                    return
                taken = self._queue.take()
            assert taken is not None
            client, job = taken
            try:
                job()
            except Exception as exc:  # the worker must survive anything
                log.error("worker job failed: %r", exc)
            finally:
                with self._ready:  # (after a stop and start, counts began again)
                    self._pending = max(0, self._pending - 1)
                    left = self._counts.get(client, 1) - 1
                    if left:
                        self._counts[client] = left
                    else:
                        self._counts.pop(client, None)
